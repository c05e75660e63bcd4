/**
 * What differs between two deployment sets (JSON documents): a structural
 * list of changes by path, and the same as a unified text diff. Lists of
 * objects that carry a `name` (services, containers) or are Kubernetes objects
 * (`Kind/name`) are matched by it, so a service added in the middle reads as
 * one addition, not as every later one changed.
 */
import { SECRET_MARK } from './redact.ts';

export interface SetChange {
  /** `services[web].env.GREETING`, `versions.web`, `target`. */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  /** null when added. */
  before: unknown;
  /** null when removed. */
  after: unknown;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What names an item of a list: its `name` (services, containers), or `Kind/name` for a Kubernetes object. */
function identity(item: unknown): string | null {
  if (!isObject(item)) return null;
  if (typeof item.name === 'string') return item.name;
  const metadata = item.metadata;
  if (typeof item.kind === 'string' && isObject(metadata) && typeof metadata.name === 'string') return `${item.kind}/${metadata.name}`;
  return null;
}

const isNamedList = (value: unknown): value is unknown[] => Array.isArray(value) && value.length > 0 && value.every((v) => identity(v) !== null);

function keyPath(parent: string, key: string): string {
  const part = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  if (parent === '') return /^[A-Za-z_]/.test(part) ? part : `[${part}]`;
  return /^[A-Za-z_]/.test(part) ? `${parent}.${part}` : `${parent}[${part}]`;
}

function equal(a: unknown, b: unknown): boolean {
  return canonicalText(a) === canonicalText(b);
}

function walk(before: unknown, after: unknown, path: string, out: SetChange[]): void {
  if (before === undefined && after === undefined) return;
  if (before === undefined) {
    out.push({ path, kind: 'added', before: null, after });
    return;
  }
  if (after === undefined) {
    out.push({ path, kind: 'removed', before, after: null });
    return;
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) walk(before[key], after[key], keyPath(path, key), out);
    return;
  }
  if ((isNamedList(before) || (Array.isArray(before) && before.length === 0)) && (isNamedList(after) || (Array.isArray(after) && after.length === 0)) && (isNamedList(before) || isNamedList(after))) {
    const byName = (list: unknown[]) => new Map(list.map((item) => [identity(item)!, item]));
    const left = byName(before as unknown[]);
    const right = byName(after as unknown[]);
    const names = [...left.keys(), ...[...right.keys()].filter((n) => !left.has(n))];
    for (const name of names) walk(left.get(name), right.get(name), `${path}[${name}]`, out);
    return;
  }
  if (!equal(before, after)) out.push({ path, kind: 'changed', before, after });
}

const shown = (value: unknown): string => {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
};

/** The secrets whose hash changed, when two `envFrom` lists name the same secrets in the same order; null otherwise. */
function rotatedSecrets(change: SetChange): string[] | null {
  const refs = (list: unknown) => (Array.isArray(list) ? list.map((ref) => (isObject(ref) ? { secret: String(ref.secret), hash: ref.hash } : null)) : null);
  const before = refs(change.before);
  const after = refs(change.after);
  if (before === null || after === null || !equal(before.map((r) => r?.secret), after.map((r) => r?.secret))) return null;
  return after.flatMap((ref, index) => (ref !== null && ref.hash !== before[index]?.hash ? [ref.secret] : []));
}

/**
 * One change as a short phrase: `services[web].replicas: 1 → 2`. Values of environment
 * variables are left out (they may be secrets): only that they changed.
 */
export function changeText(change: SetChange): string {
  // A value read from a secret shows only as its keyed hash: a changed hash is a rotated secret.
  // (The hashes lead, marked as a masked value is: the phrase must not read as `KEY: value` to redaction.)
  const rotated = /^(.*\.secretRefs(?:\.[^.[]+|\[[^\]]+\]))\.hash$/.exec(change.path);
  if (rotated && change.kind === 'changed') return `${rotated[1]}: ${SECRET_MARK}${String(change.before)} → ${SECRET_MARK}${String(change.after)} (secret changed)`;
  const from = /\.envFrom$/.test(change.path) && change.kind === 'changed' ? rotatedSecrets(change) : null;
  if (from) return `${change.path}: ${from.map((name) => `secret ${name} changed`).join(', ')}`;
  const secret = /\.env(\.|\[|$)/.test(change.path);
  switch (change.kind) {
    case 'added':
      return secret ? `${change.path} added` : `${change.path} added: ${shown(change.after)}`;
    case 'removed':
      return `${change.path} removed`;
    case 'changed':
      return secret ? `${change.path} changed` : `${change.path}: ${shown(change.before)} → ${shown(change.after)}`;
  }
}

/** Every difference between two documents, in document order. */
export function diffSets(before: unknown, after: unknown): SetChange[] {
  const out: SetChange[] = [];
  walk(before, after, '', out);
  return out;
}

function sortKeys(value: unknown): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isObject(value)) {
    const sorted: Record<string, Json> = {};
    for (const key of Object.keys(value).sort()) {
      if (value[key] !== undefined) sorted[key] = sortKeys(value[key]);
    }
    return sorted;
  }
  return value === undefined ? null : (value as Json);
}

/** The document as stable text: keys sorted, two-space indent. */
export function canonicalText(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) ?? 'null';
}

type Edit = { op: ' ' | '-' | '+'; line: string };

/** Line edits by longest common subsequence (deployment sets are small). */
function lineEdits(a: string[], b: string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const edits: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      edits.push({ op: ' ', line: a[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) {
      edits.push({ op: '-', line: a[i++]! });
    } else {
      edits.push({ op: '+', line: b[j++]! });
    }
  }
  while (i < n) edits.push({ op: '-', line: a[i++]! });
  while (j < m) edits.push({ op: '+', line: b[j++]! });
  return edits;
}

/** A unified diff (`---`/`+++` headers, `@@` hunks, `context` lines around changes) of the canonical texts; '' when equal. */
export function unifiedDiff(before: unknown, after: unknown, labels: { before: string; after: string }, context = 3): string {
  const a = canonicalText(before).split('\n');
  const b = canonicalText(after).split('\n');
  const edits = lineEdits(a, b);
  if (edits.every((e) => e.op === ' ')) return '';
  const lines = [`--- ${labels.before}`, `+++ ${labels.after}`];
  // Positions (in old and new text) before each edit.
  const at: { a: number; b: number }[] = [];
  let oldLine = 0;
  let newLine = 0;
  for (const edit of edits) {
    at.push({ a: oldLine, b: newLine });
    if (edit.op !== '+') oldLine++;
    if (edit.op !== '-') newLine++;
  }
  let index = 0;
  while (index < edits.length) {
    const firstChange = edits.findIndex((e, k) => k >= index && e.op !== ' ');
    if (firstChange === -1) break;
    const start = Math.max(index, firstChange - context);
    let end = firstChange;
    // Extend the hunk while the next change is within 2×context unchanged lines.
    for (let k = firstChange; k < edits.length; k++) {
      if (edits[k]!.op !== ' ') end = k;
      else if (k - end > 2 * context) break;
    }
    const stop = Math.min(edits.length, end + context + 1);
    const hunk = edits.slice(start, stop);
    const oldCount = hunk.filter((e) => e.op !== '+').length;
    const newCount = hunk.filter((e) => e.op !== '-').length;
    const oldStart = oldCount === 0 ? at[start]!.a : at[start]!.a + 1;
    const newStart = newCount === 0 ? at[start]!.b : at[start]!.b + 1;
    lines.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (const e of hunk) lines.push(`${e.op}${e.line}`);
    index = stop;
  }
  return `${lines.join('\n')}\n`;
}
