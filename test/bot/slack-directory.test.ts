import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackDirectory } from '../../src/bot/slack/slack-directory.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';

const TOKEN = 'xoxb-directory';

describe('Slack user groups for deployers lists', () => {
  let slack: FakeSlack;
  beforeAll(async () => {
    slack = await startFakeSlack({
      token: TOKEN,
      userGroups: [
        { id: 'S1', handle: 'backend', users: ['U0ALICE', 'U0BOB'] },
        { id: 'S2', handle: 'sre', users: ['U0ALICE'] },
      ],
    });
  });
  afterAll(async () => {
    await slack.close();
  });

  it('answers from one usergroups.list a minute, and from the last answer while Slack fails', async () => {
    let clock = 0;
    const directory = createSlackDirectory({ token: TOKEN, apiUrl: slack.url, logger: pino({ level: 'silent' }), ttlMs: 60_000, now: () => clock });
    const lists = () => slack.calls.filter((c) => c.method === 'usergroups.list').length;
    const before = lists();
    expect(await Promise.all([directory.groupsOf('U0ALICE'), directory.groupsOf('U0BOB'), directory.groupsOf('U0CAROL')])).toEqual([
      ['@backend', '@sre'],
      ['@backend'],
      [],
    ]);
    expect(lists() - before).toBe(1);
    expect(slack.calls.findLast((c) => c.method === 'usergroups.list')?.params).toMatchObject({ include_users: 'true' });

    clock = 61_000;
    slack.failNext('usergroups.list', 'ratelimited');
    expect(await directory.groupsOf('U0BOB')).toEqual(['@backend']);
    expect(lists() - before).toBe(2);
  });

  it('knows each group’s id by its handle, for group mentions, from the same answer', async () => {
    const directory = createSlackDirectory({ token: TOKEN, apiUrl: slack.url, logger: pino({ level: 'silent' }) });
    const lists = () => slack.calls.filter((c) => c.method === 'usergroups.list').length;
    const before = lists();
    expect(await Promise.all([directory.groupIdOf('@sre'), directory.groupIdOf('Backend'), directory.groupIdOf('@nobody'), directory.groupsOf('U0BOB')])).toEqual([
      'S2',
      'S1',
      null,
      ['@backend'],
    ]);
    expect(lists() - before).toBe(1);
  });

  it('matches nobody to a group when the groups were never readable', async () => {
    const directory = createSlackDirectory({ token: 'xoxb-wrong', apiUrl: slack.url, logger: pino({ level: 'silent' }) });
    expect(await directory.groupsOf('U0ALICE')).toEqual([]);
  });

  it('answers channel membership from one paged conversations.members per channel a minute; a channel it cannot see has no members', async () => {
    let clock = 0;
    slack.channelMembers = { C0OPS: Array.from({ length: 1500 }, (_, i) => `U${String(i).padStart(5, '0')}`) };
    const directory = createSlackDirectory({ token: TOKEN, apiUrl: slack.url, logger: pino({ level: 'silent' }), now: () => clock });
    const reads = () => slack.calls.filter((c) => c.method === 'conversations.members').length;
    const before = reads();
    expect(await Promise.all([directory.memberOf('C0OPS', 'U01499'), directory.memberOf('C0OPS', 'U0ALICE'), directory.memberOf('C0NONE', 'U00001')])).toEqual([true, false, false]);
    // Two pages of C0OPS, one refusal for C0NONE.
    expect(reads() - before).toBe(3);
    slack.channelMembers.C0OPS = ['U0ALICE'];
    expect(await directory.memberOf('C0OPS', 'U0ALICE')).toBe(false);
    clock = 61_000;
    expect(await directory.memberOf('C0OPS', 'U0ALICE')).toBe(true);
    clock = 122_000;
    slack.failNext('conversations.members', 'ratelimited');
    expect(await directory.memberOf('C0OPS', 'U0ALICE')).toBe(true);
  });
});
