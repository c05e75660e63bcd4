import { startFakeSlack } from '../test/fakes/slack-api.ts';
import { BURST_APPS, BURST_DISTINCT, BURST_TOKEN, burstTexts, sendBurst, startColdHoist, waitForAnswers } from '../test/support/command-burst.ts';
import { removeAppContainers } from '../test/support/containers.ts';
import { startBaselineBolt } from './baseline-bolt.ts';
import { runCardDrain } from './card-drain.ts';
import type { Result } from './result.ts';
import { summarize } from './stats.ts';

/**
 * `--scenarios burst`: 200 signed commands of every kind within one second against a
 * Hoist just started (`hoist start`, its own process), every ack measured and
 * every answer awaited; the same burst against a bare Bolt app started in this
 * process is the floor. No request that makes a deployment repeats an earlier one (it
 * would join it) within the first BURST_DISTINCT commands. `--scenarios drain`: Slack
 * Web API calls per deployment while 50 waiting deployments drain through a no-op target.
 */
export async function runBurst(options: { commands: number }, say: (line: string) => void): Promise<{ results: Result[]; lines: string[] }> {
  const slack = await startFakeSlack({ token: BURST_TOKEN, rateLimitPerChannelPerSecond: 0 });
  const load = `${options.commands} signed commands of every kind within 1 s, one connection each, right after start`;
  if (options.commands > BURST_DISTINCT) say(`  (over ${BURST_DISTINCT} commands, some deploy requests repeat earlier ones and may join them)`);
  try {
    say(`… burst of ${options.commands} commands on a bare Bolt app`);
    const bolt = await startBaselineBolt({ token: BURST_TOKEN, signingSecret: 'burst-signing-secret', apiUrl: slack.url });
    const base = await sendBurst({ url: bolt.url, signingSecret: 'burst-signing-secret', slack, texts: burstTexts(options.commands), spreadMs: 1_000, prefix: 'BOLT' }).finally(() =>
      bolt.stop(),
    );
    say(`… burst of ${options.commands} commands on a freshly started Hoist`);
    const hoist = await startColdHoist(slack);
    try {
      const samples = await sendBurst({ url: hoist.url, signingSecret: hoist.signingSecret, slack, texts: burstTexts(options.commands), spreadMs: 1_000, prefix: 'BURST' });
      const missing = await waitForAnswers(slack, samples, 60_000);
      const acked = samples.filter((s) => s.status === 200);
      const hoistResult: Result = {
        id: 'ack-burst-cold-hoist',
        scenario: 'ack, cold burst (Hoist)',
        app: 'hoist',
        measure: 'ack',
        load,
        ...summarize(
          acked.map((s) => s.ackMs),
          samples.length - acked.length,
        ),
        notes: { over1s: acked.filter((s) => s.ackMs >= 1_000).length, over3s: acked.filter((s) => s.ackMs >= 3_000).length, unanswered: missing.length },
      };
      const baseAcked = base.filter((s) => s.status === 200);
      const boltResult: Result = {
        id: 'ack-burst-bolt-baseline',
        scenario: 'ack, same burst, bare Bolt 5 (baseline)',
        app: 'bolt-baseline',
        measure: 'ack',
        load,
        ...summarize(
          baseAcked.map((s) => s.ackMs),
          base.length - baseAcked.length,
        ),
      };
      return {
        results: [boltResult, hoistResult],
        lines: [
          `Cold burst: ${acked.length}/${samples.length} acknowledged, max ${Math.round(hoistResult.maxMs ?? 0)} ms (bare Bolt max ${Math.round(boltResult.maxMs ?? 0)} ms); ` +
            `${String(hoistResult.notes?.over1s)} over 1 s; ${missing.length} left unanswered`,
        ],
      };
    } finally {
      await hoist.stop();
      for (const app of BURST_APPS) await removeAppContainers(app);
    }
  } finally {
    await slack.close();
  }
}

export async function runDrain(options: { waiting: number; logLevel: string }, say: (line: string) => void): Promise<{ results: Result[]; lines: string[] }> {
  say(`… ${options.waiting} waiting deployments drain, Slack calls counted`);
  const drain = await runCardDrain(options);
  const per = (n: number) => Math.round((n / drain.deployments) * 100) / 100;
  const result: Result = {
    id: 'slack-calls-drain-hoist',
    scenario: `Slack calls, drain of ${options.waiting} waiting (Hoist)`,
    app: 'hoist',
    measure: 'handoff',
    load: `${drain.deployments} deployments in one environment, no-op target, one Slack channel`,
    ...summarize([drain.drainMs], 0),
    notes: { chatUpdate: drain.updates, chatPostMessage: drain.posts, callsPerDeployment: per(drain.updates + drain.posts), updatesPerDeployment: per(drain.updates) },
  };
  return {
    results: [result],
    lines: [
      `Drain of ${options.waiting} waiting: ${drain.updates} chat.update + ${drain.posts} chat.postMessage for ${drain.deployments} deployments ` +
        `(${per(drain.updates + drain.posts)} calls per hand-off, ${per(drain.updates)} of them edits; re-editing every waiting card at each start would be ~${Math.round((options.waiting * (options.waiting + 1)) / 2)} edits)`,
    ],
  };
}
