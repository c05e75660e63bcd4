/**
 * A strict reader of Prometheus's text exposition format (0.0.4), as a scraper would read
 * a `/metrics` answer: every family declared once (`# HELP`, `# TYPE`) before its samples,
 * names and label names of the allowed characters, label values quoted with their escapes,
 * values as Go's ParseFloat takes them, no series twice, and each histogram whole (every
 * series with cumulative buckets ending at `+Inf`, which equals its `_count`). Anything else
 * throws, naming the line.
 */
export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string | null;
  type: FamilyType;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<FamilyType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<FamilyType, string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const fail = (n: number, line: string, why: string): never => {
    throw new Error(`line ${n + 1}: ${why}: ${JSON.stringify(line)}`);
  };
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, n) => {
    if (line.trim() === '') return;
    const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (meta) {
      const [, keyword, name = '', rest = ''] = meta;
      if (!METRIC_NAME.test(name)) fail(n, line, 'not a metric name');
      const family = families.get(name) ?? { name, help: null, type: 'untyped' as FamilyType, samples: [] };
      if (family.samples.length > 0) fail(n, line, `${keyword} after the samples of ${name}`);
      if (keyword === 'HELP') {
        if (family.help !== null) fail(n, line, `a second HELP for ${name}`);
        family.help = unescape(rest, false);
      } else {
        if (!TYPES.has(rest as FamilyType)) fail(n, line, 'not a metric type');
        if (families.has(name) && family.type !== 'untyped') fail(n, line, `a second TYPE for ${name}`);
        family.type = rest as FamilyType;
      }
      families.set(name, family);
      return;
    }
    if (line.startsWith('#')) return;
    const sample = parseSample(line, (why) => fail(n, line, why));
    const family = familyOf(families, sample.name) ?? fail(n, line, `a sample of no declared family`);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seen.has(key)) fail(n, line, 'a series given twice');
    seen.add(key);
    family.samples.push(sample);
  });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function familyOf(families: Map<string, Family>, name: string): Family | undefined {
  for (const family of families.values()) {
    if (SUFFIXES[family.type].some((suffix) => `${family.name}${suffix}` === name)) return family;
  }
  return undefined;
}

function parseSample(line: string, fail: (why: string) => never): Sample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line) ?? fail('no metric name');
  const name = nameMatch[0];
  let at = name.length;
  const labels: Record<string, string> = {};
  if (line[at] === '{') {
    at++;
    while (line[at] !== '}') {
      const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(at)) ?? fail('a label that is not name="value"');
      const labelName = label[1] as string;
      if (!LABEL_NAME.test(labelName) || labelName.startsWith('__')) fail(`label name ${labelName}`);
      if (labelName in labels) fail(`label ${labelName} twice`);
      at += label[0].length;
      let raw = '';
      for (;;) {
        const c = line[at] ?? fail('an unterminated label value');
        if (c === '"') break;
        if (c === '\\') {
          const next = line[at + 1] ?? fail('an escape at the end');
          if (next !== '\\' && next !== '"' && next !== 'n') fail(`the escape \\${next}`);
          raw += c + next;
          at += 2;
        } else {
          raw += c;
          at++;
        }
      }
      labels[labelName] = unescape(raw, true);
      at++;
      if (line[at] === ',') at++;
      else if (line[at] !== '}') fail('labels not separated by commas');
    }
    at++;
  }
  const rest = line.slice(at);
  const valueMatch = /^ (\S+)(?: (-?\d+))?$/.exec(rest) ?? fail('no value after the name and labels');
  return { name, labels, value: parseValue(valueMatch[1] as string, fail) };
}

function parseValue(text: string, fail: (why: string) => never): number {
  // Go's ParseFloat, which Prometheus reads values with, takes these in any case (prom-client writes `Nan`).
  const special = /^([-+]?)(inf|infinity|nan)$/i.exec(text);
  if (special) return special[2]?.toLowerCase() === 'nan' ? Number.NaN : special[1] === '-' ? -Infinity : Infinity;
  if (!/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(text)) fail(`value ${text}`);
  return Number(text);
}

function unescape(raw: string, quoted: boolean): string {
  return raw.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === '\\' ? '\\' : quoted && c === '"' ? '"' : `\\${c}`));
}

function checkHistogram(family: Family): void {
  const byLabels = new Map<string, { buckets: { le: number; value: number }[]; count?: number; sum?: number }>();
  for (const s of family.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const series = byLabels.get(key) ?? { buckets: [] };
    if (s.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${family.name}: a bucket without le`);
      series.buckets.push({ le: le === '+Inf' ? Infinity : Number(le), value: s.value });
    } else if (s.name.endsWith('_count')) series.count = s.value;
    else series.sum = s.value;
    byLabels.set(key, series);
  }
  for (const [key, series] of byLabels) {
    const where = `${family.name}${key}`;
    if (series.count === undefined || series.sum === undefined) throw new Error(`${where}: no _count or _sum`);
    const les = series.buckets.map((b) => b.le);
    if (les.some((le, i) => i > 0 && le <= (les[i - 1] as number))) throw new Error(`${where}: buckets not in increasing order`);
    if (series.buckets.some((b, i) => i > 0 && b.value < (series.buckets[i - 1] as { value: number }).value)) throw new Error(`${where}: buckets not cumulative`);
    const last = series.buckets.at(-1);
    if (last?.le !== Infinity || last.value !== series.count) throw new Error(`${where}: the +Inf bucket is not the count`);
  }
}

/** The value of the series of `name` with exactly `labels`, or undefined when there is none. */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  for (const family of families.values()) {
    const found = family.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want);
    if (found) return found.value;
  }
  return undefined;
}

/** Every series of a family's sample `name` (a histogram's `_count`, say) as `labels → value`, labels joined `k=v,…` in name order. */
export function seriesOf(families: Map<string, Family>, name: string, without: string[] = []): Record<string, number> {
  const result: Record<string, number> = {};
  for (const family of families.values()) {
    for (const s of family.samples) {
      if (s.name !== name) continue;
      const key = Object.entries(s.labels)
        .filter(([k]) => !without.includes(k))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      result[key] = s.value;
    }
  }
  return result;
}

/** GETs `url` and reads it strictly; throws unless it is a 200 in the text format. */
export async function scrape(url: string): Promise<{ families: Map<string, Family>; text: string }> {
  const res = await fetch(url);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('text/plain; version=0.0.4')) throw new Error(`GET ${url}: content-type ${type}`);
  return { families: parseExposition(text), text };
}
