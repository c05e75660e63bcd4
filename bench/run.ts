/**
 * `npm run bench`: how fast Hoist's chat edge answers, next to a bare Bolt app
 * measured in the same run with the same load generator.
 *
 *   1. acknowledgement of signed `/hoist deploy` slash commands under an
 *      open-loop load (fixed schedule, latency from the scheduled send time),
 *      Hoist and a bare Bolt 5 app;
 *   2. command → card: from sending a command to the fake Slack receiving the
 *      deployment's card (`chat.postMessage`), one command at a time, and for
 *      every command of the load in (1);
 *   3. hand-off: one action's end → the next waiting one's start in the same
 *      environment, with a target that does no work, next to a bare BullMQ
 *      queue's enqueue → processor start (bench/orchestration.ts);
 *   4. throughput: environments × deployments each, all requested at once, no-op
 *      target, in one process and in several worker processes (same file);
 *   5. recovery: SIGKILL of the worker process executing a deployment → the
 *      deployment final ("worker lost") and the next one started (bench/recovery.ts);
 *   6. kubernetes: a pod entering ImagePullBackOff / CrashLoopBackOff → DEPLOYMENT_ERROR on
 *      the card, beside the progress deadline `kubectl rollout status` waits for
 *      (bench/kubernetes.ts);
 *   7. burst: acks of 200 distinct commands within a second right after `hoist start`,
 *      beside a bare Bolt app; drain: Slack calls per hand-off while 50 waiting drain
 *      (bench/burst.ts).
 *
 * Prints a table and writes bench/results.json. Options (after `--`):
 *   --rate 100 --duration 10 --warmup 1 --connections 20 --cards 50
 *   --card-gap 100 --slack-rate-limit 1 --drain-timeout 60 --log-level warn
 *   --scenarios chat,handoff,throughput,recovery,kubernetes,burst,drain --burst 200 --handoffs 100 --deep-queue 50 --envs 100
 *   --per-env 3 --concurrency 16 --worker-processes 4 --kills 3 --k8s-rounds 5
 * Hoist's own log lines go to bench/hoist.log, those of the orchestration and
 * recovery scenarios to bench/hoist-orchestration.log and bench/hoist-workers.log
 * (git-ignored).
 */
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { startFakeSlack, type FakeSlack } from '../test/fakes/slack-api.ts';
import { signSlackRequest, slashCommandBody } from '../test/fakes/slack-sign.ts';
import { startBaselineBolt, type BaselineBolt } from './baseline-bolt.ts';
import { BENCH_APP, CARD_ENV, LOAD_ENV, startBenchHoist, type BenchHoist } from './bench-hoist.ts';
import { startLoadGenerator, type LoadGenerator } from './load-generator.ts';
import { epochMs, requestCount, type CommandSpec, type LoadPlan, type Sample } from './open-loop.ts';
import { runBurst, runDrain } from './burst.ts';
import { runKubernetesBench } from './kubernetes.ts';
import { runOrchestration } from './orchestration.ts';
import { startRecoveryRig, type RecoveryRig } from './recovery.ts';
import type { Result } from './result.ts';
import { formatTable, summarize } from './stats.ts';

const TOKEN = 'xoxb-bench-token';
const SECRET = 'bench-signing-secret';
const USER = 'U0BENCH';
const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));
const HOIST_LOG = fileURLToPath(new URL('./hoist.log', import.meta.url));
const ORCHESTRATION_LOG = fileURLToPath(new URL('./hoist-orchestration.log', import.meta.url));
const WORKERS_LOG = fileURLToPath(new URL('./hoist-workers.log', import.meta.url));
const SCENARIOS = ['chat', 'handoff', 'throughput', 'recovery', 'kubernetes', 'burst', 'drain'] as const;
const KUBERNETES_LOG = fileURLToPath(new URL('./hoist-kubernetes.log', import.meta.url));

