import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { appHomeOpenedCallback } from '../fakes/slack-sign.ts';
import { DOCUMENTED_APP_HOME_OPENED } from '../fakes/slack-documented.ts';

const TOKEN = 'xoxb-home-token';

// Slack's documented examples, verbatim but for the `...` the pages use to elide blocks,
// which is left out so the text is JSON.

/** api.slack.com/methods/views.publish: the typical success response. */
const DOCUMENTED_VIEWS_PUBLISH_RESPONSE = {
  ok: true,
  view: {
    id: 'VMHU10V25',
    team_id: 'T8N4K1JN',
    type: 'home',
    close: null,
    submit: null,
    blocks: [{ type: 'section', block_id: '2WGp9', text: { type: 'mrkdwn', text: 'A simple section with some sample sentence.', verbatim: false } }],
    private_metadata: 'Shh it is a secret',
    callback_id: 'identify_your_home_tab',
    state: { values: [] },
    hash: '156772938.1827394',
    clear_on_close: false,
    notify_on_close: false,
    root_view_id: 'VMHU10V25',
    previous_view_id: null,
    app_id: 'AA4928AQ',
    external_id: '',
    bot_id: 'BA13894H',
  },
};

/** Fields of the documented value that `ours` lacks (paths); `close`/`submit`/`previous_view_id` may be null or absent. */
function missing(documented: Record<string, unknown>, ours: Record<string, unknown>, path = ''): string[] {
  return Object.entries(documented).flatMap(([key, value]) => {
    const here = `${path}${key}`;
    if (value === null) return [];
    if (!(key in ours)) return [here];
    const theirs = ours[key];
    if (typeof value === 'object' && !Array.isArray(value) && typeof theirs === 'object' && theirs !== null) return missing(value as Record<string, unknown>, theirs as Record<string, unknown>, `${here}.`);
    return [];
  });
}

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('fake Slack: Home tabs', () => {
  let slack: FakeSlack;
  let client: webApi.WebClient;

  beforeAll(async () => {
    slack = await startFakeSlack({ token: TOKEN });
    client = new webApi.WebClient(TOKEN, { slackApiUrl: slack.url, logLevel: webApi.LogLevel.ERROR, retryConfig: { retries: 0 } });
  });
  afterAll(async () => {
    await slack.close();
  });

  it('publishes a Home view per user and answers in the documented shape', async () => {
    const answer = await client.views.publish({ user_id: 'U0ALICE', view: { type: 'home', callback_id: 'home', blocks: [section('hello')] } });
    expect(missing(DOCUMENTED_VIEWS_PUBLISH_RESPONSE.view, answer.view as Record<string, unknown>)).toEqual([]);
    expect(answer.view).toMatchObject({ type: 'home', blocks: [{ type: 'section', text: { text: 'hello' } }] });
    expect(slack.homes.map((h) => h.userId)).toEqual(['U0ALICE']);
  });

  it('refuses a stale hash with hash_conflict and takes the current one', async () => {
    const first = await client.views.publish({ user_id: 'U0BOB', view: { type: 'home', blocks: [section('one')] } });
    const second = await client.views.publish({ user_id: 'U0BOB', view: { type: 'home', blocks: [section('two')] }, hash: first.view!.hash! });
    await expect(client.views.publish({ user_id: 'U0BOB', view: { type: 'home', blocks: [section('stale')] }, hash: first.view!.hash! })).rejects.toMatchObject({ data: { error: 'hash_conflict' } });
    await client.views.publish({ user_id: 'U0BOB', view: { type: 'home', blocks: [section('three')] }, hash: second.view!.hash! });
    const home = slack.homes.find((h) => h.userId === 'U0BOB')!;
    expect(home.versions.map((v) => (v.blocks as { text: { text: string } }[])[0]!.text.text)).toEqual(['one', 'two', 'three']);
    expect(new Set(home.versions.map((v) => v.id))).toEqual(new Set([home.id]));
  });

  it('holds a Home view to 100 blocks, type home, and its required fields', async () => {
    const blocks = (n: number) => Array.from({ length: n }, (_, i) => section(`b${i}`));
    await expect(client.views.publish({ user_id: 'U0CAROL', view: { type: 'home', blocks: blocks(100) } })).resolves.toMatchObject({ ok: true });
    const refused = async (args: Record<string, unknown>) => {
      const res = await fetch(`${slack.url}views.publish`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(args) });
      return (await res.json()) as { error: string; response_metadata?: { messages: string[] } };
    };
    expect(await refused({ user_id: 'U0CAROL', view: JSON.stringify({ type: 'home', blocks: blocks(101) }) })).toMatchObject({ error: 'invalid_arguments', response_metadata: { messages: [expect.stringContaining('/view/blocks')] } });
    expect(await refused({ user_id: 'U0CAROL', view: JSON.stringify({ type: 'modal', blocks: [] }) })).toMatchObject({ error: 'invalid_arguments' });
    expect(await refused({ view: JSON.stringify({ type: 'home', blocks: [] }) })).toMatchObject({ error: 'invalid_arguments' });
    expect(await refused({ user_id: 'U0CAROL' })).toMatchObject({ error: 'invalid_arguments' });
    expect(await refused({ user_id: 'U0CAROL', view: JSON.stringify({ type: 'home', blocks: [] }), hash: '1.nope' })).toMatchObject({ error: 'hash_conflict' });
  });

  it('answers conversations.members from its table, a page at a time, and channel_not_found for a channel it does not hold', async () => {
    slack.channelMembers = { C0BIG: Array.from({ length: 250 }, (_, i) => `U${String(i).padStart(4, '0')}`) };
    const first = await client.conversations.members({ channel: 'C0BIG', limit: 200 });
    expect(first.members).toHaveLength(200);
    const second = await client.conversations.members({ channel: 'C0BIG', limit: 200, cursor: first.response_metadata!.next_cursor! });
    expect(second.members).toHaveLength(50);
    expect(second.response_metadata?.next_cursor).toBe('');
    await expect(client.conversations.members({ channel: 'C0NONE' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
  });

  it('answers not_enabled when the app has no Home tab', async () => {
    const off = await startFakeSlack({ token: TOKEN, homeTabEnabled: false });
    const offClient = new webApi.WebClient(TOKEN, { slackApiUrl: off.url, logLevel: webApi.LogLevel.ERROR, retryConfig: { retries: 0 } });
    await expect(offClient.views.publish({ user_id: 'U0ALICE', view: { type: 'home', blocks: [] } })).rejects.toMatchObject({ data: { error: 'not_enabled' } });
    await off.close();
  });

  it('builds app_home_opened events with every field of the documented example', async () => {
    const published = slack.homes.find((h) => h.userId === 'U0ALICE')!;
    const event = appHomeOpenedCallback({ userId: 'U0ALICE', view: published.view }).event as Record<string, unknown>;
    expect(missing(DOCUMENTED_APP_HOME_OPENED, event)).toEqual([]);
    expect(event).toMatchObject({ type: 'app_home_opened', user: 'U0ALICE', tab: 'home', view: { hash: published.view.hash } });
    // Before anything was published, Slack sends no view.
    expect(appHomeOpenedCallback({ userId: 'U0NEW' }).event).not.toHaveProperty('view');
  });
});
