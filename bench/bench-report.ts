/** What the bench's report says about the run besides the figures: the machine, package versions, Hoist's log. */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Hoist's warnings and errors during the run, by message. */
export function logSummary(path: string): { errors: number; warnings: number; messages: Record<string, number> } {
  const summary = { errors: 0, warnings: 0, messages: {} as Record<string, number> };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return summary; // that part did not run
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      const level = entry.level ?? 0;
      if (level >= 50) summary.errors += 1;
      else if (level >= 40) summary.warnings += 1;
      else continue;
      const key = `${entry.msg ?? '?'}${entry.err?.message ? `: ${entry.err.message}` : ''}`;
      summary.messages[key] = (summary.messages[key] ?? 0) + 1;
    } catch {
      // not a log line
    }
  }
  return summary;
}

export function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? null,
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    loadavgAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function packageVersion(name: string): string | null {
  try {
    return (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}
