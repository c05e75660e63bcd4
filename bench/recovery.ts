/**
 * Recovery after SIGKILL: `hoist worker` processes share one Postgres and Redis with a
 * server-mode Hoist in the bench process (which takes the requests). A deployment of a
 * `container` service on the real `docker` target (Podman) is killed mid-rollout with
 * SIGKILL of its executor (`deployments.executor` = `host:pid`); measured from the kill
 * until the deployment is final ("worker lost") and until the deployment waiting behind
 * it starts on another worker.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { removeAppContainers } from '../test/support/containers.ts';
import { startWorkerProcess, type WorkerProcess } from '../test/support/worker-process.ts';
import { epochMs } from './open-loop.ts';
import { startScenarioHoist, type DeploymentRow, type ScenarioHoist } from './orchestration-hoist.ts';
import type { Result } from './result.ts';
import { summarize } from './stats.ts';

export interface RecoverySettings {
  kills: number;
  logLevel: string;
  /** Hoist's log (the server in this process). */
  logFile: string;
  /** The worker processes' output, written when they are gone. */
  workerLogFile: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, timeoutMs: number, pollMs: number, fn: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

interface Run {
  lostMs: number;
  nextStartedMs: number;
  nextDeployedMs: number;
  lost: DeploymentRow;
  next: DeploymentRow;
}

export interface RecoveryRig {
  /** Kills `kills` executors one after the other; the rig is stopped afterwards. */
  run(say: (line: string) => void): Promise<{ results: Result[]; lines: string[] }>;
  /** Ends the worker processes, drops the database, removes the containers (idempotent). */
  stop(): Promise<void>;
}

/**
 * The server-mode Hoist and `kills + 1` worker processes (one per kill and one more: each
 * run kills the executor, the others take over). Started apart from the runs so that the
 * processes can start while something else that does not measure waits for its own.
 */
export async function startRecoveryRig(settings: RecoverySettings, say: (line: string) => void): Promise<RecoveryRig> {
  const envs = ['warm', ...Array.from({ length: settings.kills }, (_, i) => `kill${i + 1}`)];
  const app = `rec${randomUUID().slice(0, 6)}`;
  const h = await startScenarioHoist({ app, envs, mode: 'server', concurrency: 8, versions: 2, logFile: settings.logFile, logLevel: settings.logLevel });
  const workers: WorkerProcess[] = [];
  const problems: string[] = [];
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => Promise.race([w.exited, sleep(15_000).then(() => w.kill('SIGKILL'))])));
      for (const w of workers) appendFileSync(settings.workerLogFile, w.output());
      await h.stop().catch((error: unknown) => problems.push(`stopping: ${error instanceof Error ? error.message : String(error)}`));
      await removeAppContainers(app).catch(() => undefined);
    })();
    return stopped;
  };
  say(`… recovery: starting ${settings.kills + 1} \`hoist worker\` processes`);
  const started = await Promise.allSettled(Array.from({ length: settings.kills + 1 }, () => startWorkerProcess(h.vars)));
  for (const s of started) if (s.status === 'fulfilled') workers.push(s.value);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { run: (sayRun) => runKills(settings, h, workers, problems, stop, sayRun), stop };
}

