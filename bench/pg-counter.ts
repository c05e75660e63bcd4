import pg from 'pg';

/**
 * Counts the statements this process sends to Postgres (through `pg`, which Hoist's
 * store uses) while counting is on: a figure that does not depend on how busy the
 * machine is. Clients passed to `ignore` (the bench's own polling) are left out.
 */
export interface PgCounter {
  /** Starts counting from zero. */
  start(): void;
  /** Counting stops for a while (what the bench does in between is not counted); resume() goes on. */
  pause(): void;
  resume(): void;
  /** Stops counting; the number of statements and the most frequent kinds (`insert deployment_events`, …). */
  stop(): { statements: number; top: Record<string, number> };
  ignore(client: pg.Client): void;
}

type Query = (...args: unknown[]) => unknown;
const proto = pg.Client.prototype as unknown as { query: Query };
const ignored = new WeakSet<object>();
let counts: Map<string, number> | null = null;
let paused = false;
let installed = false;
let withCallers = false;

/** `--statement-callers`: each kind is counted per the three nearest frames of Hoist's code that sent it (`store/locks.ts:75 < jobs/…`). */
export function countStatementCallers(on: boolean): void {
  withCallers = on;
}

/** Whether kinds are counted per caller (what the worker processes are asked to do as well). */
export function countingCallers(): boolean {
  return withCallers;
}

/** The nearest frames of Hoist's own code on the stack (the database module left out), nearest first. */
function callers(): string {
  const frames = (new Error().stack ?? '')
    .split('\n')
    .filter((line) => line.includes('/src/') && !line.includes('/store/database'))
    .map((line) => line.replace(/.*\/src\//, '').replace(/\).*|:\d+\)?$/, ''));
  return frames.slice(0, 3).join(' < ');
}

/** `insert deployment_events`, `select deployments`, `begin`: the verb and the first table named. */
function kind(text: string): string {
  const known = kinds.get(text);
  if (known !== undefined) return known;
  const words = text.trim().replace(/\s+/g, ' ').toLowerCase();
  const verb = words.split(' ')[0] ?? '?';
  const table = /(?:from|into|update|join) "?([a-z_]+)"?/.exec(words)?.[1];
  const lock = / for update\b/.test(words) ? ' for update' : '';
  const found = table ? `${verb} ${table}${lock}` : verb;
  if (kinds.size >= 5_000) kinds.clear();
  kinds.set(text, found);
  return found;
}

/** Each statement text's kind, worked out once (the counter runs in the processes it measures). */
const kinds = new Map<string, string>();

export function pgCounter(): PgCounter {
  if (!installed) {
    installed = true;
    const original = proto.query;
    proto.query = function (this: object, ...args: unknown[]): unknown {
      if (counts !== null && !paused && !ignored.has(this)) {
        const first = args[0] as string | { text?: string } | undefined;
        const text = typeof first === 'string' ? first : (first?.text ?? '?');
        const k = withCallers ? `${kind(text)} @ ${callers()}` : kind(text);
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      return original.apply(this, args);
    };
  }
  return {
    start() {
      counts = new Map();
      paused = false;
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
    },
    stop() {
      const done = counts ?? new Map<string, number>();
      counts = null;
      paused = false;
      const sorted = [...done.entries()].sort((a, b) => b[1] - a[1]);
      return { statements: sorted.reduce((n, [, c]) => n + c, 0), top: Object.fromEntries(sorted.slice(0, withCallers ? 60 : 12)) };
    },
    ignore(client) {
      ignored.add(client);
    },
  };
}
