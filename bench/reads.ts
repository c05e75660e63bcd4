import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeSlack, type FakeSlack } from '../test/fakes/slack-api.ts';
import { createTestDatabase } from '../test/support/databases.ts';
import { BASE_IMAGE, DOCKER_HOST, hoistVars, REGISTRY } from '../test/support/hoist-harness.ts';
import { startWorkerProcess, type WorkerProcess } from '../test/support/worker-process.ts';
import type { LoadGenerator } from './load-generator.ts';
import type { Sample } from './open-loop.ts';
import type { ReadPlan } from './read-loop.ts';
import type { Result } from './result.ts';
import { summarize } from './stats.ts';

/**
 * `--scenarios reads`: `GET /api/v1/apps/hello/environments/local` at a fixed rate, open loop
 * (each request due at its time whatever the earlier ones did, latency from that time), against
 * `hoist start` in a process of its own on Postgres and on the embedded PGlite default; beside
 * it, in the same run and with the same load, a bare Hono route returning a constant. Then the
 * resident memory (VmRSS) of each Hoist process after its load.
 */
export interface ReadsSettings {
  ratePerSecond: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
}

const SLACK_TOKEN = 'xoxb-bench-reads';
/** The API token the bench reads with, seeded through HOIST_API_TOKENS (`<name>:<scopes>:<secret>`) with the read scope only. */
const API_TOKEN = 'hoist_bench-reads-0123456789abcdefghijklmnopqrstuv';
const API_TOKENS_SPEC = `bench-reads:read:${API_TOKEN}`;
const PATH = '/api/v1/apps/hello/environments/local';

const readsYaml = (): string => `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
  hello:
    repo: .
    services:
      web: { type: container, image: ${BASE_IMAGE}, command: ["/bin/busybox", "httpd", "-f", "-p", "8080"], port: 8080 }
      worker: { type: container, image: ${BASE_IMAGE}, command: ["/bin/busybox", "sleep", "3600"] }
    environments:
      local: { target: engine }
      staging: { target: engine }
`;

/** Resident memory of a process in MB, from /proc/<pid>/status. */
export function residentMb(pid: number): number | null {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Math.round(Number(kb) / 102.4) / 10;
  } catch {
    return null;
  }
}

/** CPU seconds a process has used (user + system), from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // After the command: state is field 3, utime 14 and stime 15 (1-based) in clock ticks of 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** Milliseconds of CPU per request between two readings of cpuSeconds. */
const perRead = (before: number | null, after: number | null, requests: number): number | null =>
  before === null || after === null || requests === 0 ? null : Math.round(((after - before) * 1000 * 100) / requests) / 100;

interface ReadHoist {
  process: WorkerProcess;
  baseUrl: string;
  stop(): Promise<void>;
}

/** `hoist start` in its own process on Postgres (a fresh database) or PGlite (a fresh data directory). */
async function startReadHoist(database: 'postgres' | 'pglite', slack: FakeSlack): Promise<ReadHoist> {
  const dir = mkdtempSync(join(tmpdir(), 'hoist-bench-reads-'));
  writeFileSync(join(dir, 'hoist.yaml'), readsYaml());
  const postgres = database === 'postgres' ? await createTestDatabase() : null;
  const vars = hoistVars(dir, postgres?.url ?? '');
  if (postgres === null) delete vars.DATABASE_URL;
  const remove = async () => {
    await postgres?.drop();
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  };
  let child: WorkerProcess;
  try {
    child = await startWorkerProcess(
      { ...vars, HOIST_API_TOKENS: API_TOKENS_SPEC, SLACK_BOT_TOKEN: SLACK_TOKEN, SLACK_SIGNING_SECRET: 'bench-reads-secret', SLACK_API_URL: slack.url },
      'start',
    );
  } catch (error) {
    await remove();
    throw error;
  }
  const port = /running on http:\/\/127\.0\.0\.1:(\d+)/.exec(child.output())?.[1];
  return {
    process: child,
    baseUrl: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      const exited = await Promise.race([child.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 20_000))]);
      if (!exited) child.kill('SIGKILL');
      await remove();
    },
  };
}

