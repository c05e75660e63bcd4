import type { Outcome, Placement, RolloutRequest, RunningService, ServiceRequest, Target } from '../../src/engine/ports.ts';

/** Wall-clock milliseconds comparable across processes (the benchmark compares them with its own clock). */
const epochMs = (): number => performance.timeOrigin + performance.now();

/** One rollout as the target saw it: epoch milliseconds, sub-millisecond precision. */
export interface RolloutRecord {
  deploymentId: number;
  env: string;
  service: string;
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
}

/**
 * A target that does no work: each method answers `{ ok: true }` at once. Hoist
 * driven with it measures orchestration only (queue, lease, fence, Postgres).
 */
export function createNoopTarget(): NoopTarget {
  const rollouts: RolloutRecord[] = [];
  const destroyed: string[] = [];
  const holds = new Map<string, { released: Promise<void>; started(id: number): void }>();
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
      rollouts.push({ deploymentId: request.deploymentId, env: request.placement.env, service: request.service.name, startedAt, endedAt: epochMs() });
      return { ok: true };
    },
    inspect: (_placement: Placement): Promise<RunningService[]> => Promise.resolve([]),
    stop: (_request: ServiceRequest) => done({ stopped: 0 }),
    restart: (_request: ServiceRequest) => done({}),
    remove: (_request: ServiceRequest) => done({ removed: 0 }),
    destroy: (request: ServiceRequest) => {
      destroyed.push(`${request.placement.env}/${request.service.name}`);
      return done({ removed: [] });
    },
  };
  return {
    target,
    rollouts,
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
