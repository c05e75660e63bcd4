import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { createLogger } from '../src/logger.ts';
import { parseEnv } from '../src/config/env.ts';
import { startHoist, type RunningHoist } from '../src/main.ts';
import { createGitFixture } from '../test/engine/git-fixture.ts';
import { createTestDatabase, uniquePrefix } from '../test/support/databases.ts';

export const BENCH_APP = 'shop';
/** Takes the open-loop load. */
export const LOAD_ENV = 'staging';
/** Takes the one-at-a-time commands, so their queue is not the load's. */
export const CARD_ENV = 'qa';

export interface BenchHoist {
  hoist: RunningHoist;
  /** `…/slack/events` of this Hoist (over Socket Mode nothing answers there). */
  url: string;
  /** Full SHAs of as many commits of the app's repository as were asked for: a version per command. */
  versions: string[];
  stop(): Promise<void>;
}

/**
 * `deploy shop@<sha> to <env>`: each command names a commit of its own, since identical
 * requests waiting in an environment coalesce into one deployment (no card of their own).
 * A full SHA is resolved as the default branch is (one `git rev-parse` after the fetch), and
 * the commits sit on one branch, so the fetch each request makes sees no more refs than before.
 */
export const deployText = (env: string, version: string): string => `deploy ${BENCH_APP}@${version} to ${env}`;

/**
 * `count` commits on top of `main`, each with the same tree, made by one `git fast-import`
 * (a process per commit would take seconds for a load's thousand); their SHAs, oldest first.
 */
function commitChain(dir: string, count: number): string[] {
  const commits = Array.from({ length: count }, (_, i) => {
    const message = `bench version ${i + 1}\n`;
    return `commit refs/heads/main\ncommitter Hoist Bench <bench@hoist.invalid> 1700000000 +0000\ndata ${Buffer.byteLength(message)}\n${message}${i === 0 ? 'from refs/heads/main^0\n' : ''}\n`;
  });
  const git = (args: string[], input?: string) => execFileSync('git', args, { cwd: dir, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  git(['fast-import', '--quiet'], commits.join(''));
  return git(['rev-list', '--reverse', `--max-count=${count}`, 'main']).trim().split('\n');
}

const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///run/podman/podman.sock';

/**
 * Hoist's HTTP server, Slack edge and notifier (`server` mode, no workers) on a
 * fresh Postgres database and Redis prefix, with one app built from a local git
 * repository. Without workers the deployments stay queued: nothing is built, so
 * what is measured is the chat edge.
 */
export async function startBenchHoist(options: {
  /** Slack over HTTP (a signing secret) or Socket Mode (an app-level token). */
  slack: { apiUrl: string; token: string } & ({ signingSecret: string } | { appToken: string });
  logLevel: string;
  /** Hoist's log lines go to this file, away from the table. */
  logFile: string;
  /** How many distinct commits to make deployable (see deployText). */
  versions: number;
}): Promise<BenchHoist> {
  const cleanups: (() => Promise<void> | void)[] = [];
  /** Every step runs even when one fails (the database must be dropped whatever else went wrong). */
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
    if (failures.length > 0) throw new Error(`cleaning up the bench's Hoist: ${failures.join('; ')}`);
  };
  try {
    const repo = createGitFixture('hoist-bench-repo');
    cleanups.push(() => repo.remove());
    repo.commit('a web app', {
      Dockerfile: 'FROM scratch\nCOPY www /www\nEXPOSE 8080\n',
      'www/index.html': 'hello\n',
    });
    const versions = commitChain(repo.dir, options.versions);
    const dir = mkdtempSync(join(tmpdir(), 'hoist-bench-'));
    // A git fetch of a command still being carried out may write into it while it goes.
    cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }));
    writeFileSync(
      join(dir, 'hoist.yaml'),
      `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: 127.0.0.1:5000/hoist-bench }
apps:
  ${BENCH_APP}:
    repo: ${repo.dir}
    services:
      web:
        type: application
        build: { context: . }
        port: 8080
    environments:
      ${LOAD_ENV}: { target: engine }
      ${CARD_ENV}: { target: engine }
`,
    );
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const prefix = uniquePrefix().replace('hoist-test-', 'hoist-bench-');
    cleanups.push(() => deleteKeys(redisUrl, `${prefix}:*`));
    const env = parseEnv({
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      HOIST_REDIS_PREFIX: prefix,
      HOIST_CONFIG: join(dir, 'hoist.yaml'),
      HOIST_DATA_DIR: join(dir, 'data'),
      DOCKER_HOST,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: options.logLevel,
      SLACK_BOT_TOKEN: options.slack.token,
      ...('appToken' in options.slack ? { SLACK_APP_TOKEN: options.slack.appToken } : { SLACK_SIGNING_SECRET: options.slack.signingSecret }),
      SLACK_API_URL: options.slack.apiUrl,
    });
    const hoist = await startHoist({ env, mode: 'server', shell: null, logger: hoistLogger(env.logLevel, options.logFile) });
    // Commands acknowledged but not carried out yet keep fetching the repository after
    // stop(); without it they fail at once instead of writing into the data directory.
    cleanups.push(() => repo.remove());
    cleanups.push(() => hoist.stop());
    return { hoist, url: `http://127.0.0.1:${hoist.port}/slack/events`, versions, stop: cleanUp };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** The logger of a Hoist the bench starts: Hoist's own (its lines redacted as in production), writing to `file`. */
export const hoistLogger = (level: string, file: string): Logger => createLogger(level, pino.destination({ dest: file, sync: true }));

/** The queue, lease and outbox keys this run left in Redis. */
export async function deleteKeys(url: string, pattern: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