/** The bare Hono baseline (bench/bare-hono.ts) in a process of its own. */
async function startBareHono(): Promise<{ url: string; pid: number; stop(): void }> {
  const child = fork(fileURLToPath(new URL('./bare-hono.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`the bare Hono app exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}/constant`,
    pid: child.pid ?? 0,
    stop: () => {
      if (child.connected) child.disconnect();
    },
  };
}

function readResult(id: string, scenario: string, app: Result['app'], load: string, samples: Sample[], notes?: Record<string, unknown>): Result {
  const measured = samples.filter((s) => !s.warmup);
  const ok = measured.filter((s) => s.error === null);
  const errors = measured.length - ok.length;
  const firstError = measured.find((s) => s.error !== null)?.error;
  return {
    id,
    scenario,
    app,
    measure: 'read',
    load,
    ...summarize(
      ok.map((s) => s.latencyMs),
      errors,
    ),
    notes: { ...notes, ...(firstError ? { firstError } : {}), maxSendLagMs: Math.round(Math.max(0, ...measured.map((s) => s.sendLagMs)) * 100) / 100 },
  };
}

export async function runReads(settings: ReadsSettings, generator: LoadGenerator, say: (line: string) => void): Promise<{ results: Result[]; lines: string[] }> {
  const load = `open loop ${settings.ratePerSecond} req/s for ${settings.durationSeconds} s (after ${settings.warmupSeconds} s warm-up), ${settings.connections} keep-alive connections`;
  const plan = (url: string, headers: Record<string, string> = {}): ReadPlan => ({ kind: 'reads', url, headers, ...settings });
  const results: Result[] = [];
  const lines: string[] = [];
  const slack = await startFakeSlack({ token: SLACK_TOKEN, rateLimitPerChannelPerSecond: 0 });
  try {
    say('… reads: bare Hono route (baseline)');
    const bare = await startBareHono();
    try {
      const cpuBefore = cpuSeconds(bare.pid);
      const samples = await generator.run(plan(bare.url));
      const cpuMsPerRead = perRead(cpuBefore, cpuSeconds(bare.pid), samples.length);
      results.push(readResult('read-hono-baseline', 'read, bare Hono route (baseline)', 'hono-baseline', load, samples, { cpuMsPerRead }));
      lines.push(`bare Hono route: ${cpuMsPerRead ?? '?'} ms of its CPU per read`);
    } finally {
      bare.stop();
    }
    for (const database of ['postgres', 'pglite'] as const) {
      say(`… reads: hoist start on ${database}`);
      const hoist = await startReadHoist(database, slack);
      try {
        const rssAtStart = residentMb(hoist.process.pid);
        const url = `${hoist.baseUrl}${PATH}`;
        const check = await fetch(url, { headers: { authorization: `Bearer ${API_TOKEN}` } });
        if (check.status !== 200) throw new Error(`GET ${PATH} answered ${check.status}: ${await check.text()}`);
        const cpuBefore = cpuSeconds(hoist.process.pid);
        const samples = await generator.run(plan(url, { authorization: `Bearer ${API_TOKEN}` }));
        const cpuAfter = cpuSeconds(hoist.process.pid);
        const rssAfter = residentMb(hoist.process.pid);
        const cpuMsPerRead = perRead(cpuBefore, cpuAfter, samples.length);
        results.push(
          readResult(`read-status-hoist-${database}`, `read GET ${PATH} (Hoist, ${database})`, 'hoist', load, samples, { rssAtStartMb: rssAtStart, rssAfterLoadMb: rssAfter, cpuMsPerRead }),
        );
        lines.push(`hoist start on ${database}: resident ${rssAtStart ?? '?'} MB after start, ${rssAfter ?? '?'} MB after the reads (VmRSS of pid ${hoist.process.pid}); ${cpuMsPerRead ?? '?'} ms of Hoist's CPU per read`);
      } finally {
        await hoist.stop();
      }
    }
  } finally {
    await slack.close();
  }
  const base = results.find((r) => r.id === 'read-hono-baseline');
  for (const r of results) {
    if (r === base || base?.p99Ms == null || r.p99Ms === null) continue;
    lines.push(`${r.scenario}: p99 ${r.p99Ms} ms = ${(r.p99Ms / base.p99Ms).toFixed(1)}× the bare route's ${base.p99Ms} ms (goal ≤ 3×); errors ${r.errors}`);
  }
  return { results, lines };
}
