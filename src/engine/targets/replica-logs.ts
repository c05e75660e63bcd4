import type { ReplicaLogLine, ServiceLogRequest } from '../ports.ts';

/** `2026-12-05T22:30:41.540839716Z text`: the RFC 3339 stamp Docker, Podman and the kubelet put before each line when asked. */
const STAMPED = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) ?(.*)$/s;

/** A line as a replica's engine wrote it with its timestamp, or as it is when it carries none. */
export function stampedLine(replica: string, raw: string): ReplicaLogLine {
  const match = STAMPED.exec(raw);
  const at = match ? new Date(match[1]!) : null;
  if (!match || at === null || Number.isNaN(at.getTime())) return { replica, at: null, line: raw };
  return { replica, at, line: match[2]! };
}

/** Splits text arriving in chunks into whole lines (a chunk may end mid-line; the rest comes with the next). */
export function lineSplitter(): { push(chunk: string): string[]; end(): string[] } {
  let rest = '';
  return {
    push(chunk) {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      return parts.map((l) => l.replace(/\r$/, ''));
    },
    end() {
      const last = rest;
      rest = '';
      return last === '' ? [] : [last];
    },
  };
}

/** Each replica's last lines merged oldest first (stable: lines without a time keep their place), the last `tail` of them. */
export function mergeTails(tails: readonly ReplicaLogLine[][], tail: number): ReplicaLogLine[] {
  const all = tails.flatMap((lines, replica) => lines.map((line, index) => ({ line, replica, index })));
  all.sort((a, b) => {
    const ta = a.line.at?.getTime() ?? null;
    const tb = b.line.at?.getTime() ?? null;
    if (ta !== null && tb !== null && ta !== tb) return ta - tb;
    return a.replica === b.replica ? a.index - b.index : 0;
  });
  return tail <= 0 ? [] : all.slice(-tail).map((e) => e.line);
}

/** A replica's live output: `start` begins it, calling `line` per whole line and `ended` once (with an error when it broke). */
export interface LiveSource {
  start(handlers: { line(raw: string): void; ended(error?: unknown): void }, signal: AbortSignal): Promise<void>;
}

/**
 * Lines of several live sources as they come, until `signal` aborts or every source has
 * ended. A source that fails to start or breaks ends alone; the others go on.
 */
export async function* mergeLive(sources: readonly LiveSource[], signal: AbortSignal): AsyncGenerator<{ source: number; raw: string }> {
  const queue: { source: number; raw: string }[] = [];
  let open = sources.length;
  let wake: (() => void) | null = null;
  const poke = () => {
    wake?.();
    wake = null;
  };
  const stop = new AbortController();
  const onAbort = () => {
    stop.abort();
    poke();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    sources.forEach((source, index) => {
      let done = false;
      const ended = () => {
        if (done) return;
        done = true;
        open--;
        poke();
      };
      source
        .start({ line: (raw) => (queue.push({ source: index, raw }), poke()), ended }, stop.signal)
        .catch(() => ended());
    });
    while (!signal.aborted) {
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (open === 0) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    stop.abort();
  }
}

/** One running replica's output as a target reads it. */
export interface ReplicaLogSource {
  replica: string;
  /** Its last `lines` lines, each with its timestamp. */
  tail(lines: number): Promise<string[]>;
  /** Its last `lines` lines and then each new one, with timestamps. */
  live(lines: number): LiveSource;
}

/**
 * What `Target.serviceLogs` yields, for any target: without `follow`, every replica's last
 * `tail` lines merged by time and cut to `tail`; with it, each replica's last `tail` lines and
 * then what it writes, as they arrive (as `kubectl logs -f --prefix` does for several pods).
 */
export async function* replicaLogs(replicas: readonly ReplicaLogSource[], request: Pick<ServiceLogRequest, 'tail' | 'follow' | 'signal'>): AsyncGenerator<ReplicaLogLine> {
  if (!request.follow) {
    if (request.tail <= 0) return;
    const unreadable: ReplicaLogLine[] = [];
    const tails = await Promise.all(
      replicas.map(async (r) => {
        try {
          return (await r.tail(request.tail)).map((raw) => stampedLine(r.replica, raw));
        } catch (error) {
          // One replica that cannot be read (a container waiting to restart, gone meanwhile) hides no other's lines.
          unreadable.push({ replica: r.replica, at: null, line: `[hoist] its output cannot be read: ${error instanceof Error ? error.message : String(error)}` });
          return [];
        }
      }),
    );
    yield* mergeTails(tails, request.tail);
    yield* unreadable;
    return;
  }
  const live = replicas.map((r) => r.live(request.tail));
  for await (const { source, raw } of mergeLive(live, request.signal)) yield stampedLine(replicas[source]!.replica, raw);
}