async function runKills(
  settings: RecoverySettings,
  h: ScenarioHoist,
  workers: WorkerProcess[],
  problems: string[],
  stop: () => Promise<void>,
  say: (line: string) => void,
): Promise<{ results: Result[]; lines: string[] }> {
  const runs: Run[] = [];
  const measured: { warmRolloutMs: number | null } = { warmRolloutMs: null };
  try {
    // Both tags the runs deploy, so that no run pulls a tag the engine has not seen yet.
    say('… recovery: two first deployments (pull the image and its two tags if the engine lacks them)');
    const warms: DeploymentRow[] = [];
    for (const n of [1, 2]) {
      const warmId = await h.request('warm');
      const row = await waitFor(`warm-up deployment ${n}`, 60_000, 100, async () => (await h.rows({ ids: [warmId] })).find((r) => r.finished_at !== null) ?? null);
      if (row.status !== 'DEPLOYED') throw new Error(`warm-up deployment ${n} ended ${row.status}: ${row.reason ?? ''}`);
      warms.push(row);
    }
    // The first one: it pulled the image when the engine lacked it.
    const warm = warms[0] as DeploymentRow;
    measured.warmRolloutMs = (warm.finished_at as Date).getTime() - (warm.started_at as Date).getTime();

    for (let i = 1; i <= settings.kills; i += 1) {
      const env = `kill${i}`;
      say(`… recovery run ${i}/${settings.kills}: SIGKILL of the executing worker mid-rollout`);
      const first = await h.request(env);
      const second = await h.request(env);
      const running = await waitFor(`#${first} to be DEPLOYING`, 60_000, 20, async () => {
        const row = (await h.rows({ ids: [first] }))[0];
        if (!row) return null;
        if (row.finished_at !== null) return row; // missed: it ended before it could be killed
        return row.status === 'DEPLOYING' && row.executor !== null ? row : null;
      });
      if (running.finished_at !== null) {
        problems.push(`run ${i}: #${first} ended ${running.status} before it was seen DEPLOYING`);
        continue;
      }
      const victim = workers.find((w) => running.executor?.endsWith(`:${w.pid}`));
      if (!victim) {
        problems.push(`run ${i}: executor ${String(running.executor)} is none of the worker processes`);
        continue;
      }
      const killedAt = epochMs();
      victim.kill('SIGKILL');
      workers.splice(workers.indexOf(victim), 1);
      await victim.exited;
      const [lost, next] = await waitFor(`#${first} to end and #${second} to be carried out`, 90_000, 50, async () => {
        const rows = await h.rows({ ids: [first, second] });
        return rows.length === 2 && rows.every((r) => r.finished_at !== null) ? (rows as [DeploymentRow, DeploymentRow]) : null;
      });
      if (lost.status !== 'DEPLOYMENT_ERROR' || lost.reason !== 'worker lost') problems.push(`run ${i}: #${first} ended ${lost.status} (${String(lost.reason)}), not "worker lost"`);
      if (next.status !== 'DEPLOYED') problems.push(`run ${i}: #${second} ended ${next.status} (${String(next.reason)})`);
      if (next.executor === running.executor) problems.push(`run ${i}: #${second} ran on the killed worker`);
      runs.push({
        lostMs: (lost.finished_at as Date).getTime() - killedAt,
        nextStartedMs: (next.started_at as Date).getTime() - killedAt,
        nextDeployedMs: (next.finished_at as Date).getTime() - killedAt,
        lost,
        next,
      });
    }
  } finally {
    await stop();
  }

  const load = `container service (busybox \`sleep\`, no port) on the docker target (Podman); killed while DEPLOYING; ${settings.kills + 1} worker processes, one killed per run`;
  const errors = settings.kills - runs.length;
  const notes = {
    killedWhile: 'DEPLOYING (container rollout on Podman: create, start, 1 s settle)',
    warmRolloutMs: measured.warmRolloutMs,
    runs: runs.map((r) => ({ lostMs: Math.round(r.lostMs), nextStartedMs: Math.round(r.nextStartedMs), nextDeployedMs: Math.round(r.nextDeployedMs), lost: r.lost.status, reason: r.lost.reason, next: r.next.status })),
    problems,
  };
  const results: Result[] = [
    {
      id: 'recovery-lost',
      scenario: 'SIGKILL → deployment final ("worker lost")',
      app: 'hoist',
      measure: 'recovery',
      load,
      ...summarize(
        runs.map((r) => r.lostMs),
        errors,
      ),
      notes,
    },
    {
      id: 'recovery-next-started',
      scenario: 'SIGKILL → next deployment started, other worker',
      app: 'hoist',
      measure: 'recovery',
      load,
      ...summarize(
        runs.map((r) => r.nextStartedMs),
        errors,
      ),
    },
  ];
  const lines = [
    `Recovery: killed while DEPLOYING a container service on Podman (a container rollout took ${String(measured.warmRolloutMs)} ms here); per run kill → final / next started / next DEPLOYED: ` +
      runs.map((r) => `${(r.lostMs / 1000).toFixed(1)} / ${(r.nextStartedMs / 1000).toFixed(1)} / ${(r.nextDeployedMs / 1000).toFixed(1)} s`).join(', '),
    ...problems.map((p) => `  problem: ${p}`),
  ];
  return { results, lines };
}
