import type { Outcome, Placement, ReplicaLogLine, RolloutRequest, RunningService, ServiceLogRequest, ServiceRequest, Target } from '../../src/engine/ports.ts';

/** Wall-clock milliseconds comparable across processes (the benchmark compares them with its own clock). */
const epochMs = (): number => performance.timeOrigin + performance.now();

/** One rollout as the target saw it: epoch milliseconds, sub-millisecond precision. */
export interface RolloutRecord {
  deploymentId: number;
  env: string;
  service: string;
  /** The image it was told to run. */
  image: string;
  startedAt: number;
  endedAt: number;
}

export interface Hold {
  /** Resolves with the deployment id when the held rollout has started. */
  started: Promise<number>;
  /** Lets the held rollout end. */
  release(): void;
}

export interface NoopTarget {
  target: Target;
  /** Every rollout that has ended, in the order they ended. */
  rollouts: RolloutRecord[];
  /** `env/service` of every destroy, in order. */
  destroyed: string[];
  /**
   * The next rollout in `env` waits until the hold is released (so a queue can be
   * filled behind it); every other rollout ends at once.
   */
  holdNext(env: string): Hold;
  /** A line as if `replica` of `service` in `env` wrote it: `serviceLogs` shows it (and hands it to whoever follows). */
  write(env: string, service: string, replica: string, line: string): void;
}

/**
 * A target that does no work: each method answers `{ ok: true }` at once. Hoist
 * driven with it measures orchestration only (queue, lease, fence, Postgres).
 */
export function createNoopTarget(): NoopTarget {
  const rollouts: RolloutRecord[] = [];
  const destroyed: string[] = [];
  const holds = new Map<string, { released: Promise<void>; started(id: number): void }>();
  // What the replicas "wrote", per `env/service`, and who follows it.
  const written = new Map<string, ReplicaLogLine[]>();
  const followers = new Map<string, Set<(line: ReplicaLogLine) => void>>();
  const keyOf = (env: string, service: string) => `${env}/${service}`;
  async function* serviceLogs(request: ServiceLogRequest): AsyncGenerator<ReplicaLogLine> {
    const key = keyOf(request.placement.env, request.service.name);
    const lines = written.get(key) ?? [];
    const pending: ReplicaLogLine[] = [];
    let wake = () => undefined as void;
    const follower = (line: ReplicaLogLine) => {
      pending.push(line);
      wake();
    };
    if (request.follow) followers.set(key, (followers.get(key) ?? new Set()).add(follower));
    try {
      yield* lines.slice(-request.tail);
      while (request.follow && !request.signal.aborted) {
        const next = pending.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          request.signal.addEventListener('abort', () => resolve(), { once: true });
        });
      }
    } finally {
      followers.get(key)?.delete(follower);
    }
  }
  const done = <T extends object>(extra: T): Promise<Outcome<T>> => Promise.resolve({ ok: true, ...extra });
  const target: Target = {
    async rollout(request: RolloutRequest): Promise<Outcome> {
      const startedAt = epochMs();
      const hold = holds.get(request.placement.env);
      if (hold) {
        holds.delete(request.placement.env);
        hold.started(request.deploymentId);
        await hold.released;
      }
      rollouts.push({ deploymentId: request.deploymentId, env: request.placement.env, service: request.service.name, image: request.image, startedAt, endedAt: epochMs() });
      return { ok: true };
    },
    inspect: (_placement: Placement): Promise<RunningService[]> => Promise.resolve([]),
    stop: (_request: ServiceRequest) => done({ stopped: 0 }),
    restart: (_request: ServiceRequest) => done({}),
    remove: (_request: ServiceRequest) => done({ removed: 0 }),
    // Nothing runs: nothing to follow, nothing to say.
    watchRunning: () => ({ stop: () => Promise.resolve() }),
    serviceLogs,
    // Nothing runs, so nothing uses CPU or memory.
    usage: () => Promise.resolve({ ok: true, replicas: [], window: null }),
    destroy: (request: ServiceRequest) => {
      destroyed.push(`${request.placement.env}/${request.service.name}`);
      return done({ removed: [] });
    },
  };
  return {
    target,
    rollouts,
    write(env, service, replica, line) {
      const entry: ReplicaLogLine = { replica, at: new Date(), line };
      const key = keyOf(env, service);
      written.set(key, [...(written.get(key) ?? []), entry]);
      for (const follower of followers.get(key) ?? []) follower(entry);
    },
    destroyed,
    holdNext(env) {
      let release = () => undefined as void;
      let started = (_id: number) => undefined as void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const startedPromise = new Promise<number>((resolve) => {
        started = resolve;
      });
      holds.set(env, { released, started });
      return { started: startedPromise, release: () => release() };
    },
  };
}
