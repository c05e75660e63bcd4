import { afterEach, describe, expect, it } from 'vitest';
import type { FakeMessage } from '../fakes/slack-api.ts';
import { startOutboxHoist, type OutboxHoist } from '../support/slack-outbox-hoist.ts';

/** The event each message was posted for, from its metadata. */
const eventIds = (messages: FakeMessage[]) => messages.map((m) => m.metadata?.event_payload.event_id);
/** The deployment's own final line (`#12 DEPLOYED …`), not a service's (`box → DEPLOYED`). */
const FINAL = /^#\d+ DEPLOYED/;
const deployedEverywhere = (h: OutboxHoist, count: number) => h.cards().length === count && h.cards().every((c) => /DEPLOYED/.test(c.text) && h.replies(c).some((r) => FINAL.test(r.text)));

/** Every thread holds each event's message once, in the order of the log, its final status last. */
function expectEachOnceInOrder(h: OutboxHoist, count: number): void {
  const cards = h.cards();
  expect(cards).toHaveLength(count);
  expect(new Set(cards.map((c) => c.metadata?.event_payload.deployment_id)).size).toBe(count);
  for (const card of cards) {
    const ids = eventIds(h.replies(card));
    expect(ids.every((id) => typeof id === 'number')).toBe(true);
    expect(ids).toEqual([...new Set(ids)].sort((a, b) => Number(a) - Number(b)));
    const finals = h.replies(card).filter((r) => FINAL.test(r.text));
    expect(finals, JSON.stringify(h.replies(card).map((r) => r.text))).toHaveLength(1);
  }
}

describe('every thread message exactly once', () => {
  let h: OutboxHoist;
  afterEach(async () => {
    await h?.stop();
  });

  it('shows a card and a reply once when Slack carried out the post but its answer was lost', async () => {
    h = await startOutboxHoist({ envs: ['lost'], rate: 0, burst: 1, postsPerSecond: 1000 });
    const card = h.slack.holdNext('chat.postMessage');
    await h.deploy('lost');
    await card.accepted;
    card.drop();
    // The card is in the channel; Hoist does not know it. Its next reply's answer is lost too.
    const reply = h.slack.holdNext('chat.postMessage');
    await reply.accepted;
    reply.drop();
    await h.slack.waitFor(() => deployedEverywhere(h, 1), 30_000);
    expectEachOnceInOrder(h, 1);
    // The redeliveries looked (the channel for the card, the thread for the reply) before posting.
    const methods = h.slack.calls.map((c) => c.method);
    expect(methods).toContain('conversations.history');
    expect(methods).toContain('conversations.replies');
  }, 60_000);

  it('posts every final status once, in order, after Slack answered 503 to everything for a while', async () => {
    h = await startOutboxHoist({ envs: ['down-a', 'down-b', 'down-c'], rate: 0, burst: 1, postsPerSecond: 1000 });
    h.slack.unavailable(503);
    for (const env of ['down-a', 'down-b', 'down-c']) await h.deploy(env);
    // Down across several retries of the event log (1 s, 2 s, ...), while the deployments finish.
    await h.slack.waitFor((s) => s.calls.filter((c) => c.status === 503).length >= 9 || null, 30_000);
    h.slack.available();
    await h.slack.waitFor(() => deployedEverywhere(h, 3), 60_000);
    expectEachOnceInOrder(h, 3);
  }, 90_000);

  it('paces 30 deployments finishing together in one channel below the channel limit: no 429', async () => {
    const envs = Array.from({ length: 30 }, (_, i) => `pace-${i}`);
    // The fake runs in this process, so a busy moment of the test bunches the posts it sees: a
    // burst of 5 (Slack allows "short bursts") keeps that from counting as Hoist going too fast.
    h = await startOutboxHoist({ envs, rate: 10, burst: 5, postsPerSecond: 10 });
    await Promise.all(envs.map((env) => h.deploy(env)));
    await h.slack.waitFor(() => deployedEverywhere(h, 30), 120_000);
    expect(h.slack.calls.filter((c) => c.status === 429).map((c) => `${c.method} at ${c.at.toISOString()}`)).toEqual([]);
    expectEachOnceInOrder(h, 30);
  }, 180_000);
});
