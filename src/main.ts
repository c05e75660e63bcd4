import { createWriteStream, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Env } from './config/env.ts';
import { loadHoistConfig, type EnvironmentConfig, type HoistConfig } from './config/hoist-config.ts';
import type { Target } from './engine/ports.ts';
import { createLogger } from './logger.ts';
import type { LocalAdminToken } from './main/api-tokens.ts';
import { startGitPolling } from './main/git-polling.ts';
import { startServerRole, type ShellOptions } from './main/server-role.ts';
import { startSharedParts } from './main/shared-parts.ts';
import { serveMetricsPort } from './main/metrics-port.ts';
import { createStopList } from './main/stop-list.ts';
import { startWorkerRole } from './main/worker-role.ts';
import type { HoistService } from './service/contract.ts';

export type Mode = 'start' | 'server' | 'worker';

export interface HoistOptions {
  env: Env;
  mode: Mode;
  /** The terminal chat's input and output (`start` without Slack tokens). */
  shell?: ShellOptions | null;
  /** Where environments run, for embedding Hoist (benchmarks measure orchestration with a target that does no work). */
  targetFor?: (environment: EnvironmentConfig) => Target;
  /** Every `autoDeploy: { poll }` interval replaced by this one (tests and benchmarks; hoist.yaml's minimum is 10s). */
  pollIntervalMs?: number;
  logger?: Logger;
}

export interface RunningHoist {
  config: HoistConfig;
  api: HoistService;
  /** The HTTP port actually bound (null for a worker). */
  port: number | null;
  /** The port of its own `/metrics` is served on (HOIST_METRICS_PORT); null: none. */
  metricsPort: number | null;
  /** Resolves with the exit code when the piped terminal chat has finished; null when its input ended before any command. */
  shellDone: Promise<number | null> | null;
  /** The local admin token's file (HOIST_ADMIN_TOKEN_FILE), and whether this start made it. */
  localAdmin: LocalAdminToken | null;
  stop(): Promise<void>;
}

/**
 * Starts Hoist: the only place that wires the parts together (`server`: HTTP and chat;
 * `worker`: running deployments; `start`: both); stop() undoes it in reverse.
 */
export async function startHoist(options: HoistOptions): Promise<RunningHoist> {
  const { env, mode } = options;
  const config = loadHoistConfig(env.configPath, env.variable);
  const dataDir = resolve(env.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const shell = mode === 'start' && !env.slack ? (options.shell ?? null) : null;
  const logger =
    options.logger ??
    // The terminal chat owns stdout: logs go to a file then.
    createLogger(env.logLevel, shell ? createWriteStream(resolve(dataDir, 'hoist.log'), { flags: 'a' }) : undefined);
  const stops = createStopList(logger);

  try {
    const shared = await startSharedParts({ env, config, dataDir, logger, stops }, { targetFor: options.targetFor });
    if (mode !== 'server') await startWorkerRole(shared);
    const served = mode === 'worker' ? { port: null, shellDone: null, localAdmin: null } : await startServerRole(shared, { shell });
    startGitPolling(shared, { intervalMs: options.pollIntervalMs });
    const metricsPort = await serveMetricsPort(shared);
    return { config, api: shared.api, ...served, metricsPort, stop: stops.stopAll };
  } catch (error) {
    await stops.stopAll();
    throw error;
  }
}
