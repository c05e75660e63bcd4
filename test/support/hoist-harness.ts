import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from '../../src/config/env.ts';
import { createLogger } from '../../src/logger.ts';
import { startHoist, type HoistOptions, type RunningHoist } from '../../src/main.ts';
import { createTestDatabase, uniquePrefix } from './databases.ts';

export const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///run/podman/podman.sock';
export const REGISTRY = process.env.HOIST_TEST_REGISTRY ?? '127.0.0.1:5000/hoist-test';
export const BASE_IMAGE = '127.0.0.1:5000/hoist-base/busybox:1';

export interface TestHoist {
  hoist: RunningHoist;
  baseUrl: string;
  dir: string;
  /** The environment variables this Hoist runs with: start more processes of it with them. */
  vars: Record<string, string>;
  databaseUrl: string;
  /** An admin API token of this Hoist, sent by `api`; null where Hoist has none. */
  apiToken: string | null;
  /** Calls `/api/v1<path>` of this Hoist as its admin token. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** Stops this Hoist, its database and Redis prefix kept (as a restart would); `resume` starts it again on them. */
  halt(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** What every Hoist under test runs with: its database, a Redis prefix of its own, its hoist.yaml and data in `dir`, the test engine and registry, any free port. */
export function hoistVars(dir: string, databaseUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    HOIST_REDIS_PREFIX: uniquePrefix(),
    HOIST_CONFIG: join(dir, 'hoist.yaml'),
    HOIST_DATA_DIR: join(dir, 'data'),
    DOCKER_HOST,
    HOIST_REGISTRY_URL: REGISTRY,
    PORT: '0',
    HOST: '127.0.0.1',
  };
}

function slackVars(slack: NonNullable<Parameters<typeof startTestHoist>[0]['slack']>): Record<string, string> {
  const delivery: Record<string, string> = 'appToken' in slack ? { SLACK_APP_TOKEN: slack.appToken } : { SLACK_SIGNING_SECRET: slack.signingSecret };
  // The fakes these tests start limit no posts (or say so in `env`): Hoist need not pace them at Slack's 1/s.
  return { SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.apiUrl, SLACK_POSTS_PER_SECOND: '1000', ...delivery };
}

/** Starts a whole Hoist (HTTP, chat, workers) on a fresh database and Redis prefix. */
export async function startTestHoist(options: {
  yaml: string;
  /** Slack over HTTP (a signing secret) or Socket Mode (an app-level token). */
  slack?: { apiUrl: string; token: string } & ({ signingSecret: string } | { appToken: string });
  shell?: HoistOptions['shell'];
  env?: Record<string, string>;
  mode?: HoistOptions['mode'];
  /** Where Hoist logs (default: Hoist's own logger at LOG_LEVEL, on stdout). */
  logger?: HoistOptions['logger'];
  /** Replaces every `autoDeploy: { poll }` interval (hoist.yaml's minimum is 10s). */
  pollIntervalMs?: number;
}): Promise<TestHoist> {
  const dir = mkdtempSync(join(tmpdir(), 'hoist-e2e-'));
  writeFileSync(join(dir, 'hoist.yaml'), options.yaml);
  const database = await createTestDatabase();
  // Every test Hoist has an admin token, seeded as a container would seed it; `api` sends it.
  const apiToken = `hoist_${randomBytes(32).toString('base64url')}`;
  const vars: Record<string, string> = {
    ...hoistVars(dir, database.url),
    LOG_LEVEL: process.env.HOIST_TEST_LOG_LEVEL ?? 'silent',
    ...(options.slack ? slackVars(options.slack) : {}),
    ...options.env,
    HOIST_API_TOKENS: [`test-admin:admin:${apiToken}`, options.env?.HOIST_API_TOKENS].filter(Boolean).join(','),
  };
  const env = parseEnv(vars);
  const logger = options.logger ?? createLogger(env.logLevel);
  const start = () => startHoist({ env, mode: options.mode ?? 'start', shell: options.shell ?? null, logger, ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }) });
  let hoist: RunningHoist | null;
  try {
    hoist = await start();
  } catch (error) {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const running = (): RunningHoist => {
    if (hoist === null) throw new Error('this Hoist is halted');
    return hoist;
  };
  const testHoist: TestHoist = {
    get hoist() {
      return running();
    },
    get baseUrl() {
      return `http://127.0.0.1:${running().port}`;
    },
    dir,
    vars,
    databaseUrl: database.url,
    apiToken,
    async api(path, init = {}) {
      const headers = new Headers(init.headers);
      if (testHoist.apiToken !== null) headers.set('authorization', `Bearer ${testHoist.apiToken}`);
      return fetch(`http://127.0.0.1:${running().port}/api/v1${path}`, { ...init, headers });
    },
    async halt() {
      await running().stop();
      hoist = null;
    },
    async resume() {
      hoist ??= await start();
    },
    async stop() {
      await hoist?.stop();
      hoist = null;
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return testHoist;
}

/**
 * A free TCP port on loopback, outside the kernel's ephemeral range (32768–60999): a port from
 * that range can be taken at any moment as the local port of some outgoing connection, and a
 * container that has to bind it again (a swap frees it for a moment) would fail to start. Each
 * test worker draws from its own slice, so two files running side by side never pick the same.
 */
export async function freePort(): Promise<number> {
  const pool = Number(process.env.VITEST_POOL_ID ?? 1) || 1;
  const base = 20_000 + ((pool - 1) % 3) * 4_000;
  for (let tries = 0; tries < 200; tries++) {
    const port = base + Math.floor(Math.random() * 4_000);
    if (handedOut.has(port)) continue;
    if (await listenable(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port in 127.0.0.1:${base}-${base + 3_999}`);
}

const handedOut = new Set<number>();

function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A Dockerfile for a tiny web app on the local base image, answering `marker` on /. */
export function webAppFiles(marker: string): Record<string, string> {
  return {
    Dockerfile: `FROM ${BASE_IMAGE}\nCOPY www /www\nEXPOSE 8080\nCMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
    'www/index.html': `${marker}\n`,
  };
}

/** The start of a hoist.yaml with the test engine and registry and one app, `app`, built from `repo`. */
const appYamlHead = (app: string, repo: string): string => `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
  ${app}:
    repo: ${repo}
`;

/** One app whose one service, `web`, runs the base image's httpd (an image service: no build); `environments` are its lines under `environments:`. */
export function containerAppYaml(options: { app: string; repo?: string; environments: string }): string {
  return `${appYamlHead(options.app, options.repo ?? '.')}    services:
      web: { type: container, image: "${BASE_IMAGE}", command: ["/bin/busybox", "httpd", "-f", "-p", "8080"] }
    environments:
${options.environments}`;
}

export function appYaml(options: { app: string; repo: string; env?: string; port: number; healthTimeout?: string; extraEnvs?: string[] }): string {
  const envName = options.env ?? 'e2e';
  return `${appYamlHead(options.app, options.repo)}    services:
      web:
        type: application
        build: { context: . }
        port: 8080
        health: { path: /, timeout: ${options.healthTimeout ?? '20s'} }
    environments:
      ${envName}: { target: engine, expose: { web: ${options.port} } }
${(options.extraEnvs ?? []).map((e) => `      ${e}: { target: engine }`).join('\n')}
`;
}

/** One app with one built web service, operated from `channel`; `environments` are its lines under `environments:`. */
export function channelAppYaml(options: { app: string; repo: string; channel: string; environments: string }): string {
  return `${appYamlHead(options.app, options.repo)}    channels: [${options.channel}]
    services:
      web: { type: application, build: { context: . }, port: 8080, health: { path: /, timeout: 30s } }
    environments:
${options.environments}`;
}

export async function httpText(url: string): Promise<{ status: number; text: string } | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return { status: res.status, text: await res.text() };
  } catch {
    return null;
  }
}

/** Polls `fn` until it returns a truthy value (for peers that offer no event to await). */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function randomName(prefix: string): string {
  return `${prefix}${Math.random().toString(36).slice(2, 8).replace(/[^a-z0-9]/g, 'x')}`;
}
