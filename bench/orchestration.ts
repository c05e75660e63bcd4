/**
 * Orchestration alone: Hoist with a target that does no work (test/fakes/noop-target.ts),
 * one `container` service (a prebuilt image, so nothing is built), deployments requested
 * through the HoistService.
 *
 *   - hand-off: one action's end → the next waiting one's start in the same environment,
 *     from the target's own records, next to a bare BullMQ queue and worker;
 *   - throughput: many environments × several deployments each, all requested at once,
 *     in one process and in several worker processes.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { measureBullmq } from './bullmq-baseline.ts';
import { createNoopTarget, type NoopTarget, type RolloutRecord } from '../test/fakes/noop-target.ts';
import { epochMs } from './open-loop.ts';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startCpuProfile, type CpuProfiling } from './cpu-profile.ts';
import { cpuPerDeployment, cpuSnapshot, machineBusy, machineStolen } from './cpu-usage.ts';
import { countingCallers, pgCounter } from './pg-counter.ts';
import { redisCommandCounts, redisCommandsPer } from './redis-commands.ts';
import { startNoopWorkers, startScenarioHoist, type DeploymentRow, type NoopWorkers, type ScenarioHoist } from './orchestration-hoist.ts';
import type { Target } from '../src/engine/ports.ts';
import type { Result } from './result.ts';
import { percentile, summarize } from './stats.ts';

export interface OrchestrationSettings {
  handoffs: number;
  /** Deployments queued at once behind a held one, for the deep-queue hand-offs (0: skip). */
  deepQueue: number;
  envs: number;
  perEnv: number;
  /** HOIST_WORKER_CONCURRENCY of each worker (the one-process run and every worker process). */
  concurrency: number;
  /** How many worker processes each later throughput configuration has, one configuration per number (none: one process only). */
  workerProcesses: number[];
  /**
   * Rounds of one deployment in every environment before each throughput run: the processes reach
   * their steady state (JIT-compiled code, warm caches). With worker processes, as many rounds per
   * worker process: each runs about as many deployments as the one process did. Forty by default:
   * after ten, V8's optimizing compiler still took 13–18% of every process's CPU in the measured
   * window (a system-wide `perf` profile); after forty, 1–3%. It compiles on threads of its own:
   * one process leaves CPU idle for them, worker processes on busy cores pay for it in
   * deployments, so a short warm-up counted against worker processes what is a start-up cost.
   */
  warmRounds: number;
  /** Measured runs of each throughput configuration, taken in turn with the other configurations' runs: the median is reported (the machine's other work moves single runs). */
  throughputRuns: number;
  /** Where CPU profiles of the throughput runs are written (null: none). */
  cpuProfileDir: string | null;
  drainTimeoutSeconds: number;
  logLevel: string;
  logFile: string;
}

const WARMUP_DEPLOYMENTS = 10;
const round1 = (n: number): number => Math.round(n * 10) / 10;
const round2 = (n: number): number => Math.round(n * 100) / 100;
const envName = (i: number): string => `e${String(i).padStart(3, '0')}`;
/** The most requests that wait at once in one environment: the deep queue and the one held before it, or one environment's share of the throughput. */
const versionsWaiting = (settings: OrchestrationSettings): number => Math.max(settings.deepQueue + 1, settings.perEnv, WARMUP_DEPLOYMENTS);
const loadavg1 = (): number => round2(os.loadavg()[0] ?? 0);

/** The Hoist of a hand-off or throughput run: an app of its own over `envs`; `targetFor` replaces its targets (the no-op one). */
const orchestrationHoist = (settings: OrchestrationSettings, envs: readonly string[], mode: 'start' | 'server', targetFor?: () => Target) =>
  startScenarioHoist({
    app: `orch${randomUUID().slice(0, 6)}`,
    envs,
    mode,
    concurrency: settings.concurrency,
    versions: versionsWaiting(settings),
    ...(targetFor ? { targetFor } : {}),
    logFile: settings.logFile,
    logLevel: settings.logLevel,
  });

