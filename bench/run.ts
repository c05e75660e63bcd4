/**
 * `npm run bench`: how fast Hoist's chat edge answers, next to a bare Bolt app
 * measured in the same run with the same load generator.
 *
 *   1. acknowledgement of signed `/hoist deploy shop@<sha>` slash commands (a
 *      commit of its own each) under an open-loop load (fixed schedule, latency
 *      from the scheduled send time), Hoist and a bare Bolt 5 app;
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
 *      (bench/burst.ts);
 *   8. approval: the last needed Approve (a click on the card, and the service's approve)
 *      → the deployment's start, beside request → start where nothing waits for approval
 *      (bench/approval.ts);
 *   9. reads: `GET /api/v1/apps/hello/environments/local` at 1,000 req/s open loop against
 *      `hoist start` on Postgres and on PGlite, beside a bare Hono route returning a constant,
 *      and each Hoist's resident memory after its load (bench/reads.ts).
 *   10. events: 500 event-stream clients on one Hoist, one status change at a time → each
 *      client's receipt, beside the same clients on a bare Hono SSE route (bench/events.ts).
 *   11. webhooks: a deployment's final status → a webhook receiver that answers at once got the
 *      signed POST, beside a bare POST to the same receiver (bench/webhooks.ts).
 *   12. metrics: `GET /metrics` with 100 environments and 10,000 deployments recorded, on
 *      Postgres and PGlite, steady and the first scrape of a fresh process, beside prom-client's
 *      default process metrics alone; Postgres statements per scrape (bench/metrics.ts).
 *   14. redis: the throughput scenario on one Redis node and on a three-master Redis Cluster
 *      started by the bench, and a Sentinel failover → the next deployment's start
 *      (bench/redis-topologies.ts).
 *   13. socket: acks of the same slash commands at the same open-loop rate over Socket Mode
 *      (envelopes on the fake Slack's WebSocket) and over HTTP, two Hoists in the same run
 *      (bench/socket.ts).
 *
 * Prints a table and writes bench/results.json. Options (after `--`):
 *   --rate 100 --duration 10 --warmup 1 --connections 20 --cards 50
 *   --card-gap 100 --slack-rate-limit 1 --drain-timeout 60 --log-level warn
 *   --scenarios chat,handoff,throughput,recovery,kubernetes,burst,drain,approval,reads,events,webhooks,metrics,outbox-429,push,socket,redis --burst 200 --handoffs 100 --deep-queue 50 --envs 100
 *   --per-env 3 --concurrency 16 --worker-processes 1,2,4 --warm-rounds 40 --throughput-runs 3 --kills 3 --k8s-rounds 5 --approvals 50
 *   --read-rate 1000 --read-duration 10 --read-connections 50 --event-clients 500 --event-rounds 5 --webhook-rounds 50 --outbox-deployments 20 --redis-envs 20 --failovers 3
 *   --metrics-scrapes 200 --metrics-envs 100 --metrics-deployments 10000
 * Hoist's own log lines go to bench/hoist.log, those of the orchestration, approval and
 * recovery scenarios to bench/hoist-orchestration.log and bench/hoist-workers.log
 * (git-ignored).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { startFakeSlack, type FakeSlack } from '../test/fakes/slack-api.ts';
import { startBaselineBolt, type BaselineBolt } from './baseline-bolt.ts';
import { logSummary, machine, packageVersion } from './bench-report.ts';
import {
  flags,
  HOIST_LOG,
  KUBERNETES_LOG,
  kills,
  loadLabel,
  orchestration,
  ORCHESTRATION_LOG,
  positive,
  reads,
  RESULTS,
  SECRET,
  settings,
  slackLabel,
  TOKEN,
  wanted,
  WORKERS_LOG,
} from './bench-settings.ts';
import { deployText, LOAD_ENV, startBenchHoist, type BenchHoist } from './bench-hoist.ts';
import { ackResult, cardsOfLoad, commandsFor, oneAtATime, plan } from './chat-scenario.ts';
import { startLoadGenerator, type LoadGenerator } from './load-generator.ts';
import { requestCount } from './open-loop.ts';
import { runApprovalBench } from './approval.ts';
import { runBurst, runDrain } from './burst.ts';
import { runEventsBench } from './events.ts';
import { runKubernetesBench } from './kubernetes.ts';
import { runMetricsBench } from './metrics.ts';
import { runOrchestration } from './orchestration.ts';
import { countStatementCallers } from './pg-counter.ts';
import { runReads } from './reads.ts';
import { runWebhooksBench } from './webhooks.ts';
import { runRedisTopologiesBench } from './redis-topologies.ts';
import { runOutbox429Bench } from './outbox-429.ts';
import { runPushBench } from './push.ts';
import { runSocketBench } from './socket.ts';
import { startRecoveryRig, type RecoveryRig } from './recovery.ts';
import type { Result } from './result.ts';
import { formatTable } from './stats.ts';

async function main(): Promise<void> {
  const started = Date.now();
  countStatementCallers(flags['statement-callers'] === true);
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
        versions: Math.max(settings.cards + 1, total),
      });
      baseline = await startBaselineBolt({ token: TOKEN, signingSecret: SECRET, apiUrl: slack.url });
      generator = startLoadGenerator();

      console.log(`… ${settings.cards} commands one at a time (Hoist)`);
      const sequential = await oneAtATime(slack, hoist.url, hoist.versions, settings.cards, 'SEQ');
      // A commit each; the bare Bolt app gets the same texts, so both parse requests of one size.
      const loadTexts = hoist.versions.slice(0, total).map((version) => deployText(LOAD_ENV, version));

      console.log(`… open-loop load on the bare Bolt app (${total} requests)`);
      const baseSamples = await generator.run(plan(baseline.url, commandsFor(slack, 'BOLT', loadTexts)));
      results.push(ackResult('ack-load-bolt-baseline', 'ack under load, bare Bolt 5 (baseline)', 'bolt-baseline', baseSamples));

      console.log(`… open-loop load on Hoist (${total} requests)`);
      const hoistSamples = await generator.run(plan(hoist.url, commandsFor(slack, 'LOAD', loadTexts)));
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
        wanted.has('recovery') && wanted.has('throughput') && orchestration.workerProcesses.length > 0
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
    [
      'approval',
      () =>
        runApprovalBench(
          { deployments: positive('approvals', flags.approvals, 1), concurrency: orchestration.concurrency, logFile: ORCHESTRATION_LOG, logLevel: orchestration.logLevel },
          say,
        ),
    ],
    [
      'reads',
      async () => {
        const readLoad = startLoadGenerator();
        try {
          return await runReads(reads, readLoad, say);
        } finally {
          readLoad.stop();
        }
      },
    ],
    ['events', () => runEventsBench({ clients: positive('event-clients', flags['event-clients'], 1), rounds: positive('event-rounds', flags['event-rounds'], 1) }, say)],
    ['webhooks', () => runWebhooksBench({ rounds: positive('webhook-rounds', flags['webhook-rounds'], 1) }, say)],
    ['push', () => runPushBench({ rounds: positive('push-rounds', flags['push-rounds'], 1), logFile: ORCHESTRATION_LOG }, say)],
    ['socket', () => runSocketBench({ logLevel: flags['log-level'] ?? 'warn', logFile: HOIST_LOG }, say)],
    [
      'redis',
      () =>
        runRedisTopologiesBench(
          {
            envs: positive('redis-envs', flags['redis-envs'], 1),
            perEnv: orchestration.perEnv,
            concurrency: orchestration.concurrency,
            failovers: positive('failovers', flags.failovers, 0),
            drainTimeoutSeconds: orchestration.drainTimeoutSeconds,
            logFile: ORCHESTRATION_LOG,
            logLevel: orchestration.logLevel,
          },
          say,
        ),
    ],
    ['outbox-429', () => runOutbox429Bench({ deployments: positive('outbox-deployments', flags['outbox-deployments'], 1) }, say)],
    [
      'metrics',
      () =>
        runMetricsBench(
          {
            scrapes: positive('metrics-scrapes', flags['metrics-scrapes'], 1),
            environments: positive('metrics-envs', flags['metrics-envs'], 1),
            deployments: positive('metrics-deployments', flags['metrics-deployments'], 1),
          },
          say,
        ),
    ],
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
  const click = results.find((r) => r.id === 'approval-click-hoist');
  if (click?.p50Ms != null && handoff?.p50Ms != null) {
    console.log(`Approve click → start p50 ${click.p50Ms.toFixed(2)} ms / p99 ${String(click.p99Ms)} ms beside the hand-off with one waiting p50 ${handoff.p50Ms.toFixed(2)} ms / p99 ${String(handoff.p99Ms)} ms (same run)`);
  }
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
      approval: { deployments: Number(flags.approvals) },
      reads,
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
