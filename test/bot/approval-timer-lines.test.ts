import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/bot/grammar.ts';
import { createNotifier, type Notifier } from '../../src/bot/notifier.ts';
import { renderApprovalStep } from '../../src/bot/render/thread-lines.ts';
import type { DeploymentEvent } from '../../src/domain/deployment.ts';
import { createSlackChat } from '../../src/bot/slack/slack-chat.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { memoryHoist, type MemoryHoist } from './memory-hoist.ts';

describe('deploy --bypass-approval', () => {
  const deploy = { verb: 'deploy', scope: { app: 'shop', services: null }, env: 'production', ref: null } as const;
  it.each([
    ['deploy shop to production --bypass-approval "incident 88"', 'incident 88'],
    ['deploy shop to production --bypass-approval=hotfix', 'hotfix'],
    ['deploy shop to production --bypass-approval the database is down', 'the database is down'],
  ])('%s', (text, reason) => {
    expect(parseCommand(text)).toEqual({ ok: true, command: { ...deploy, bypassApproval: reason } });
  });

  it('leaves bypassApproval out when not given', () => {
    expect(parseCommand('deploy shop to production')).toEqual({ ok: true, command: deploy });
  });

  it.each([
    ['deploy shop to production --bypass-approval', '`--bypass-approval` needs a reason, for the record: `--bypass-approval "incident 88"`'],
    ['deploy shop to production --bypass-approval ""', '`--bypass-approval` needs a reason, for the record: `--bypass-approval "incident 88"`'],
    ['deploy shop to production --bypass-approval a --bypass-approval b', '`--bypass-approval` is given twice'],
    ['deploy shop to production --bypass-approval x --fast', '`deploy` takes no option `--fast`'],
  ])('refuses %j', (text, reason) => {
    expect(parseCommand(text)).toMatchObject({ ok: false, reason });
  });
});

type ApprovalEvent = Extract<DeploymentEvent, { kind: 'approval' }>;

describe('approval timer lines', () => {
  const mention = (id: string) => `<@${id}>`;
  it('an expiry addresses the requester, a reminder the approvers (groups as written)', () => {
    const expired: ApprovalEvent = { kind: 'approval', deploymentId: 7, step: 'expired', actor: null, reason: 'nobody approved or rejected it within 4h', to: ['U0ALICE'] };
    expect(renderApprovalStep(expired, 'mrkdwn', { mention })).toBe('<@U0ALICE> #7 expired without a decision — nobody approved or rejected it within 4h');
    const reminded: ApprovalEvent = { kind: 'approval', deploymentId: 7, step: 'reminded', actor: null, reason: 'waiting for 2 of @sre, U0BOB', to: ['@sre', 'U0BOB'] };
    expect(renderApprovalStep(reminded, 'text', { mention })).toBe('@sre <@U0BOB> reminder: #7 still waits for approval — waiting for 2 of @sre, U0BOB');
  });

  it('a reminder is led by the chat\'s own mentions of the approvers where the chat has them (Slack group mentions)', () => {
    const reminded: ApprovalEvent = { kind: 'approval', deploymentId: 7, step: 'reminded', actor: null, reason: null, to: ['@sre', 'U0BOB'] };
    expect(renderApprovalStep(reminded, 'mrkdwn', { mention, approvers: '<!subteam^S0SRE>, <@U0BOB>' })).toBe('<!subteam^S0SRE>, <@U0BOB> reminder: #7 still waits for approval');
  });
});

describe('approval lines in Slack', () => {
  const TOKEN = 'xoxb-approval-lines';
  const CHANNEL = 'C0APPROVE';
  let slack: FakeSlack;
  let hoist: MemoryHoist;
  let notifier: Notifier;

  beforeEach(async () => {
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    hoist = memoryHoist();
    const logger = pino({ level: 'silent' });
    const chat = createSlackChat({ token: TOKEN, apiUrl: slack.url, logger, retryConfig: { retries: 1, minTimeout: 10 } });
    notifier = createNotifier({ feed: hoist.feed, api: hoist.api, cards: hoist.cards, chats: { slack: chat }, logger });
    notifier.start();
  });
  afterEach(async () => {
    await notifier.stop();
    await slack.close();
  });

  it('a bypass is announced in the channel; an expiry mentions the requester in the thread only', async () => {
    const result = await hoist.api.request(
      { verb: 'deploy', scope: { app: 'hello', services: null }, env: 'local', ref: null },
      { requester: { id: 'U0ALICE', name: 'alice' }, origin: { kind: 'slack', channel: CHANNEL, userId: 'U0ALICE', reply: null }, trigger: 'chat' },
    );
    if (!result.ok) throw new Error(result.reason);
    const id = result.deployment.id;
    await hoist.delivered();
    await hoist.publish({ kind: 'approval', deploymentId: id, step: 'bypassed', actor: { id: 'U0ALICE', name: 'alice' }, reason: 'incident 88' });
    await hoist.publish({ kind: 'approval', deploymentId: id, step: 'expired', actor: null, reason: 'nobody approved or rejected it within 4h', to: ['U0ALICE'] });
    const thread = slack.thread(CHANNEL, hoist.cards.refs.get(id)!.ts!);
    expect(thread.map((m) => [m.text, m.replyBroadcast])).toEqual([
      ['@alice went ahead without approval — incident 88', true],
      [`<@U0ALICE> #${id} expired without a decision — nobody approved or rejected it within 4h`, false],
    ]);
  });
});
