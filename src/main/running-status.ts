import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { EnvironmentConfig } from '../config/hoist-config.ts';
import type { Target } from '../engine/ports.ts';
import { createRunningWatcher, type WatchedTarget } from '../jobs/running-watcher.ts';
import type { SharedParts } from './shared-parts.ts';

/**
 * The running status of every environment's services: each worker process takes part; the
 * database says which one follows each target. What it records reaches every process's board.
 */
export function startRunningStatus(shared: SharedParts, targetFor: (environment: EnvironmentConfig) => Target): void {
  const byTarget = new Map<string, { target: Target; environments: WatchedTarget['environments'][number][] }>();
  for (const app of shared.config.apps.values()) {
    for (const env of app.environments.values()) {
      const entry = byTarget.get(env.targetName) ?? { target: targetFor(env), environments: [] };
      byTarget.set(env.targetName, entry);
      entry.environments.push({
        placement: { app: app.name, env: env.name, namespace: env.namespace, target: env.target },
        services: env.services.map((s) => ({ name: s.name, type: s.type })),
        channel: env.notify.channel ?? app.channels[0] ?? null,
      });
    }
  }
  if (byTarget.size === 0) return;
  const watcher = createRunningWatcher({
    db: shared.db,
    targets: [...byTarget].map(([name, { target, environments }]) => ({ name, environments, watch: (placements, onReading) => target.watchRunning(placements, onReading) })),
    holder: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
    logger: shared.logger,
    onRecorded: () => shared.notify(),
    absorbs: (error, source) => shared.redisHealth.absorbs(error, source),
  });
  watcher.start();
  shared.stops.add(() => watcher.stop(), 'the running status watch');
}
