import type { Logger } from 'pino';
import type { EnvironmentReading } from '../domain/running-status.ts';
import type { Placement, RunningWatch } from '../engine/ports.ts';
import type { Db } from '../store/database.ts';
import { claimRunningWatch, recordReading, releaseRunningWatch } from '../store/running-status.ts';

/** An environment on a target, and what its readings need besides the target's words. */
export interface WatchedEnvironment {
  placement: Placement;
  services: readonly { name: string; type: string }[];
  /** Where a fall and a recovery are told (null: nowhere). */
  channel: string | null;
}

/** One target of hoist.yaml and the environments on it. */
export interface WatchedTarget {
  /** Its name in hoist.yaml: the key of its lease. */
  name: string;
  environments: readonly WatchedEnvironment[];
  watch(placements: readonly Placement[], onReading: (placement: Placement, reading: EnvironmentReading) => void): RunningWatch;
}

export interface RunningWatcherDeps {
  db: Db;
  targets: readonly WatchedTarget[];
  /** This process, as the holder of the targets it follows. */
  holder: string;
  logger: Logger;
  /** How long a claim holds (default 5 s); it is renewed every third of it. */
  leaseMs?: number;
  /** Called after each reading recorded (the board shows it; tests await it). */
  onRecorded?: (changed: boolean) => void;
  /** Counts a failure of an outage being logged (the database away): not logged again here. */
  absorbs?: (error: unknown, source: string) => boolean;
}

/**
 * Every process runs one: for each target it claims the lease in Postgres and renews it; the
 * holder runs the target's watch (a Kubernetes watch, the Docker engine's events) and records
 * each reading, which counts only while it still holds the lease. A process that dies stops
 * renewing and another takes the target over when the lease lapses; one that stops lets it go
 * at once. Readings are recorded one at a time per environment, the last one winning.
 */
export function createRunningWatcher(deps: RunningWatcherDeps) {
  const leaseMs = deps.leaseMs ?? 5_000;
  const log = deps.logger.child({ component: 'running-status' });
  const watches = new Map<string, RunningWatch>();
  const timers = new Map<string, NodeJS.Timeout>();
  const inFlight = new Set<Promise<unknown>>();
  let stopped = true;

  function recorder(target: WatchedTarget) {
    const byPlacement = new Map(target.environments.map((e) => [e.placement, e]));
    const pending = new Map<Placement, EnvironmentReading>();
    const writing = new Set<Placement>();
    const write = (placement: Placement): void => {
      const reading = pending.get(placement);
      const environment = byPlacement.get(placement);
      if (reading === undefined || environment === undefined || writing.has(placement)) return;
      pending.delete(placement);
      writing.add(placement);
      const scope = { target: target.name, holder: deps.holder, app: placement.app, env: placement.env, services: environment.services, channel: environment.channel };
      const done = recordReading(deps.db, scope, reading)
        .then((changes) => {
          for (const change of changes ?? []) log.info({ app: placement.app, env: placement.env, service: change.service, state: change.running.state, announce: change.announce }, 'running status changed');
          deps.onRecorded?.((changes?.length ?? 0) > 0);
        })
        .catch((error: unknown) => {
          if (!deps.absorbs?.(error, 'running status')) log.warn({ err: error, app: placement.app, env: placement.env }, 'could not record the running status');
        })
        .finally(() => {
          inFlight.delete(done);
          writing.delete(placement);
          write(placement);
        });
      inFlight.add(done);
    };
    return (placement: Placement, reading: EnvironmentReading): void => {
      pending.set(placement, reading);
      write(placement);
    };
  }

  async function tick(target: WatchedTarget): Promise<void> {
    const held = await claimRunningWatch(deps.db, target.name, deps.holder, leaseMs).catch((error: unknown) => {
      if (!deps.absorbs?.(error, 'running watch')) log.warn({ err: error, target: target.name }, 'could not claim the running watch');
      return false;
    });
    const running = watches.get(target.name);
    if (held && running === undefined && !stopped) {
      log.info({ target: target.name }, 'following the running status of the target');
      watches.set(target.name, target.watch(target.environments.map((e) => e.placement), recorder(target)));
    } else if (!held && running !== undefined) {
      log.info({ target: target.name }, 'another process follows the target now');
      watches.delete(target.name);
      await running.stop();
    }
  }

  function schedule(target: WatchedTarget, ms: number): void {
    if (stopped) return;
    timers.set(
      target.name,
      setTimeout(() => {
        const done = tick(target).finally(() => {
          inFlight.delete(done);
          schedule(target, Math.max(100, Math.floor(leaseMs / 3)));
        });
        inFlight.add(done);
      }, ms),
    );
  }

  return {
    start(): void {
      if (!stopped) return;
      stopped = false;
      for (const target of deps.targets) schedule(target, 0);
    },
    /** Stops following, waits for readings being recorded, and lets the leases go. */
    async stop(): Promise<void> {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...inFlight]);
      for (const [name, watch] of watches) {
        await watch.stop();
        await Promise.allSettled([...inFlight]);
        await releaseRunningWatch(deps.db, name, deps.holder).catch((error: unknown) => log.warn({ err: error, target: name }, 'could not let go of the running watch'));
      }
      watches.clear();
    },
  };
}

export type RunningWatcher = ReturnType<typeof createRunningWatcher>;
