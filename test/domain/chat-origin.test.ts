import { describe, expect, it } from 'vitest';
import { chatOf, slackChannelOf, type ChatOrigin } from '../../src/domain/deployment.ts';

describe('where a request’s messages go', () => {
  it.each<[string, ChatOrigin, 'slack' | 'shell' | null, string | null]>([
    ['a Slack channel', { kind: 'slack', channel: 'C0SHOP', userId: 'U0ALICE', reply: null }, 'slack', 'C0SHOP'],
    ['the terminal', { kind: 'shell' }, 'shell', null],
    ['the API, for an app with a channel', { kind: 'api', token: 'ci', channel: 'C0SHOP' }, 'slack', 'C0SHOP'],
    ['the API, for an app without one', { kind: 'api', token: 'ci', channel: null }, null, null],
    ['nowhere', { kind: 'none' }, null, null],
  ])('%s', (_what, origin, chat, channel) => {
    expect(chatOf(origin)).toBe(chat);
    expect(slackChannelOf(origin)).toBe(channel);
  });
});
