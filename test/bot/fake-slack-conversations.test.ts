import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';

const TOKEN = 'xoxb-fake-token';
const CHANNEL = 'C0METADATA';

// Slack's own examples: the message metadata guide's `customer_created` message, and the
// `task_created` payload of the message_metadata_posted event.
const CUSTOMER_CREATED = {
  channel: CHANNEL,
  text: 'A new customer record has been created.',
  metadata: { event_type: 'customer_created', event_payload: { crm_id: '123456ABCD', external_id: 'QWERTY12', nurture_step: 'new_account' } },
};
const TASK_CREATED = {
  event_type: 'task_created',
  event_payload: {
    id: 'TK-2132',
    summary: 'New issue with the display of mobile element',
    description: 'An end user has found a problem with the new mobile container for data entry. It was reproduced in the current version of IOS.',
    priority: 'HIGH',
    resource_type: 'TASK',
  },
};

async function call(slack: FakeSlack, method: string, params: Record<string, unknown>, form = false): Promise<Record<string, unknown>> {
  const body = form
    ? new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString()
    : JSON.stringify(params);
  const response = await fetch(`${slack.url}${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json; charset=utf-8' },
    body,
  });
  return (await response.json()) as Record<string, unknown>;
}

describe('fake Slack: message metadata and reading threads', () => {
  let slack: FakeSlack;
  beforeEach(async () => {
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0, repliesPageLimit: 3 });
  });
  afterEach(async () => {
    await slack.close();
  });

  it('keeps the metadata of a post (JSON or a form field) and answers with it', async () => {
    const posted = await call(slack, 'chat.postMessage', CUSTOMER_CREATED);
    expect(posted).toMatchObject({ ok: true, message: { metadata: CUSTOMER_CREATED.metadata } });
    const reply = await call(slack, 'chat.postMessage', { channel: CHANNEL, thread_ts: posted.ts, text: 'task', metadata: TASK_CREATED }, true);
    expect(reply.ok).toBe(true);
    expect(slack.messages.map((m) => m.metadata)).toEqual([CUSTOMER_CREATED.metadata, TASK_CREATED]);
  });

  it('refuses unreadable metadata, and posts without it (warning) an event_type Slack does not accept', async () => {
    expect(await call(slack, 'chat.postMessage', { channel: CHANNEL, text: 'x', metadata: '{not json' }, true)).toEqual({ ok: false, error: 'invalid_metadata_format' });
    expect(await call(slack, 'chat.postMessage', { channel: CHANNEL, text: 'x', metadata: { event_type: 'task_created' } })).toEqual({ ok: false, error: 'invalid_metadata_format' });
    const dotted = await call(slack, 'chat.postMessage', { channel: CHANNEL, text: 'x', metadata: { ...TASK_CREATED, event_type: 'task.created' } });
    expect(dotted).toMatchObject({ ok: true, warning: 'invalid_metadata_schema', response_metadata: { warnings: ['invalid_metadata_schema'] } });
    expect(slack.messages.map((m) => m.metadata)).toEqual([null]);
  });

  it('returns a thread parent first, metadata only with include_all_metadata, in pages with next_cursor', async () => {
    const parent = await call(slack, 'chat.postMessage', CUSTOMER_CREATED);
    for (const n of [1, 2, 3, 4]) {
      await call(slack, 'chat.postMessage', { channel: CHANNEL, thread_ts: parent.ts, text: `reply ${n}`, metadata: { ...TASK_CREATED, event_payload: { ...TASK_CREATED.event_payload, id: `TK-${n}` } } });
    }
    const bare = await call(slack, 'conversations.replies', { channel: CHANNEL, ts: parent.ts });
    expect((bare.messages as Record<string, unknown>[]).some((m) => 'metadata' in m)).toBe(false);

    const first = await call(slack, 'conversations.replies', { channel: CHANNEL, ts: parent.ts, include_all_metadata: true });
    const firstMessages = first.messages as Record<string, unknown>[];
    expect(firstMessages.map((m) => m.text)).toEqual(['A new customer record has been created.', 'reply 1', 'reply 2']);
    expect(firstMessages[0]).toMatchObject({ ts: parent.ts, thread_ts: parent.ts, reply_count: 4, metadata: CUSTOMER_CREATED.metadata });
    expect(firstMessages[1]).toMatchObject({ thread_ts: parent.ts, parent_user_id: 'U0HOISTBOT', metadata: { event_type: 'task_created', event_payload: { id: 'TK-1' } } });
    expect(first.has_more).toBe(true);
    const cursor = (first.response_metadata as { next_cursor: string }).next_cursor;
    expect(Buffer.from(cursor, 'base64').toString()).toMatch(/^next_ts:\d+$/);

    const second = await call(slack, 'conversations.replies', { channel: CHANNEL, ts: parent.ts, cursor, include_all_metadata: 'true' }, true);
    expect((second.messages as Record<string, unknown>[]).map((m) => m.text)).toEqual(['reply 3', 'reply 4']);
    expect(second).toMatchObject({ has_more: false, response_metadata: { next_cursor: '' } });

    // A reply's ts names the same thread.
    const fromReply = await call(slack, 'conversations.replies', { channel: CHANNEL, ts: slack.messages[2]!.ts, limit: 1 });
    expect((fromReply.messages as Record<string, unknown>[]).map((m) => m.text)).toEqual(['A new customer record has been created.']);
  });

  it('answers thread_not_found, invalid_cursor and invalid_ts_oldest as Slack does', async () => {
    const parent = await call(slack, 'chat.postMessage', CUSTOMER_CREATED);
    expect(await call(slack, 'conversations.replies', { channel: CHANNEL, ts: '1658903885.673769' })).toEqual({ ok: false, error: 'thread_not_found' });
    expect(await call(slack, 'conversations.replies', { channel: CHANNEL, ts: parent.ts, cursor: 'bmV4dF90czoxNDg0Njc4MjkwNTE3MDkx' })).toEqual({ ok: false, error: 'invalid_cursor' });
    expect(await call(slack, 'conversations.replies', { channel: CHANNEL, ts: parent.ts, oldest: 'yesterday' })).toEqual({ ok: false, error: 'invalid_ts_oldest' });
  });

  it('lists a channel newest first with conversations.history, from `oldest`, broadcasts included', async () => {
    const parent = await call(slack, 'chat.postMessage', CUSTOMER_CREATED);
    await call(slack, 'chat.postMessage', { channel: CHANNEL, thread_ts: parent.ts, text: 'in the thread only' });
    await call(slack, 'chat.postMessage', { channel: CHANNEL, thread_ts: parent.ts, text: 'also in the channel', reply_broadcast: true });
    await call(slack, 'chat.postMessage', { channel: 'C0ELSEWHERE', text: 'another channel' });
    const history = await call(slack, 'conversations.history', { channel: CHANNEL, include_all_metadata: true });
    expect((history.messages as Record<string, unknown>[]).map((m) => [m.text, m.subtype ?? null])).toEqual([
      ['also in the channel', 'thread_broadcast'],
      ['A new customer record has been created.', null],
    ]);
    expect((history.messages as Record<string, unknown>[])[1]!.metadata).toEqual(CUSTOMER_CREATED.metadata);
    const later = await call(slack, 'conversations.history', { channel: CHANNEL, oldest: parent.ts });
    expect((later.messages as Record<string, unknown>[]).map((m) => m.text)).toEqual(['also in the channel']);
  });

  it('holds the answer to a post it carried out, and can be unavailable', async () => {
    const held = slack.holdNext('chat.postMessage');
    const answered = call(slack, 'chat.postMessage', CUSTOMER_CREATED);
    await held.accepted;
    expect(slack.messages).toHaveLength(1);
    held.release();
    expect(await answered).toMatchObject({ ok: true, ts: slack.messages[0]!.ts });

    const dropped = slack.holdNext('chat.postMessage');
    const cut = call(slack, 'chat.postMessage', CUSTOMER_CREATED);
    await dropped.accepted;
    dropped.drop();
    await expect(cut).rejects.toThrow();
    expect(slack.messages).toHaveLength(2);

    slack.unavailable();
    const down = await fetch(`${slack.url}chat.postMessage`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(CUSTOMER_CREATED) });
    expect(down.status).toBe(503);
    expect(slack.messages).toHaveLength(2);
    slack.available();
    expect(await call(slack, 'chat.postMessage', CUSTOMER_CREATED)).toMatchObject({ ok: true });
  });
});
