/**
 * `--scenarios push`: from a signed GitHub push webhook's arrival at /webhooks/github to the
 * deployment it requests starting (the executor takes it: `deployments.started_at`), one push
 * at a time, in an environment with `autoDeploy: true`; the git repository is a local one, the
 * target does no work (test/fakes/noop-target.ts). Argo CD's documented default poll interval
 * (`timeout.reconciliation`, 180 s) is given beside it as context: what a poller without a
 * webhook waits at worst before it even looks.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parseEnv } from '../src/config/env.ts';
import { startHoist } from '../src/main.ts';
import { createGitFixture } from '../test/engine/git-fixture.ts';
import { createNoopTarget } from '../test/fakes/noop-target.ts';
import { pushPayload, signGitHubPayload } from '../test/fakes/github-webhook.ts';
import { createTestDatabase, uniquePrefix } from '../test/support/databases.ts';
import { deleteKeys, hoistLogger } from './bench-hoist.ts';
import { epochMs } from './open-loop.ts';
import { DOCKER_HOST } from './orchestration-hoist.ts';
import type { Result } from './result.ts';
import { summarize } from './stats.ts';

const SECRET = 'bench-push-secret';
const WARMUP_ROUNDS = 2;
const STEP_TIMEOUT_MS = 60_000;
/** Argo CD's default `timeout.reconciliation` (argocd-cm): how often it polls a repository without a webhook. */
export const ARGO_CD_POLL_MS = 180_000;

export async function runPushBench(options: { rounds: number; logFile: string }, say: (line: string) => void): Promise<{ results: Result[]; lines: string[] }> {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  try {
    const repo = createGitFixture('hoist-bench-push');
    cleanups.push(() => repo.remove());
    repo.commit('v0', { Dockerfile: 'FROM scratch\nCOPY VERSION /VERSION\n', VERSION: 'v0' });
    const dir = mkdtempSync(join(tmpdir(), 'hoist-bench-push-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      join(dir, 'hoist.yaml'),
      `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: 127.0.0.1:5000/hoist-bench }
apps:
  shop:
    repo: ${repo.dir}
    github: acme/shop
    services:
      web: { type: application, build: { context: . } }
    environments:
      staging: { target: engine, branch: main, autoDeploy: true }
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
      HOIST_REGISTRY_URL: '127.0.0.1:5000/hoist-bench',
      GITHUB_WEBHOOK_SECRET: SECRET,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
    const noop = createNoopTarget();
    const hoist = await startHoist({ env, mode: 'start', shell: null, logger: hoistLogger('warn', options.logFile), targetFor: () => noop.target });
    cleanups.push(() => hoist.stop());
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    cleanups.push(() => pool.end());
    const url = `http://127.0.0.1:${hoist.port}/webhooks/github`;

    const waitFor = async <T>(what: string, probe: () => Promise<T | null>): Promise<T> => {
      const deadline = Date.now() + STEP_TIMEOUT_MS;
      for (;;) {
        const value = await probe();
        if (value !== null) return value;
        if (Date.now() > deadline) throw new Error(`push bench: ${what} did not happen within ${STEP_TIMEOUT_MS / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const row = async (sha: string) =>
      (await pool.query<{ id: number; status: string; started_at: Date | null; finished_at: Date | null }>('select id, status, started_at, finished_at from deployments where sha = $1', [sha])).rows[0] ?? null;

    say(`… push: ${WARMUP_ROUNDS} warm-up pushes, then ${options.rounds} signed push webhooks one at a time`);
    const samples: number[] = [];
    for (let round = -WARMUP_ROUNDS; round < options.rounds; round += 1) {
      const sha = repo.commit(`v${round + WARMUP_ROUNDS + 1}`, { VERSION: String(round) });
      const body = JSON.stringify(pushPayload({ repository: 'acme/shop', ref: 'main', after: sha, pusher: 'bench', message: 'bench push' }));
      // GitHub signs before it sends: not Hoist's time.
      const headers = { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': `bench-${sha}`, 'x-hub-signature-256': signGitHubPayload(body, SECRET) };
      const t0 = epochMs();
      const response = await fetch(url, { method: 'POST', headers, body });
      if (response.status !== 202) throw new Error(`push bench: the push was answered HTTP ${response.status}: ${await response.text()}`);
      const started = await waitFor(`the start of the deploy of ${sha.slice(0, 12)}`, async () => (await row(sha))?.started_at ?? null);
      await waitFor(`the end of the deploy of ${sha.slice(0, 12)}`, async () => ((await row(sha))?.finished_at ? true : null));
      if (round >= 0) samples.push(started.getTime() - t0);
    }
    const push: Result = {
      id: 'push-webhook-start-hoist',
      scenario: 'push webhook → deploy start (Hoist)',
      app: 'hoist',
      measure: 'start',
      load: `${options.rounds} signed push deliveries one at a time (each a new commit of a local repository), one process (start mode), no-op target`,
      ...summarize(samples, 0),
      notes: { clock: 'from the bench sending the signed POST to deployments.started_at (Postgres clock, millisecond precision; same machine)' },
    };
    const argo: Result = {
      id: 'push-argocd-poll-context',
      scenario: 'Argo CD default poll interval (context, not measured)',
      app: 'argocd-documented',
      measure: 'start',
      load: 'documented default: argocd-cm timeout.reconciliation 180s — a repository change is noticed within that interval when no webhook is configured',
      ...summarize([], 0),
      // Not a measurement: the longest a change waits before Argo CD polls, without a webhook.
      maxMs: ARGO_CD_POLL_MS,
      notes: { documentedIntervalMs: ARGO_CD_POLL_MS, source: 'https://argo-cd.readthedocs.io/en/stable/operator-manual/argocd-cm-yaml/ (timeout.reconciliation: 180s)' },
    };
    const figure = `p50 ${String(push.p50Ms)} / p99 ${String(push.p99Ms)} / max ${String(push.maxMs)} ms`;
    return { results: [push, argo], lines: [`Push webhook → deploy start (${options.rounds} pushes): ${figure}; beside Argo CD's default poll interval of ${ARGO_CD_POLL_MS / 1000} s without a webhook (context)`] };
  } finally {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch((error: unknown) => console.error('push bench: cleaning up failed:', error));
  }
}
