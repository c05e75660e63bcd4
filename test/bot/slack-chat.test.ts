import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createSlackChat } from '../../src/bot/slack/slack-chat.ts';
import type { Deployment } from '../../src/domain/deployment.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { deployment, service } from './render-fixtures.ts';

const TOKEN = 'xoxb-chat-token';
const logger = pino({ level: 'silent' });
const context = { now: new Date('2026-03-01T10:01:00Z'), queuePosition: null, repoUrl: null };
// Retries stay quick; the wait a 429 asks for is what is measured.
const retryConfig = { retries: 3, minTimeout: 10, maxTimeout: 50 };

const inSlack = (overrides: Partial<Deployment> = {}, channel = 'C1') =>
  deployment({ chat: { kind: 'slack', channel, userId: 'U0ALICE', reply: null }, ...overrides });

describe('Slack chat port', () => {
  let slack: FakeSlack | undefined;
  afterEach(async () => {
    await slack?.close();
    slack = undefined;
  });

  it('posts the card in the requesting channel and answers with its channel and ts', async () => {
    slack = await startFakeSlack({ token: TOKEN });
    const chat = createSlackChat({ token: TOKEN, apiUrl: slack.url, logger, retryConfig });
    const ref = await chat.postCard(inSlack({ id: 7 }), context);
    expect(ref).toEqual({ channel: 'C1', ts: slack.messages[0]!.ts });
    expect(slack.messages[0]!.text).toContain('#7');
    expect(slack.messages[0]!.blocks?.length).toBeGreaterThan(0);
  });

  it('replies in the card’s thread, broadcasting when asked', async () => {
    slack = await startFakeSlack({ token: TOKEN });
    const chat = createSlackChat({ token: TOKEN, apiUrl: slack.url, logger, retryConfig });
    const ref = await chat.postCard(inSlack(), context);
    await chat.postReply(ref, { text: 'api → BUILDING' });
    await chat.postReply(ref, { text: 'failed', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*failed*' } }] }, { broadcast: true });
    expect(slack.thread('C1', ref.ts!).map((m) => [m.text, m.replyBroadcast, m.blocks === null])).toEqual([
      ['api → BUILDING', false, true],
      ['failed', true, false],
    ]);
  });

  it('coalesces quick updates of one card: one in flight, then only the latest', async () => {
    slack = await startFakeSlack({ token: TOKEN });
    const chat = createSlackChat({ token: TOKEN, apiUrl: slack.url, logger, retryConfig });
    const ref = await chat.postCard(inSlack({ status: 'QUEUED' }), context);
    const statuses = ['BUILDING', 'BUILDING', 'DEPLOYING', 'DEPLOYING', 'DEPLOYING', 'DEPLOYING', 'DEPLOYING', 'DEPLOYING', 'DEPLOYING', 'DEPLOYED'] as const;
    const updates = statuses.map((status, i) =>
      chat.updateCard(ref, inSlack({ status, reason: `step ${i + 1}`, services: [service({ status })] }), context),
    );
    await Promise.all(updates);
    const calls = slack.calls.filter((c) => c.method === 'chat.update');
    expect(calls.length).toBeLessThanOrEqual(3);
    const card = slack.messages[0]!;
    expect(card.text).toContain('DEPLOYED');
    expect(JSON.stringify(card.blocks)).toContain('step 10');
    // Every update a caller waited for was carried by a send; none is left behind.
    await chat.idle();
    expect(slack.calls.filter((c) => c.method === 'chat.update')).toHaveLength(calls.length);
  });

  it('edits a final card once for the same content, however many of its last events arrive, and again when it shows more', async () => {
    slack = await startFakeSlack({ token: TOKEN });
    const chat = createSlackChat({ token: TOKEN, apiUrl: slack.url, logger, retryConfig });
    const ref = await chat.postCard(inSlack({ status: 'DEPLOYING' }), context);
    const deployed = inSlack({ status: 'DEPLOYED', services: [service({ status: 'DEPLOYED' })] });
    for (let i = 0; i < 3; i += 1) await chat.updateCard(ref, deployed, context);
    expect(slack.calls.filter((c) => c.method === 'chat.update')).toHaveLength(1);
    await chat.updateCard(ref, { ...deployed, reason: 'no changes' }, context);
    expect(slack.calls.filter((c) => c.method === 'chat.update')).toHaveLength(2);
  });

  it('keeps updates of different cards apart', async () => {
    slack = await startFakeSlack({ token: TOKEN });
    const chat = createSlackChat({ token: TOKEN, apiUrl: slack.url, logger, retryConfig });
    const one = await chat.postCard(inSlack({ id: 1, status: 'QUEUED' }), context);
    const two = await chat.postCard(inSlack({ id: 2, status: 'QUEUED' }), context);
    await Promise.all([
      chat.updateCard(one, inSlack({ id: 1, status: 'DEPLOYED' }), context),
      chat.updateCard(two, inSlack({ id: 2, status: 'BUILD_ERROR' }), context),
    ]);
    expect(slack.messages.map((m) => m.history.length)).toEqual([2, 2]);
    expect(slack.messages[1]!.text).toMatch(/BUILD_ERROR/);
  });

  it('rejects the callers of a failed update; the next update goes through', async () => {
    slack = await startFakeSlack({ token: TOKEN });
    const chat = createSlackChat({ token: TOKEN, apiUrl: slack.url, logger, retryConfig });
    const ref = await chat.postCard(inSlack({ status: 'QUEUED' }), context);
    slack.failNext('chat.update', 'internal_error');
    await expect(chat.updateCard(ref, inSlack({ status: 'BUILDING' }), context)).rejects.toThrow(/internal_error/);
    await chat.updateCard(ref, inSlack({ status: 'DEPLOYED' }), context);
    expect(slack.messages[0]!.text).toContain('DEPLOYED');
  });

  it('waits out a 429 on one channel without delaying a post to another', async () => {
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 1, burst: 1 });
    const chat = createSlackChat({ token: TOKEN, apiUrl: slack.url, logger, retryConfig });
    const busy = await chat.postCard(inSlack({ id: 1 }, 'C1'), context); // takes C1's only token
    const started = performance.now();
    const limited = chat.postReply(busy, { text: 'limited' }).then(() => performance.now() - started);
    await slack.waitFor((s) => s.calls.some((c) => c.status === 429));
    const other = await chat.postCard(inSlack({ id: 2 }, 'C2'), context).then(() => performance.now() - started);
    const waited = await limited;
    expect(other).toBeLessThan(500);
    expect(waited).toBeGreaterThanOrEqual(1000);
    expect(slack.calls.find((c) => c.status === 429)?.params.channel).toBe('C1');
    expect(slack.thread('C1', busy.ts!).map((m) => m.text)).toEqual(['limited']);
  });

  it('lets Slack’s refusal of a post propagate', async () => {
    slack = await startFakeSlack({ token: TOKEN });
    const chat = createSlackChat({ token: TOKEN, apiUrl: slack.url, logger, retryConfig });
    slack.failNext('chat.postMessage', 'channel_not_found');
    await expect(chat.postCard(inSlack(), context)).rejects.toThrow(/channel_not_found/);
    await expect(chat.postReply({ channel: 'C1', ts: '1.000001' }, { text: 'x' })).rejects.toThrow(/thread_not_found/);
  });
});