/** Each environment ran its deployments one at a time and in id order (from Postgres' timestamps). */
function serialization(rows: readonly DeploymentRow[]): { overlaps: number; outOfOrder: number } {
  const byEnv = new Map<string, DeploymentRow[]>();
  for (const r of rows) byEnv.set(r.env, [...(byEnv.get(r.env) ?? []), r]);
  let overlaps = 0;
  let outOfOrder = 0;
  for (const list of byEnv.values()) {
    const byStart = [...list].filter((r) => r.started_at !== null).sort((a, b) => (a.started_at as Date).getTime() - (b.started_at as Date).getTime());
    for (let i = 1; i < byStart.length; i += 1) {
      const prev = byStart[i - 1] as DeploymentRow;
      const cur = byStart[i] as DeploymentRow;
      if (cur.id < prev.id) outOfOrder += 1;
      if (prev.finished_at === null || (cur.started_at as Date).getTime() < prev.finished_at.getTime()) overlaps += 1;
    }
  }
  return { overlaps, outOfOrder };
}

function statusCounts(rows: readonly DeploymentRow[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

/** Hand-offs from the target's records of one environment: start of rollout i+1 − end of rollout i. */
function handoffsOf(records: readonly RolloutRecord[]): { gaps: number[]; overlaps: number; outOfOrder: number } {
  const sorted = [...records].sort((a, b) => a.startedAt - b.startedAt);
  const gaps: number[] = [];
  let overlaps = 0;
  let outOfOrder = 0;
  for (let i = 1; i < sorted.length; i += 1) {
    const prev = sorted[i - 1] as RolloutRecord;
    const cur = sorted[i] as RolloutRecord;
    if (cur.deploymentId < prev.deploymentId) outOfOrder += 1;
    if (cur.startedAt < prev.endedAt) overlaps += 1;
    gaps.push(cur.startedAt - prev.endedAt);
  }
  return { gaps, overlaps, outOfOrder };
}

/**
 * Hand-offs with one deployment waiting: each rollout is held by the target until the next
 * deployment has been requested behind it, then released; the next one starts (and is
 * held in turn). The requests never overlap a hand-off, and no queue builds up.
 */
async function handoffOneWaiting(h: ScenarioHoist, noop: NoopTarget, settings: OrchestrationSettings): Promise<Result> {
  const env = 'handoff';
  const loadavg = loadavg1();
  const counter = pgCounter();
  counter.start();
  counter.pause();
  let hold = noop.holdNext(env);
  await h.request(env);
  await hold.started;
  for (let i = 0; i < settings.handoffs; i += 1) {
    const next = noop.holdNext(env);
    await h.request(env);
    counter.resume();
    hold.release();
    await next.started;
    counter.pause();
    hold = next;
  }
  hold.release();
  const drained = await h.drained(settings.drainTimeoutSeconds * 1000);
  const statements = counter.stop();
  const rows = await h.rows({ env });
  const { gaps, overlaps, outOfOrder } = handoffsOf(noop.rollouts.filter((r) => r.env === env));
  return {
    id: 'handoff-hoist',
    scenario: 'hand-off, one waiting (Hoist)',
    app: 'hoist',
    measure: 'handoff',
    load: `${settings.handoffs} hand-offs in one environment, each with one deployment waiting; no-op target; one process (start mode, concurrency ${settings.concurrency})`,
    ...summarize(gaps, Math.max(0, settings.handoffs - gaps.length)),
    notes: {
      postgresStatementsPerHandoff: round1(statements.statements / Math.max(1, gaps.length)),
      postgresStatementsTop: statements.top,
      overlaps,
      outOfOrder,
      statuses: statusCounts(rows),
      drained,
      loadavg1mAtStart: loadavg,
      clock: 'the no-op target’s own rollout start/end (performance.now())',
    },
  };
}

/**
 * Hand-offs through a deep queue: `deep + 1` deployments requested while the first one is
 * held, then released; the queue behind shrinks from `deep` to 0 as the run goes.
 */
async function handoffDeepQueue(h: ScenarioHoist, noop: NoopTarget, settings: OrchestrationSettings): Promise<Result> {
  const env = 'deep';
  const hold = noop.holdNext(env);
  for (let i = 0; i < settings.deepQueue + 1; i += 1) await h.request(env);
  const loadavg = loadavg1();
  const counter = pgCounter();
  counter.start();
  hold.release();
  const drained = await h.drained(settings.drainTimeoutSeconds * 1000);
  const statements = counter.stop();
  const rows = await h.rows({ env });
  const { gaps, overlaps, outOfOrder } = handoffsOf(noop.rollouts.filter((r) => r.env === env));
  const tenth = Math.max(1, Math.floor(gaps.length / 10));
  const p50 = (values: number[]) => round2(percentile([...values].sort((a, b) => a - b), 50) ?? 0);
  return {
    id: 'handoff-deep-hoist',
    scenario: `hand-off, ${settings.deepQueue} queued at once (Hoist)`,
    app: 'hoist',
    measure: 'handoff',
    load: `${settings.deepQueue + 1} deployments queued in one environment behind a held one, then released; no-op target; one process (start mode)`,
    ...summarize(gaps, Math.max(0, settings.deepQueue - gaps.length)),
    notes: {
      postgresStatementsPerHandoff: round1(statements.statements / Math.max(1, gaps.length)),
      postgresStatementsTop: statements.top,
      p50FirstTenthMs: p50(gaps.slice(0, tenth)),
      p50LastTenthMs: p50(gaps.slice(-tenth)),
      overlaps,
      outOfOrder,
      statuses: statusCounts(rows),
      drained,
      loadavg1mAtStart: loadavg,
      clock: 'the no-op target’s own rollout start/end (performance.now())',
    },
  };
}

/** A freshly started Hoist's first deployments, one at a time in an environment of their own, drained. */
async function firstDeployments(h: ScenarioHoist, settings: OrchestrationSettings, say: (line: string) => void): Promise<void> {
  say(`… warm-up: ${WARMUP_DEPLOYMENTS} deployments`);
  for (let i = 0; i < WARMUP_DEPLOYMENTS; i += 1) await h.request('warmup');
  await h.drained(settings.drainTimeoutSeconds * 1000);
}

/**
 * Rounds of one deployment in every environment, all at once, drained: the measured run's
 * shape, so that every process has run its code paths (and V8 has compiled them) before the
 * clock starts — a freshly started process runs its first hundreds of deployments at half
 * speed, and with several processes each has its own warm-up to go through.
 */
async function warmUpEnvironments(h: ScenarioHoist, settings: OrchestrationSettings, rounds: number, say: (line: string) => void): Promise<void> {
  if (rounds === 0) return;
  say(`… warm-up: ${rounds} round(s) of one deployment in each of the ${settings.envs} environments`);
  for (let round = 0; round < rounds; round += 1) {
    await Promise.all(Array.from({ length: settings.envs }, (_, e) => h.request(envName(e))));
    await h.drained(settings.drainTimeoutSeconds * 1000, 100);
  }
}

/** `envs × perEnv` deployments requested at once; waits until every one is final. */
async function throughput(
  h: ScenarioHoist,
  settings: OrchestrationSettings,
  id: string,
  scenario: string,
  load: string,
  workers: NoopWorkers | null = null,
): Promise<{ result: Result; line: string }> {
  const loadavg = loadavg1();
  const counter = pgCounter();
  const workerPids = workers?.pids ?? [];
  const profileDir = settings.cpuProfileDir;
  if (profileDir !== null) mkdirSync(profileDir, { recursive: true });
  const profiling = profileDir === null ? null : await startCpuProfile();
  if (profileDir !== null) await workers?.startProfiles();
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redisBefore = await redisCommandCounts(redisUrl);
  const cpuBefore = cpuSnapshot(workerPids);
  await workers?.startCounting(countingCallers());
  counter.start();
  const t0 = epochMs();
  const pending: Promise<number>[] = [];
  for (let round = 0; round < settings.perEnv; round += 1) {
    for (let e = 0; e < settings.envs; e += 1) pending.push(h.request(envName(e)));
  }
  const settled = await Promise.allSettled(pending);
  const acceptedMs = epochMs() - t0;
  const ids = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const refused = settled.length - ids.length;
  const drained = await h.drained(settings.drainTimeoutSeconds * 1000, 100);
  const cpuAfter = cpuSnapshot(workerPids);
  const statements = counter.stop();
  const workerStatements = (await workers?.stopCounting()) ?? null;
  const cpu = cpuPerDeployment(cpuBefore, cpuAfter, ids.length);
  const busy = machineBusy(cpuBefore, cpuAfter);
  const stolen = machineStolen(cpuBefore, cpuAfter);
  const redisCommands = redisCommandsPer(redisBefore, await redisCommandCounts(redisUrl), ids.length);
  const profiles =
    profileDir === null
      ? null
      : [
          await (profiling as CpuProfiling).stop(join(profileDir, `${id}-${workers === null ? 'process' : 'server'}.cpuprofile`)),
          ...((await workers?.stopProfiles(join(profileDir, `${id}-worker-`))) ?? []),
        ];
  const rows = await h.rows({ ids });
  const finals = rows.filter((r) => r.finished_at !== null);
  const latencies = finals.map((r) => (r.finished_at as Date).getTime() - t0);
  const lastFinal = Math.max(...latencies, 0);
  const deployed = rows.filter((r) => r.status === 'DEPLOYED').length;
  const perSecond = lastFinal > 0 ? round1(deployed / (lastFinal / 1000)) : null;
  const { overlaps, outOfOrder } = serialization(rows);
  const total = settings.envs * settings.perEnv;
  const result: Result = {
    id,
    scenario,
    app: 'hoist',
    measure: 'final',
    load,
    ...summarize(latencies, total - finals.length),
    notes: {
      deploymentsPerSecond: perSecond,
      deployed,
      statuses: statusCounts(rows),
      refusedRequests: refused,
      allRequestsAnsweredMs: Math.round(acceptedMs),
      lastFinalMs: Math.round(lastFinal),
      overlaps,
      outOfOrder,
      drained,
      // Only what this process sent: with worker processes, the request path and the notifier.
      postgresStatementsPerDeploymentInThisProcess: round1(statements.statements / Math.max(1, ids.length)),
      postgresStatementsTop: statements.top,
      ...(workerStatements === null
        ? {}
        : {
            postgresStatementsPerDeploymentInWorkers: round1(workerStatements.statements / Math.max(1, ids.length)),
            postgresStatementsPerDeploymentInAll: round1((statements.statements + workerStatements.statements) / Math.max(1, ids.length)),
            postgresStatementsTopInWorkers: Object.fromEntries(Object.entries(workerStatements.top).slice(0, countingCallers() ? 60 : 12)),
          }),
      // CPU ms per deployment: this process (Hoist and the bench's requests), the worker processes,
      // the Postgres and Redis servers, the image registry (a deploy of a tag asks it).
      cpuMsPerDeployment: cpu,
      // The machine's CPUs from the first request until every deployment had ended: 1 = all of them busy all along.
      machineCpuBusy: busy,
      // Of that, what the virtual machine's host ran for others meanwhile (steal): the run had less CPU by as much.
      machineCpuStolen: stolen,
      // Every process's, on the machine's Redis (the throughput runs use it alone).
      redisCommandsPerDeployment: redisCommands,
      ...(profiles === null ? {} : { cpuProfiles: profiles }),
      loadavg1mAtStart: loadavg,
      clock: 'from the bench firing all requests to finished_at in Postgres (same machine clock)',
    },
  };
  const cpuText =
    (cpu === null ? '' : `; CPU ms per deployment: ${Object.entries(cpu).map(([part, ms]) => `${part} ${ms.toFixed(1)}`).join(', ')}`) +
    (busy === null ? '' : `; the machine's CPUs ${Math.round(busy * 100)}% busy`) +
    (stolen === null ? '' : ` (${Math.round(stolen * 100)}% stolen by the host)`) +
    (redisCommands === null ? '' : `; ${redisCommands.total} Redis commands per deployment${redisCommands.clientWrites === null ? '' : ` in ${redisCommands.clientWrites} writes`}`) +
    `; ${round1((statements.statements + (workerStatements?.statements ?? 0)) / Math.max(1, ids.length))} Postgres statements per deployment`;
  const line = `${scenario}: ${deployed}/${total} DEPLOYED in ${(lastFinal / 1000).toFixed(1)} s = ${String(perSecond)} deployments/s (requests all answered after ${(acceptedMs / 1000).toFixed(1)} s; overlaps ${overlaps}, out of order ${outOfOrder}${cpuText})`;
  return { result, line };
}

/** A run's deployments a second. */
const rate = (r: { result: Result }) => Number(r.result.notes?.deploymentsPerSecond ?? 0);

/** A run's share of the machine's CPU time stolen by the host (null: not read). */
const stolenShare = (r: { result: Result }): number | null => {
  const share = r.result.notes?.machineCpuStolen;
  return typeof share === 'number' ? share : null;
};

/**
 * The run with the median deployments/s of one throughput configuration's runs, with every
 * run's figure beside it. (A CPU profile, when asked for, is of each run in turn: the files of
 * the last one stay.)
 */
function medianOf(runs: readonly { result: Result; line: string }[]): { result: Result; line: string } {
  const sorted = [...runs].sort((a, b) => rate(a) - rate(b));
  const median = sorted[Math.floor((sorted.length - 1) / 2)] as { result: Result; line: string };
  if (runs.length === 1) return median;
  const each = runs.map(rate);
  const stolen = runs.map(stolenShare);
  const shown = runs.map((r) => {
    const share = stolenShare(r);
    return share === null || share < 0.01 ? String(rate(r)) : `${rate(r)} (${Math.round(share * 100)}% stolen)`;
  });
  return {
    result: { ...median.result, notes: { ...median.result.notes, deploymentsPerSecondOfEachRun: each, machineCpuStolenInEachRun: stolen, reported: `the median of ${runs.length} runs, each configuration's runs taken in turn with the others'` } },
    line: `${median.line} — the median of ${runs.length} runs: ${shown.join(', ')} deployments/s`,
  };
}

/**
 * `alongsideWorkerProcesses` is started together with the worker processes of the second
 * throughput run (e.g. the recovery scenario's own processes), so that both start-ups
 * overlap instead of one waiting for the other; nothing is measured meanwhile.
 */
export async function runOrchestration(
  settings: OrchestrationSettings,
  only: { handoff: boolean; throughput: boolean },
  say: (line: string) => void,
  alongsideWorkerProcesses?: () => Promise<void>,
): Promise<{ results: Result[]; lines: string[] }> {
  const results: Result[] = [];
  const lines: string[] = [];
  const envs = ['warmup', 'handoff', 'deep', ...Array.from({ length: settings.envs }, (_, i) => envName(i))];
  const total = settings.envs * settings.perEnv;

  if (only.handoff) {
    say(`… BullMQ baseline: ${settings.handoffs} jobs on an idle worker, then ${settings.handoffs} chained`);
    const bull = await measureBullmq({ jobs: settings.handoffs, warmup: 5, concurrency: settings.concurrency, gapMs: 20 });
    results.push({
      id: 'handoff-bullmq-idle',
      scenario: 'BullMQ enqueue → processor start, idle (baseline)',
      app: 'bullmq-baseline',
      measure: 'handoff',
      load: `${settings.handoffs} jobs one at a time, 20 ms apart; no-op processor; Hoist's worker options`,
      ...summarize(bull.idle, 0),
    });
    results.push({
      id: 'handoff-bullmq-chained',
      scenario: 'BullMQ job added by the previous job → start (baseline)',
      app: 'bullmq-baseline',
      measure: 'handoff',
      load: `${settings.handoffs} jobs, each added by the processor of the one before (like Hoist's kick when a deployment ends)`,
      ...summarize(bull.chained, 0),
    });
  }

  if (only.handoff) {
    const noop = createNoopTarget();
    const h = await orchestrationHoist(settings, envs, 'start', () => noop.target);
    try {
      await firstDeployments(h, settings, say);
      say(`… hand-off: ${settings.handoffs} hand-offs with one deployment waiting (no-op target)`);
      results.push(await handoffOneWaiting(h, noop, settings));
      if (settings.deepQueue > 0) {
        say(`… hand-off: ${settings.deepQueue + 1} deployments queued at once in one environment`);
        results.push(await handoffDeepQueue(h, noop, settings));
      }
    } finally {
      await h.stop();
    }
  }

  if (only.throughput) {
    // Each configuration's runs are taken in turn with the other configurations' (one process,
    // then each number of worker processes, then one process again…), each run on processes
    // started and warmed up for it: whatever else the machine does meanwhile falls on all of
    // them alike, not on whichever configuration happened to run then.
    const configurations: (number | null)[] = [null, ...settings.workerProcesses];
    const runs = new Map<number | null, { result: Result; line: string }[]>(configurations.map((c) => [c, []]));
    let alongside = alongsideWorkerProcesses;
    const rounds = Math.max(1, settings.throughputRuns);
    for (let round = 1; round <= rounds; round += 1) {
      for (const count of configurations) {
        say(`… throughput run ${round} of ${rounds}: ${settings.envs} environments × ${settings.perEnv} deployments at once, ${count === null ? `one process (concurrency ${settings.concurrency})` : `${count} worker processes`}`);
        const done = count === null ? await throughputInOneProcess(settings, envs, total, say) : await throughputWithWorkers(settings, envs, total, count, say, alongside);
        if (count !== null) alongside = undefined;
        runs.get(count)?.push(done);
      }
    }
    const alone = runs.get(null) ?? [];
    for (const count of configurations) {
      const own = runs.get(count) ?? [];
      const median = count === null ? medianOf(own) : againstOneProcess(medianOf(own), own, alone);
      results.push(median.result);
      lines.push(median.line);
    }
  }
  return { results, lines };
}

/**
 * A configuration of worker processes against one process, run by run: each of its runs'
 * rate over the one process's run of the same round (taken a minute apart at most), and the
 * median of those ratios. The machine's drift from round to round, which moves every rate by
 * ±20% here, falls on both sides of each ratio alike.
 */
function againstOneProcess(median: { result: Result; line: string }, own: readonly { result: Result }[], alone: readonly { result: Result }[]): { result: Result; line: string } {
  const ratios = own.flatMap((run, i) => {
    const base = alone[i];
    return base === undefined || rate(base) === 0 ? [] : [Math.round((rate(run) / rate(base)) * 100) / 100];
  });
  if (ratios.length === 0) return median;
  const middle = percentile([...ratios].sort((a, b) => a - b), 50);
  return {
    result: { ...median.result, notes: { ...median.result.notes, againstOneProcessInTheSameRound: { median: middle, eachRound: ratios } } },
    line: `${median.line}; against one process in the same round: ×${middle} (median; each round ${ratios.map((r) => `×${r}`).join(', ')})`,
  };
}

/** One throughput run of one process (`hoist start`) with the no-op target, started and warmed up for it. */
async function throughputInOneProcess(settings: OrchestrationSettings, envs: readonly string[], total: number, say: (line: string) => void): Promise<{ result: Result; line: string }> {
  const noop = createNoopTarget();
  const h = await orchestrationHoist(settings, envs, 'start', () => noop.target);
  try {
    await firstDeployments(h, settings, say);
    await warmUpEnvironments(h, settings, settings.warmRounds, say);
    return await throughput(
      h,
      settings,
      'throughput-one-process',
      `request → final, ${settings.envs} envs × ${settings.perEnv}, 1 process`,
      `${total} deployments requested at once over ${settings.envs} environments; one process (start mode), HOIST_WORKER_CONCURRENCY=${settings.concurrency}; no-op target`,
    );
  } finally {
    await h.stop();
  }
}

/**
 * The throughput run through a server-mode Hoist (in this process, taking the requests) and
 * `count` worker processes; `alongside` starts with the worker processes (see runOrchestration).
 */
async function throughputWithWorkers(
  settings: OrchestrationSettings,
  envs: readonly string[],
  total: number,
  count: number,
  say: (line: string) => void,
  alongside: (() => Promise<void>) | undefined,
): Promise<{ result: Result; line: string }> {
  say('… a server-mode Hoist for the worker processes');
  const h = await orchestrationHoist(settings, envs, 'server');
  try {
    say(`… starting ${count} worker processes (no-op target, concurrency ${settings.concurrency} each)`);
    const [started, beside] = await Promise.allSettled([startNoopWorkers(count, h.vars, settings.logFile), alongside?.()]);
    if (started.status === 'rejected') throw started.reason;
    const workers = started.value;
    if (beside.status === 'rejected') {
      await workers.stop();
      throw beside.reason;
    }
    try {
      await firstDeployments(h, settings, say);
      await warmUpEnvironments(h, settings, settings.warmRounds * count, say);
      return await throughput(
        h,
        settings,
        `throughput-worker-processes-${count}`,
        `request → final, ${settings.envs} envs × ${settings.perEnv}, ${count} worker${count === 1 ? '' : 's'}`,
        `${total} deployments requested at once over ${settings.envs} environments; requests through a server-mode Hoist in the bench process, ${count} \`hoist worker\` processes with HOIST_WORKER_CONCURRENCY=${settings.concurrency} each; no-op target`,
        workers,
      );
    } finally {
      await workers.stop();
    }
  } finally {
    await h.stop();
  }
}
