import { fork, type ChildProcess } from 'node:child_process';
import type { ProfileSummary } from './cpu-profile.ts';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parseEnv } from '../src/config/env.ts';
import type { EnvironmentConfig } from '../src/config/hoist-config.ts';
import type { ActionCommand, RequestOptions } from '../src/service/contract.ts';
import type { Target } from '../src/engine/ports.ts';
import { startHoist, type Mode, type RunningHoist } from '../src/main.ts';
import { createTestDatabase, uniquePrefix } from '../test/support/databases.ts';
import { pushImageTags, tagRotation } from '../test/support/image-tags.ts';
import { deleteKeys, hoistLogger } from './bench-hoist.ts';
import { pgCounter } from './pg-counter.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///run/podman/podman.sock';
export const BASE_IMAGE = '127.0.0.1:5000/hoist-base/busybox:1';

/**
 * A hoist.yaml with one app whose only service is a `container` (a prebuilt image: nothing is
 * built); `settings` adds keys to an environment's flow mapping (e.g. its `approval:`).
 */
export function containerAppYaml(app: string, envs: readonly string[], settings: Readonly<Record<string, string>> = {}): string {
  return `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: 127.0.0.1:5000/hoist-bench }
apps:
  ${app}:
    repo: .
    services:
      box: { type: container, image: ${BASE_IMAGE}, command: ["/bin/busybox", "sleep", "3600"] }
    environments:
${envs.map((e) => `      ${e}: { target: engine${settings[e] === undefined ? '' : `, ${settings[e]}`} }`).join('\n')}
`;
}

/**
 * Deploys tag `tag` of the app's one service (the base image tagged again: see pushImageTags).
 * Requests waiting at once each name another tag, since identical ones would coalesce into one
 * deployment; the tag is looked up in the registry at request time (one HEAD to the local registry).
 */
export const deployCommand = (app: string, env: string, tag: string): ActionCommand => ({ verb: 'deploy', scope: { app, services: ['box'] }, env, ref: tag });
export const REQUEST: RequestOptions = { requester: { id: 'U0BENCH', name: 'bench' }, origin: { kind: 'none' }, trigger: 'api' };

