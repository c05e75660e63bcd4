import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatPort } from '../../src/bot/chat-port.ts';
import { createNotifier, type Notifier } from '../../src/bot/notifier.ts';
import { createSlackChat } from '../../src/bot/slack/slack-chat.ts';
import { defaultNotifyPolicy } from '../../src/domain/notify-policy.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { memoryHoist, type MemoryHoist } from './memory-hoist.ts';

const TOKEN = 'xoxb-notifier-token';
const CHANNEL = 'C0DEPLOYS';
const INCIDENTS = 'C0INCIDENTS';
const logger = pino({ level: 'silent' });

const deployCommand = (env = 'local') => ({ verb: 'deploy' as const, scope: { app: 'hello', services: null }, env, ref: null });
const fromSlack = { kind: 'slack' as const, channel: CHANNEL, userId: 'U0ALICE', reply: null };
const requestOptions = { requester: { id: 'U0ALICE', name: 'alice' }, origin: fromSlack, trigger: 'chat' as const };

describe('notifier into Slack', () => {
  let slack: FakeSlack;
  let hoist: MemoryHoist;
  let chat: ChatPort;
  let notifier: Notifier;

  beforeEach(async () => {
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    hoist = memoryHoist();
    chat = createSlackChat({ token: TOKEN, apiUrl: slack.url, logger, retryConfig: { retries: 1, minTimeout: 10 } });
    // Production's failures are broadcast, name the on-call people and go to the incident channel too.
    const notifyPolicy = (d: { env: string }) => (d.env === 'production' ? { broadcastFailures: true, mention: ['U0CAROL', '@oncall'], channel: INCIDENTS } : defaultNotifyPolicy(false));
    notifier = createNotifier({ feed: hoist.feed, api: hoist.api, cards: hoist.cards, chats: { slack: chat }, logger, notifyPolicy });
    notifier.start();
  });

  afterEach(async () => {
    await notifier.stop();
    await slack.close();
  });

  const cards = () => slack.messages.filter((m) => m.threadTs === null);

  async function requested(env = 'local'): Promise<number> {
    const result = await hoist.api.request(deployCommand(env), requestOptions);
    if (!result.ok) throw new Error(result.reason);
    await hoist.delivered();
    return result.deployment.id;
  }

  it('posts one card per deployment in the requesting channel and keeps its ref', async () => {
    const id = await requested();
    expect(cards()).toHaveLength(1);
    expect(cards()[0]!.channel).toBe(CHANNEL);
    expect(cards()[0]!.text).toContain(`#${id}`);
    expect(hoist.cards.refs.get(id)).toEqual({ channel: CHANNEL, ts: cards()[0]!.ts });
  });

  it('posts a summary of which service runs what in the thread', async () => {
    const id = await requested();
    await hoist.publish({
      kind: 'summary',
      deploymentId: id,
      headline: 'Canceled — what runs in local now:',
      services: [{ name: 'web', version: 'abcdef1234567890abcdef1234567890abcdef12', note: 'canceled during the rollout; previous version kept' }],
    });
    const card = cards()[0]!;
    const replies = slack.thread(CHANNEL, card.ts).map((m) => m.text);
    expect(replies).toContain('Canceled — what runs in local now:\n• *web* runs `abcdef1` — canceled during the rollout; previous version kept');
  });

  it('edits the card on each transition and says so in its thread', async () => {
    const id = await requested();
    await hoist.advance(id, 'BUILDING');
    await hoist.advance(id, 'BUILDING', { service: 'web' });
    await hoist.advance(id, 'DEPLOYED', { service: 'web' });
    await hoist.advance(id, 'DEPLOYED');
    const card = cards()[0]!;
    expect(cards()).toHaveLength(1);
    expect(slack.thread(CHANNEL, card.ts).map((m) => m.text)).toEqual([`#${id} → BUILDING`, 'web → BUILDING', 'web → DEPLOYED', expect.stringMatching(new RegExp(`^#${id} DEPLOYED`))]);
    // The final edit is waited for: the card shows the end when the last event is handled.
    expect(card.text).toContain('DEPLOYED');
    expect(card.history.length).toBeGreaterThan(1);
  });

  it('posts a failure in the thread, mentioning the requester; the environment’s notify policy broadcasts it, names whom it lists and tells the incident channel', async () => {
    const local = await requested('local');
    await hoist.fail(local, 'web', 'BUILD_ERROR', 'the build failed', ['step 1', 'boom: exit 3']);
    const localReply = slack.thread(CHANNEL, hoist.cards.refs.get(local)!.ts!).at(-1)!;
    expect(localReply.text).toContain('<@U0ALICE>');
    expect(localReply.text).not.toContain('U0CAROL');
    expect(JSON.stringify(localReply.blocks)).toContain('boom: exit 3');
    expect(localReply.replyBroadcast).toBe(false);
    expect(slack.messages.filter((m) => m.channel === INCIDENTS)).toEqual([]);

    const production = await requested('production');
    await hoist.fail(production, 'web', 'DEPLOYMENT_ERROR', 'never healthy');
    const card = hoist.cards.refs.get(production)!;
    const productionReply = slack.thread(CHANNEL, card.ts!).at(-1)!;
    expect(productionReply.replyBroadcast).toBe(true);
    expect(productionReply.text).toMatch(/^<@U0ALICE> <@U0CAROL>, @oncall web DEPLOYMENT_ERROR/);
    const incidents = slack.messages.filter((m) => m.channel === INCIDENTS);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.threadTs).toBeNull();
    expect(incidents[0]!.text).toContain(`*hello* in *production*: web \`DEPLOYMENT_ERROR\` in #${production} — never healthy <@U0CAROL>, @oncall`);
    // The link opens the deployment's thread (Slack's permalink of its card).
    const permalink = /<(https:[^|>]+)\|Open the thread>/.exec(incidents[0]!.text)?.[1];
    expect(permalink).toContain(`/archives/${CHANNEL}/p${card.ts!.replace('.', '')}`);
  });

  it('posts the card first when an event finds none (the card was lost before it was saved)', async () => {
    const id = await requested();
    hoist.cards.refs.clear();
    await hoist.advance(id, 'BUILDING');
    const all = cards();
    expect(all).toHaveLength(2);
    const fresh = all[1]!;
    expect(hoist.cards.refs.get(id)).toEqual({ channel: CHANNEL, ts: fresh.ts });
    expect(slack.thread(CHANNEL, fresh.ts).map((m) => m.text)).toEqual([`#${id} → BUILDING`]);
  });

  it('updates rather than reposts when `requested` comes again', async () => {
    const id = await requested();
    await hoist.publish({ kind: 'requested', deploymentId: id });
    // Updates of a running deployment are not waited for by the notifier.
    await slack.waitFor((s) => s.calls.some((c) => c.method === 'chat.update'));
    expect(cards()).toHaveLength(1);
    expect(cards()[0]!.history).toHaveLength(2);
  });

  it('lets a chat error reach the feed, so the event is delivered again', async () => {
    const id = await requested();
    slack.failNext('chat.postMessage', 'internal_error');
    await expect(hoist.advance(id, 'BUILDING')).rejects.toThrow(/internal_error/);
    expect(hoist.failures.map((f) => f.event.event.kind)).toEqual(['status']);
    // Delivered again, it goes through.
    await hoist.publish(hoist.failures[0]!.event.event);
    expect(slack.thread(CHANNEL, cards()[0]!.ts).map((m) => m.text)).toEqual([`#${id} → BUILDING`]);
  });

  it('says nothing for a deployment without a chat', async () => {
    const result = await hoist.api.request(deployCommand(), { ...requestOptions, origin: { kind: 'none' } });
    if (!result.ok) throw new Error(result.reason);
    await hoist.advance(result.deployment.id, 'BUILDING');
    expect(slack.calls.filter((c) => c.method.startsWith('chat.'))).toHaveLength(0);
  });

  it('reads a deployment requested from no chat for its first event only; one in a chat for each event', async () => {
    const reads = vi.spyOn(hoist.api, 'getDeployment');
    const readsOf = (id: number) => reads.mock.calls.filter(([read]) => read === id).length;
    const quiet = await hoist.api.request(deployCommand(), { ...requestOptions, origin: { kind: 'none' } });
    if (!quiet.ok) throw new Error(quiet.reason);
    for (const status of ['BUILDING', 'DEPLOYING', 'DEPLOYED'] as const) await hoist.advance(quiet.deployment.id, status);
    await hoist.publish({ kind: 'summary', deploymentId: quiet.deployment.id, headline: 'Deployed', services: [] });
    expect(readsOf(quiet.deployment.id)).toBe(1);
    // A card shows the deployment as it is at each event.
    const shown = await requested();
    for (const status of ['BUILDING', 'DEPLOYING', 'DEPLOYED'] as const) await hoist.advance(shown, status);
    expect(readsOf(shown)).toBe(4);
    expect(slack.messages.filter((m) => m.text.includes(`#${quiet.deployment.id}`))).toEqual([]);
  });

  it('shows a deployment requested through the API in the app’s channel, and one whose app has none nowhere', async () => {
    const token = { requester: { id: 'token:ci', name: 'token:ci' }, trigger: 'api' as const };
    const inChannel = await hoist.api.request(deployCommand(), { ...token, origin: { kind: 'api', token: 'ci', channel: CHANNEL } });
    if (!inChannel.ok) throw new Error(inChannel.reason);
    await hoist.delivered();
    expect(cards().map((m) => [m.channel, m.text.includes(`#${inChannel.deployment.id}`)])).toEqual([[CHANNEL, true]]);
    await hoist.advance(inChannel.deployment.id, 'BUILDING');
    expect(slack.thread(CHANNEL, cards()[0]!.ts).map((m) => m.text)).toEqual([`#${inChannel.deployment.id} → BUILDING`]);

    const nowhere = await hoist.api.request(deployCommand(), { ...token, origin: { kind: 'api', token: 'ci', channel: null } });
    if (!nowhere.ok) throw new Error(nowhere.reason);
    expect(nowhere.deployment.id).not.toBe(inChannel.deployment.id);
    await hoist.advance(nowhere.deployment.id, 'BUILDING');
    expect(cards()).toHaveLength(1);
    expect(slack.messages.filter((m) => m.text.includes(`#${nowhere.deployment.id}`))).toEqual([]);
  });

  it('shows the queue position of a waiting deployment', async () => {
    await requested();
    const second = await requested();
    const card = cards().find((m) => m.text.includes(`#${second}`))!;
    expect(JSON.stringify(card.blocks)).toContain('position 2 in the queue');
  });
});
