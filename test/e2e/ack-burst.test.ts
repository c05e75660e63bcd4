import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarize } from '../../bench/stats.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { BURST_APPS, BURST_TOKEN, burstTexts, sendBurst, startColdHoist, waitForAnswers, type ColdHoist } from '../support/command-burst.ts';
import { removeAppContainers } from '../support/containers.ts';

/** Slack gives up on a command after 3 s; Hoist must answer well inside that, whatever arrives at once. */
const ACK_LIMIT_MS = 1_000;
const COUNT = 200;

describe('a burst of commands right after `hoist start`', () => {
  let slack: FakeSlack;
  let hoist: ColdHoist;

  beforeAll(async () => {
    slack = await startFakeSlack({ token: BURST_TOKEN, rateLimitPerChannelPerSecond: 0 });
    hoist = await startColdHoist(slack);
  }, 90_000);

  afterAll(async () => {
    await hoist?.stop();
    await slack?.close();
    for (const app of BURST_APPS) await removeAppContainers(app);
  }, 60_000);

  it(`acknowledges each of ${COUNT} distinct commands sent within one second in under ${ACK_LIMIT_MS} ms, and answers every one`, async ({ annotate }) => {
    const texts = burstTexts(COUNT);
    expect(new Set(texts).size).toBeGreaterThan(COUNT / 2);
    const samples = await sendBurst({ url: hoist.url, signingSecret: hoist.signingSecret, slack, texts, spreadMs: 1_000, prefix: 'BURST' });
    // The figures, shown beside the result (and with a failure): `--reporter=verbose` prints them.
    const acks = summarize(samples.map((s) => s.ackMs), 0);
    await annotate(`acks of ${samples.length}: p50 ${acks.p50Ms} ms, p99 ${acks.p99Ms} ms, max ${acks.maxMs} ms (limit ${ACK_LIMIT_MS} ms)`, 'acks');

    expect(samples.filter((s) => s.status !== 200)).toEqual([]);
    const slow = samples.filter((s) => s.ackMs >= ACK_LIMIT_MS).map((s) => `${s.text}: ${Math.round(s.ackMs)} ms`);
    expect(slow).toEqual([]);

    const missing = await waitForAnswers(slack, samples, 60_000);
    expect(missing.map((s) => s.text)).toEqual([]);
  }, 120_000);
});
