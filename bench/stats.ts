/** Latency figures of one scenario, in milliseconds. */
export interface Summary {
  count: number;
  errors: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  meanMs: number | null;
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? null;
}

const round = (value: number | null): number | null => (value === null ? null : Math.round(value * 100) / 100);

/** `count` is every attempt; latencies are those of the successful ones. */
export function summarize(latencies: readonly number[], errors: number): Summary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const mean = sorted.length === 0 ? null : sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
  return {
    count: sorted.length + errors,
    errors,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1) ?? null),
    meanMs: round(mean),
  };
}

export interface TableRow {
  scenario: string;
  summary: Summary;
}

const ms = (value: number | null): string => (value === null ? '-' : value < 10 ? value.toFixed(2) : value.toFixed(1));

/** A plain-text table: scenario, count, errors, p50, p99, max (ms). */
export function formatTable(rows: readonly TableRow[]): string {
  const header = ['scenario', 'count', 'errors', 'p50 ms', 'p99 ms', 'max ms'];
  const cells = rows.map((r) => [
    r.scenario,
    String(r.summary.count),
    String(r.summary.errors),
    ms(r.summary.p50Ms),
    ms(r.summary.p99Ms),
    ms(r.summary.maxMs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]?.length ?? 0)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...cells.map(line)].join('\n');
}