const { values: flags } = parseArgs({
  options: {
    rate: { type: 'string', default: '100' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '20' },
    cards: { type: 'string', default: '50' },
    'card-gap': { type: 'string', default: '100' },
    'slack-rate-limit': { type: 'string', default: '1' },
    'drain-timeout': { type: 'string', default: '60' },
    'log-level': { type: 'string', default: 'warn' },
    scenarios: { type: 'string', default: SCENARIOS.join(',') },
    handoffs: { type: 'string', default: '100' },
    'deep-queue': { type: 'string', default: '50' },
    envs: { type: 'string', default: '100' },
    'per-env': { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '16' },
    'worker-processes': { type: 'string', default: '4' },
    kills: { type: 'string', default: '3' },
    'k8s-rounds': { type: 'string', default: '5' },
    burst: { type: 'string', default: '200' },
  },
});

function positive(name: string, value: string | undefined, min = 0): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}`);
  return n;
}

const settings = {
  ratePerSecond: positive('rate', flags.rate, 1),
  durationSeconds: positive('duration', flags.duration, 1),
  warmupSeconds: positive('warmup', flags.warmup),
  connections: positive('connections', flags.connections, 1),
  cards: positive('cards', flags.cards, 1),
  cardGapMs: positive('card-gap', flags['card-gap']),
  slackRateLimitPerChannelPerSecond: positive('slack-rate-limit', flags['slack-rate-limit']),
  slackBurst: 3,
  drainTimeoutSeconds: positive('drain-timeout', flags['drain-timeout'], 1),
};

const wanted = new Set((flags.scenarios ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''));
for (const s of wanted) {
  if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`--scenarios: unknown "${s}"; known: ${SCENARIOS.join(', ')}`);
}
const orchestration = {
  handoffs: positive('handoffs', flags.handoffs, 1),
  deepQueue: positive('deep-queue', flags['deep-queue']),
  envs: positive('envs', flags.envs, 1),
  perEnv: positive('per-env', flags['per-env'], 1),
  concurrency: positive('concurrency', flags.concurrency, 1),
  workerProcesses: positive('worker-processes', flags['worker-processes']),
  drainTimeoutSeconds: Math.max(120, settings.drainTimeoutSeconds),
  logLevel: flags['log-level'] ?? 'warn',
  logFile: ORCHESTRATION_LOG,
};
const kills = positive('kills', flags.kills, 1);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const loadLabel = `open loop ${settings.ratePerSecond} req/s for ${settings.durationSeconds} s (after ${settings.warmupSeconds} s warm-up), ${settings.connections} keep-alive connections`;
const slackLabel =
  settings.slackRateLimitPerChannelPerSecond > 0
    ? `on: chat.postMessage ${settings.slackRateLimitPerChannelPerSecond}/s per channel, burst ${settings.slackBurst}; one channel per command`
    : 'off; one channel per command';

/** Top-level messages of the fake Slack, by channel, as they arrive (the array only grows). */
function cardWatcher(slack: FakeSlack) {
  const firstPost = new Map<string, { at: number; id: number | null }>();
  let scanned = 0;
  return {
    refresh(): Map<string, { at: number; id: number | null }> {
      for (; scanned < slack.messages.length; scanned += 1) {
        const m = slack.messages[scanned]!;
        if (m.threadTs !== null || m.via !== 'api' || firstPost.has(m.channel)) continue;
        const id = /#(\d+)/.exec(m.text)?.[1];
        firstPost.set(m.channel, { at: m.postedAt.getTime(), id: id === undefined ? null : Number(id) });
      }
      return firstPost;
    },
  };
}

function commandsFor(slack: FakeSlack, prefix: string, count: number): CommandSpec[] {
  return Array.from({ length: count }, (_, i) => {
    const channel = `C${prefix}${String(i).padStart(5, '0')}`;
    return {
      channel,
      responseUrl: slack.responseUrl(`${prefix}-${i}`, { channel, userId: USER }),
      triggerId: `${Date.now()}.${prefix}.${i}`,
    };
  });
}

function plan(url: string, text: string, commands: CommandSpec[]): LoadPlan {
  return {
    url,
    signingSecret: SECRET,
    command: '/hoist',
    text,
    userId: USER,
    ratePerSecond: settings.ratePerSecond,
    warmupSeconds: settings.warmupSeconds,
    durationSeconds: settings.durationSeconds,
    connections: settings.connections,
    commands,
  };
}

function ackResult(id: string, scenario: string, app: Result['app'], samples: Sample[]): Result {
  const measured = samples.filter((s) => !s.warmup);
  const ok = measured.filter((s) => s.error === null);
  const errors = measured.filter((s) => s.error !== null);
  const errorKinds: Record<string, number> = {};
  for (const s of errors) errorKinds[s.error!] = (errorKinds[s.error!] ?? 0) + 1;
  const lags = measured.map((s) => s.sendLagMs).sort((a, b) => a - b);
  return {
    id,
    scenario,
    app,
    measure: 'ack',
    load: loadLabel,
    ...summarize(
      ok.map((s) => s.latencyMs),
      errors.length,
    ),
    notes: {
      over3s: measured.filter((s) => s.latencyMs > 3_000).length,
      generatorSendLagMaxMs: Math.round((lags.at(-1) ?? 0) * 100) / 100,
      ...(errors.length > 0 ? { errorKinds } : {}),
    },
  };
}

/** Waits until every acknowledged command of the load has its card (or was answered with a refusal). */
async function cardsOfLoad(slack: FakeSlack, samples: Sample[], prefix: string): Promise<Result> {
  const watcher = cardWatcher(slack);
  const acked = samples.filter((s) => s.error === null);
  const refusedChannels = (): Set<string> =>
    new Set(slack.responses.filter((r) => r.id.startsWith(`${prefix}-`)).map((r) => `C${prefix}${r.id.slice(prefix.length + 1).padStart(5, '0')}`));
  const loadEnd = Math.max(...samples.map((s) => s.scheduledAt));
  const deadline = Date.now() + settings.drainTimeoutSeconds * 1000;
  let cards = watcher.refresh();
  let refused = refusedChannels();
  while (acked.some((s) => !cards.has(s.channel) && !refused.has(s.channel)) && Date.now() < deadline) {
    await sleep(100);
    cards = watcher.refresh();
    refused = refusedChannels();
  }
  const measured = acked.filter((s) => !s.warmup);
  const latencies: number[] = [];
  let missing = 0;
  let refusals = 0;
  for (const s of measured) {
    const card = cards.get(s.channel);
    if (card) latencies.push(card.at - s.scheduledAt);
    else if (refused.has(s.channel)) refusals += 1;
    else missing += 1;
  }
  const lastCard = Math.max(...acked.map((s) => cards.get(s.channel)?.at ?? 0));
  const firstDue = Math.min(...samples.map((s) => s.scheduledAt));
  const posted = acked.filter((s) => cards.has(s.channel)).length;
  const unacked = samples.filter((s) => !s.warmup && s.error !== null).length;
  return {
    id: 'card-under-load-hoist',
    scenario: 'command → card, during the load (Hoist)',
    app: 'hoist',
    measure: 'card',
    load: `${loadLabel}; fake Slack rate limit ${slackLabel}`,
    ...summarize(latencies, missing + refusals + unacked),
    notes: {
      lastCardAfterLoadEndMs: lastCard > 0 ? Math.round(lastCard - loadEnd) : null,
      // Commands taken from the first request's due time to the last card: what the request path sustains.
      cardsPerSecond: lastCard > 0 ? Math.round((posted / ((lastCard - firstDue) / 1000)) * 10) / 10 : null,
      cardsStillMissingAfterDrainTimeout: missing,
      refusedViaResponseUrl: refusals,
      notAcknowledged: unacked,
      clock: 'card time is when the fake Slack recorded chat.postMessage (1 ms resolution)',
    },
  };
}

/** N commands, one at a time with a gap: ack latency and command → card latency. */
async function oneAtATime(slack: FakeSlack, url: string, count: number, prefix: string): Promise<{ ack: Result; card: Result }> {
  const agent = new Agent({ connections: 1, keepAliveTimeout: 30_000 });
  const acks: number[] = [];
  const cards: number[] = [];
  let ackErrors = 0;
  let cardErrors = 0;
  try {
    for (let i = 0; i < count + 1; i += 1) {
      const warmup = i === 0; // the first one also clones the repository's mirror
      const channel = `C${prefix}${String(i).padStart(5, '0')}`;
      let cardAt = 0;
      const card = slack
        .waitFor((s) => {
          for (let k = s.messages.length - 1; k >= 0; k -= 1) {
            const m = s.messages[k]!;
            if (m.channel === channel && m.threadTs === null && m.via === 'api' && /#\d+/.test(m.text)) {
              cardAt = epochMs();
              return m;
            }
          }
          return null;
        }, 10_000)
        .then(
          () => true,
          () => false,
        );
      const body = slashCommandBody({
        command: '/hoist',
        text: `deploy ${BENCH_APP} to ${CARD_ENV}`,
        userId: USER,
        channelId: channel,
        responseUrl: slack.responseUrl(`${prefix}-${i}`, { channel, userId: USER }),
        triggerId: `${Date.now()}.${prefix}.${i}`,
      });
      const headers = { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(body, SECRET) };
      const sentAt = epochMs();
      let acked = false;
      try {
        const res = await request(url, { method: 'POST', headers, body, dispatcher: agent });
        await res.body.text();
        acked = res.statusCode === 200;
      } catch {
        acked = false;
      }
      const ackMs = epochMs() - sentAt;
      const gotCard = await card;
      if (!warmup) {
        if (acked) acks.push(ackMs);
        else ackErrors += 1;
        if (gotCard) cards.push(cardAt - sentAt);
        else cardErrors += 1;
      }
      await sleep(settings.cardGapMs);
    }
  } finally {
    await agent.close();
  }
  const load = `${count} commands one at a time, ${settings.cardGapMs} ms apart`;
  return {
    ack: { id: 'ack-sequential-hoist', scenario: 'ack, one at a time (Hoist)', app: 'hoist', measure: 'ack', load, ...summarize(acks, ackErrors) },
    card: {
      id: 'card-sequential-hoist',
      scenario: 'command → card, one at a time (Hoist)',
      app: 'hoist',
      measure: 'card',
      load: `${load}; fake Slack rate limit ${slackLabel}`,
      ...summarize(cards, cardErrors),
    },
  };
}

/** Hoist's warnings and errors during the run, by message. */
function logSummary(path: string): { errors: number; warnings: number; messages: Record<string, number> } {
  const summary = { errors: 0, warnings: 0, messages: {} as Record<string, number> };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return summary; // that part did not run
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      const level = entry.level ?? 0;
      if (level >= 50) summary.errors += 1;
      else if (level >= 40) summary.warnings += 1;
      else continue;
      const key = `${entry.msg ?? '?'}${entry.err?.message ? `: ${entry.err.message}` : ''}`;
      summary.messages[key] = (summary.messages[key] ?? 0) + 1;
    } catch {
      // not a log line
    }
  }
  return summary;
}

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? null,
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    loadavgAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

function packageVersion(name: string): string | null {
  try {
    return (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const machineInfo = machine();
  const total = requestCount(settings);
  console.log(`Hoist bench — ${machineInfo.cpus} CPUs, Node ${process.version}`);
  console.log(`  load: ${loadLabel}`);
  console.log(`  fake Slack rate limit: ${slackLabel}`);
  console.log(`  load average at start: ${machineInfo.loadavgAtStart.join(' ')} (other work on the machine skews every figure)`);

  let slack: FakeSlack | null = null;
  let hoist: BenchHoist | null = null;
  let baseline: BaselineBolt | null = null;
  let generator: LoadGenerator | null = null;
  const results: Result[] = [];
  try {
    if (wanted.has('chat')) {
      slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: settings.slackRateLimitPerChannelPerSecond, burst: settings.slackBurst });
      writeFileSync(HOIST_LOG, '');
      hoist = await startBenchHoist({
        slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SECRET },
        logLevel: flags['log-level'] ?? 'warn',
        logFile: HOIST_LOG,
      });
      baseline = await startBaselineBolt({ token: TOKEN, signingSecret: SECRET, apiUrl: slack.url });
      generator = startLoadGenerator();

      console.log(`… ${settings.cards} commands one at a time (Hoist)`);
      const sequential = await oneAtATime(slack, hoist.url, settings.cards, 'SEQ');

      console.log(`… open-loop load on the bare Bolt app (${total} requests)`);
      const baseSamples = await generator.run(plan(baseline.url, `deploy ${BENCH_APP} to ${LOAD_ENV}`, commandsFor(slack, 'BOLT', total)));
      results.push(ackResult('ack-load-bolt-baseline', 'ack under load, bare Bolt 5 (baseline)', 'bolt-baseline', baseSamples));

      console.log(`… open-loop load on Hoist (${total} requests)`);
      const hoistSamples = await generator.run(plan(hoist.url, `deploy ${BENCH_APP} to ${LOAD_ENV}`, commandsFor(slack, 'LOAD', total)));
      results.push(ackResult('ack-load-hoist', 'ack under load (Hoist)', 'hoist', hoistSamples));

      console.log(`… waiting for the cards of the load (up to ${settings.drainTimeoutSeconds} s)`);
      results.push(await cardsOfLoad(slack, hoistSamples, 'LOAD'));
      results.push(sequential.ack, sequential.card);
    }
  } finally {
    generator?.stop();
    await baseline?.stop().catch((error: unknown) => console.error('bench: stopping the baseline failed:', error));
    await hoist?.stop().catch((error: unknown) => console.error('bench: stopping Hoist failed:', error));
    await slack?.close().catch((error: unknown) => console.error('bench: closing the fake Slack failed:', error));
  }

  const lines: string[] = [];
  const say = (line: string) => console.log(`${line} [${Math.round((Date.now() - started) / 1000)} s]`);
  writeFileSync(ORCHESTRATION_LOG, '');
  writeFileSync(WORKERS_LOG, '');
  const recoverySettings = { kills, logLevel: orchestration.logLevel, logFile: ORCHESTRATION_LOG, workerLogFile: WORKERS_LOG };
  const recovery: { rig: RecoveryRig | null } = { rig: null };
  try {
    if (wanted.has('handoff') || wanted.has('throughput')) {
      // The recovery scenario's worker processes start while those of the throughput run do.
      const alongside =
        wanted.has('recovery') && wanted.has('throughput') && orchestration.workerProcesses > 0
          ? async () => {
              recovery.rig = await startRecoveryRig(recoverySettings, say);
            }
          : undefined;
      const done = await runOrchestration(orchestration, { handoff: wanted.has('handoff'), throughput: wanted.has('throughput') }, say, alongside);
      results.push(...done.results);
      lines.push(...done.lines);
    }
    if (wanted.has('recovery')) {
      recovery.rig ??= await startRecoveryRig(recoverySettings, say);
      const done = await recovery.rig.run(say);
      results.push(...done.results);
      lines.push(...done.lines);
    }
  } finally {
    await recovery.rig?.stop().catch((error: unknown) => console.error('bench: stopping the recovery scenario failed:', error));
  }
  if (wanted.has('kubernetes')) {
    writeFileSync(KUBERNETES_LOG, '');
    const done = await runKubernetesBench({ rounds: positive('k8s-rounds', flags['k8s-rounds'], 1), logFile: KUBERNETES_LOG, logLevel: orchestration.logLevel }, say);
    results.push(...done.results);
    lines.push(...done.lines);
  }

  for (const [name, run] of [
    ['burst', () => runBurst({ commands: positive('burst', flags.burst, 1) }, say)],
    ['drain', () => runDrain({ waiting: orchestration.deepQueue, logLevel: 'silent' }, say)],
  ] as const) {
    if (!wanted.has(name)) continue;
    const done = await run();
    results.push(...done.results);
    lines.push(...done.lines);
  }

  console.log('');
  console.log(formatTable(results.map((r) => ({ scenario: r.scenario, summary: r }))));
  console.log('');
  const handoff = results.find((r) => r.id === 'handoff-hoist');
  const deep = results.find((r) => r.id === 'handoff-deep-hoist');
  const bullIdle = results.find((r) => r.id === 'handoff-bullmq-idle');
  const bullChained = results.find((r) => r.id === 'handoff-bullmq-chained');
  if (handoff?.p50Ms != null && bullIdle?.p50Ms != null && bullChained?.p50Ms != null) {
    const n = handoff.notes ?? {};
    console.log(
      `Hand-off: Hoist p50 ${handoff.p50Ms.toFixed(2)} ms vs BullMQ alone ${bullIdle.p50Ms.toFixed(2)} ms (idle) / ${bullChained.p50Ms.toFixed(2)} ms (chained): ` +
        `per-environment serialization adds ~${(handoff.p50Ms - bullChained.p50Ms).toFixed(1)} ms ` +
        `(${String(n.postgresStatementsPerHandoff)} Postgres statements per hand-off); overlaps ${String(n.overlaps)}, out of order ${String(n.outOfOrder)}`,
    );
  }
  if (deep?.notes) {
    const n = deep.notes;
    console.log(
      `Hand-off through a queue of ${orchestration.deepQueue}: p50 ${String(n.p50FirstTenthMs)} ms with ~${orchestration.deepQueue} waiting behind, ${String(n.p50LastTenthMs)} ms with ~0 ` +
        `(${String(n.postgresStatementsPerHandoff)} Postgres statements per hand-off); overlaps ${String(n.overlaps)}, out of order ${String(n.outOfOrder)}`,
    );
  }
  for (const line of lines) console.log(line);
  const base = results.find((r) => r.id === 'ack-load-bolt-baseline');
  const ours = results.find((r) => r.id === 'ack-load-hoist');
  if (base?.p50Ms != null && ours?.p50Ms != null && base.p99Ms != null && ours.p99Ms != null) {
    const diff = (a: number, b: number) => `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(2)} ms`;
    console.log(`Hoist ack vs bare Bolt under the same load: p50 ${diff(ours.p50Ms, base.p50Ms)}, p99 ${diff(ours.p99Ms, base.p99Ms)}`);
  }
  const underLoad = results.find((r) => r.id === 'card-under-load-hoist');
  if (underLoad?.notes) {
    const n = underLoad.notes;
    console.log(
      `Cards of the load: last one ${String(n.lastCardAfterLoadEndMs)} ms after the last request was due ` +
        `(${String(n.cardsPerSecond)} cards/s overall); ` +
        `${String(n.cardsStillMissingAfterDrainTimeout)} missing, ${String(n.refusedViaResponseUrl)} refused`,
    );
    if (Number(n.cardsStillMissingAfterDrainTimeout) > 0) {
      console.log('  (missing: acknowledged, still waiting to be carried out when the bench stopped Hoist)');
    }
  }
  const hoistLog = wanted.has('chat') ? logSummary(HOIST_LOG) : { errors: 0, warnings: 0, messages: {} };
  const kubernetesLog = wanted.has('kubernetes') ? logSummary(KUBERNETES_LOG) : { errors: 0, warnings: 0, messages: {} };
  const logs = { chat: hoistLog, orchestration: logSummary(ORCHESTRATION_LOG), workers: logSummary(WORKERS_LOG), kubernetes: kubernetesLog };
  for (const [name, log] of [
    ['bench/hoist.log', hoistLog],
    ['bench/hoist-orchestration.log', logs.orchestration],
    ['bench/hoist-workers.log', logs.workers],
    ['bench/hoist-kubernetes.log', logs.kubernetes],
  ] as const) {
    if (log.errors + log.warnings === 0) continue;
    console.log(`Hoist logged ${log.errors} errors and ${log.warnings} warnings (${name}):`);
    for (const [message, count] of Object.entries(log.messages)) console.log(`  ${count} × ${message}`);
  }
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    machine: machineInfo,
    versions: { bolt: packageVersion('@slack/bolt'), undici: packageVersion('undici'), bullmq: packageVersion('bullmq') },
    settings: {
      ...settings,
      slackRateLimit: slackLabel,
      hoistMode: 'server (HTTP + chat + notifier, no workers)',
      scenarios: [...wanted],
      orchestration: { ...orchestration, logFile: undefined },
      recovery: { kills },
    },
    loadavgAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
    durationSeconds: Math.round((Date.now() - started) / 100) / 10,
    results,
    hoistLog,
    orchestrationLog: logs.orchestration,
    workersLog: logs.workers,
  };
  writeFileSync(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`Wrote bench/results.json (${report.durationSeconds} s).`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('bench failed:', error);
    process.exit(1);
  },
);