export interface DeploymentRow {
  id: number;
  env: string;
  status: string;
  reason: string | null;
  executor: string | null;
  requested_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export interface ScenarioHoist {
  hoist: RunningHoist;
  app: string;
  /** The environment variables this Hoist runs with: more processes of it start with them. */
  vars: Record<string, string>;
  /** Requests a deployment in `env` (each a version not already requested there, in turn), as `as` (default: the bench, from no chat); its id. */
  request(env: string, as?: RequestOptions): Promise<number>;
  /** Reads the deployments table directly (the bench's own pool). */
  rows(where?: { ids?: number[]; env?: string }): Promise<DeploymentRow[]>;
  /** Waits until no deployment of the app is unfinished; false on timeout. */
  drained(timeoutMs: number, pollMs?: number): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * A whole Hoist in this process on a fresh Postgres database and Redis prefix, for
 * the orchestration scenarios; `targetFor` replaces the configured targets.
 */
export async function startScenarioHoist(options: {
  app: string;
  envs: readonly string[];
  mode: Mode;
  concurrency: number;
  /** How many requests may wait at once in one environment (each must name another version). */
  versions: number;
  targetFor?: (environment: EnvironmentConfig) => Target;
  /** Keys added to an environment's settings in hoist.yaml (see containerAppYaml). */
  envSettings?: Readonly<Record<string, string>>;
  /** The Slack edge, against this Web API (none: Hoist runs without Slack). */
  slack?: { apiUrl: string; token: string; signingSecret: string };
  logFile: string;
  logLevel: string;
  /** Where Redis is, as Hoist's variables say it (default: REDIS_URL or this machine's Redis); the prefix is the bench's own. */
  redis?: { vars: Record<string, string>; hashTagged: boolean };
}): Promise<ScenarioHoist> {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  const cleanUp = async () => {
    const failures: string[] = [];
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
    cleanups.length = 0;
    if (failures.length > 0) throw new Error(`cleaning up a scenario's Hoist: ${failures.join('; ')}`);
  };
  try {
    const dir = mkdtempSync(join(tmpdir(), 'hoist-bench-orch-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }));
    writeFileSync(join(dir, 'hoist.yaml'), containerAppYaml(options.app, options.envs, options.envSettings));
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const bare = uniquePrefix().replace('hoist-test-', 'hoist-bench-');
    const prefix = options.redis?.hashTagged ? `{${bare}}` : bare;
    // A Redis of the scenario's own goes away with it; this machine's keeps only others' keys.
    if (!options.redis) cleanups.push(() => deleteKeys(redisUrl, `${prefix}:*`));
    const vars: Record<string, string> = {
      DATABASE_URL: database.url,
      ...(options.redis ? options.redis.vars : { REDIS_URL: redisUrl }),
      HOIST_REDIS_PREFIX: prefix,
      HOIST_CONFIG: join(dir, 'hoist.yaml'),
      HOIST_DATA_DIR: join(dir, 'data'),
      DOCKER_HOST,
      HOIST_REGISTRY_URL: '127.0.0.1:5000/hoist-bench',
      HOIST_WORKER_CONCURRENCY: String(options.concurrency),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: options.logLevel,
      ...(options.slack ? { SLACK_BOT_TOKEN: options.slack.token, SLACK_SIGNING_SECRET: options.slack.signingSecret, SLACK_API_URL: options.slack.apiUrl } : {}),
    };
    const env = parseEnv(vars);
    const logger = hoistLogger(env.logLevel, options.logFile);
    const hoist = await startHoist({ env, mode: options.mode, shell: null, logger, ...(options.targetFor ? { targetFor: options.targetFor } : {}) });
    cleanups.push(() => hoist.stop());
    const pool = new pg.Pool({ connectionString: database.url, max: 2 });
    // The bench's own polling is not Hoist's work.
    pool.on('connect', (client) => pgCounter().ignore(client));
    cleanups.push(() => pool.end());
    const rows = async (where: { ids?: number[]; env?: string } = {}): Promise<DeploymentRow[]> => {
      const params: unknown[] = [options.app];
      let filter = '';
      if (where.ids) {
        params.push(where.ids);
        filter += ` and id = any($${params.length})`;
      }
      if (where.env) {
        params.push(where.env);
        filter += ` and env = $${params.length}`;
      }
      const result = await pool.query<DeploymentRow>(
        `select id, env, status, reason, executor, requested_at, started_at, finished_at from deployments where app = $1${filter} order by id`,
        params,
      );
      return result.rows;
    };
    const drained = async (timeoutMs: number, pollMs = 50): Promise<boolean> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { rows: r } = await pool.query<{ n: number }>('select count(*)::int as n from deployments where app = $1 and finished_at is null', [options.app]);
        if (r[0]?.n === 0) return true;
        if (Date.now() > deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    };
    const nextTag = tagRotation(await pushImageTags(BASE_IMAGE, options.versions));
    const request = async (env: string, as: RequestOptions = REQUEST): Promise<number> => {
      const result = await hoist.api.request(deployCommand(options.app, env, nextTag(env)), as);
      if (!result.ok) throw new Error(`deploy ${options.app} to ${env} refused: ${result.code} ${result.reason}`);
      return result.deployment.id;
    };
    return { hoist, app: options.app, vars, request, rows, drained, stop: cleanUp };
  } catch (error) {
    await cleanUp().catch(() => undefined);
    throw error;
  }
}

export interface NoopWorkers {
  pids: number[];
  stop(): Promise<void>;
  /** Each worker profiles its CPU from now (resolves once all do). */
  startProfiles(): Promise<void>;
  /** Each worker writes its profile to `<prefix><n>.cpuprofile`; their summaries. */
  stopProfiles(prefix: string): Promise<ProfileSummary[]>;
  /** Each worker counts the statements it sends to Postgres from now (`callers`: per the code that sent them; see pg-counter.ts). */
  startCounting(callers: boolean): Promise<void>;
  /** What the workers counted since startCounting, added up. */
  stopCounting(): Promise<{ statements: number; top: Record<string, number> }>;
}

/** The next message of a worker that has `key`. */
function nextMessage<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (message: Record<string, unknown>) => {
      if (!(key in message)) return;
      child.off('message', on);
      resolve(message[key] as T);
    };
    child.on('message', on);
  });
}

/**
 * `count` worker processes (`bench/noop-worker.ts`: `hoist worker` with the no-op target),
 * each with `vars` (its HOIST_WORKER_CONCURRENCY included); resolves once all are running.
 */
export async function startNoopWorkers(count: number, vars: Record<string, string>, logFile: string): Promise<NoopWorkers> {
  const fd = openSync(logFile, 'a');
  const children: ChildProcess[] = [];
  const exited = new Map<ChildProcess, Promise<void>>();
  const stop = async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    }
    await Promise.all(
      children.map((child) =>
        Promise.race([
          exited.get(child),
          new Promise<void>((resolve) =>
            setTimeout(() => {
              if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
              resolve();
            }, 10_000).unref(),
          ),
        ]),
      ),
    );
    closeSync(fd);
  };
  try {
    const pids = await Promise.all(
      Array.from({ length: count }, () => {
        const child = fork(fileURLToPath(new URL('./noop-worker.ts', import.meta.url)), [], {
          cwd: ROOT,
          execArgv: ['--import', 'tsx'],
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...vars },
          stdio: ['ignore', fd, fd, 'ipc'],
        });
        children.push(child);
        exited.set(child, new Promise<void>((resolve) => child.once('exit', () => resolve())));
        return new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('a no-op worker process did not start within 60 s')), 60_000);
          child.once('message', (message: { running?: number }) => {
            clearTimeout(timer);
            resolve(message.running ?? child.pid ?? 0);
          });
          child.once('exit', (code) => {
            clearTimeout(timer);
            reject(new Error(`a no-op worker process exited with ${String(code)} before it ran`));
          });
        });
      }),
    );
    return {
      pids,
      stop,
      async startProfiles() {
        await Promise.all(
          children.map((child) => {
            const started = nextMessage<boolean>(child, 'profiling');
            child.send({ profile: 'start' });
            return started;
          }),
        );
      },
      async startCounting(callers) {
        await Promise.all(
          children.map((child) => {
            const started = nextMessage<boolean>(child, 'counting');
            child.send({ count: 'start', callers });
            return started;
          }),
        );
      },
      async stopCounting() {
        const each = await Promise.all(
          children.map((child) => {
            const counted = nextMessage<{ statements: number; top: Record<string, number> }>(child, 'counted');
            child.send({ count: 'stop' });
            return counted;
          }),
        );
        const top: Record<string, number> = {};
        for (const one of each) for (const [kind, n] of Object.entries(one.top)) top[kind] = (top[kind] ?? 0) + n;
        return { statements: each.reduce((n, one) => n + one.statements, 0), top: Object.fromEntries(Object.entries(top).sort((a, b) => b[1] - a[1])) };
      },
      async stopProfiles(prefix) {
        return Promise.all(
          children.map((child, n) => {
            const written = nextMessage<ProfileSummary>(child, 'profiled');
            child.send({ profile: 'stop', file: `${prefix}${n + 1}.cpuprofile` });
            return written;
          }),
        );
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
