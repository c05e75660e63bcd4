import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';

const TOKEN = 'xoxb-fake-token';

async function call(
  slack: FakeSlack,
  method: string,
  params: Record<string, unknown>,
  options: { token?: string | null; form?: boolean } = {},
): Promise<{ status: number; retryAfter: string | null; body: Record<string, unknown> }> {
  const token = options.token === undefined ? TOKEN : options.token;
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string;
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(
      Object.entries(params).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    ).toString();
  } else {
    headers['content-type'] = 'application/json; charset=utf-8';
    body = JSON.stringify(params);
  }
  const response = await fetch(`${slack.url}${method}`, { method: 'POST', headers, body });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('fake Slack Web API', () => {
  let slack: FakeSlack;
  beforeEach(async () => {
    slack = await startFakeSlack({ token: TOKEN });
  });
  afterEach(async () => {
    await slack.close();
  });

  it('serves under a base URL ending in /api/ and answers auth.test', async () => {
    expect(slack.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
    const { body } = await call(slack, 'auth.test', {});
    expect(body).toMatchObject({ ok: true, user_id: 'U0HOISTBOT' });
  });

  it('refuses a wrong or missing token', async () => {
    expect((await call(slack, 'chat.postMessage', { channel: 'C1', text: 'x' }, { token: 'xoxb-wrong' })).body).toEqual({
      ok: false,
      error: 'invalid_auth',
    });
    expect((await call(slack, 'chat.postMessage', { channel: 'C1', text: 'x' }, { token: null })).body.error).toBe('not_authed');
    expect(slack.messages).toHaveLength(0);
  });

  it('takes the token as a form field too, and form-encoded blocks', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }];
    const { body } = await call(slack, 'chat.postMessage', { channel: 'C1', text: 'hi', blocks, token: TOKEN }, { token: null, form: true });
    expect(body.ok).toBe(true);
    expect(slack.messages[0]?.blocks).toEqual(blocks);
  });

  it('answers unknown_method for methods it does not model', async () => {
    expect((await call(slack, 'users.list', {})).body).toMatchObject({ ok: false, error: 'unknown_method' });
  });

  it('posts, replies in threads (a reply to a reply joins the parent thread) and broadcasts', async () => {
    const parent = await call(slack, 'chat.postMessage', { channel: 'C1', text: 'card' });
    const ts = parent.body.ts as string;
    const reply = await call(slack, 'chat.postMessage', { channel: 'C1', text: 'one', thread_ts: ts });
    await call(slack, 'chat.postMessage', { channel: 'C1', text: 'two', thread_ts: reply.body.ts, reply_broadcast: true });
    expect(slack.thread('C1', ts).map((m) => [m.text, m.replyBroadcast])).toEqual([
      ['one', false],
      ['two', true],
    ]);
    expect((await call(slack, 'chat.postMessage', { channel: 'C1', text: 'x', thread_ts: '1.000001' })).body.error).toBe('thread_not_found');
    expect((await call(slack, 'chat.postMessage', { channel: 'C2', text: 'x', thread_ts: ts })).body.error).toBe('thread_not_found');
  });

  it('edits a message in place and keeps its history', async () => {
    const posted = await call(slack, 'chat.postMessage', { channel: 'C1', text: 'v1' });
    const ts = posted.body.ts as string;
    await call(slack, 'chat.update', { channel: 'C1', ts, text: 'v2' });
    const updated = await call(slack, 'chat.update', { channel: 'C1', ts, text: 'v3' });
    expect(updated.body).toMatchObject({ ok: true, channel: 'C1', ts, text: 'v3' });
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]?.history.map((v) => v.text)).toEqual(['v1', 'v2', 'v3']);
    expect((await call(slack, 'chat.update', { channel: 'C1', ts: '1.1', text: 'x' })).body.error).toBe('message_not_found');
  });

  it('refuses more than 50 blocks and a section text over 3000 characters with invalid_blocks', async () => {
    const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
    const many = await call(slack, 'chat.postMessage', { channel: 'C1', text: 'x', blocks: Array.from({ length: 51 }, () => section('a')) });
    expect(many.body).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(String((many.body.errors as string[])[0])).toContain('[json-pointer:/blocks]');
    const fifty = await call(slack, 'chat.postMessage', { channel: 'C1', text: 'x', blocks: Array.from({ length: 50 }, () => section('a')) });
    expect(fifty.body.ok).toBe(true);
    const long = await call(slack, 'chat.postMessage', { channel: 'C1', text: 'x', blocks: [section('a'.repeat(3001))] });
    expect(long.body.error).toBe('invalid_blocks');
    expect(String((long.body.errors as string[])[0])).toContain('/blocks/0/text/text');
    expect((await call(slack, 'chat.postMessage', { channel: 'C1', text: 'x', blocks: [section('a'.repeat(3000))] })).body.ok).toBe(true);
  });

  it('refuses over-long text, empty messages and unreadable blocks', async () => {
    expect((await call(slack, 'chat.postMessage', { channel: 'C1', text: 'a'.repeat(40_001) })).body.error).toBe('msg_too_long');
    expect((await call(slack, 'chat.postMessage', { channel: 'C1', text: '' })).body.error).toBe('no_text');
    expect((await call(slack, 'chat.postMessage', { channel: 'C1', text: 'x', blocks: '[{' }, { form: true })).body.error).toBe(
      'invalid_blocks_format',
    );
  });

  it('answers a burst beyond the per-channel limit with 429 and Retry-After, per channel', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => call(slack, 'chat.postMessage', { channel: 'C1', text: `m${i}` })));
    const limited = results.filter((r) => r.status === 429);
    expect(results.filter((r) => r.status === 200)).toHaveLength(3);
    expect(limited).toHaveLength(3);
    for (const r of limited) {
      expect(r.body).toEqual({ ok: false, error: 'ratelimited' });
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    // Another channel has its own allowance.
    expect((await call(slack, 'chat.postMessage', { channel: 'C2', text: 'other' })).status).toBe(200);
    // Updates are not under the posting limit.
    const ts = slack.messages[0]!.ts;
    expect((await call(slack, 'chat.update', { channel: 'C1', ts, text: 'edited' })).status).toBe(200);
  });

  it('lets a channel post again once Retry-After has passed', async () => {
    const fast = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 10, burst: 1 });
    try {
      expect((await call(fast, 'chat.postMessage', { channel: 'C1', text: 'a' })).status).toBe(200);
      const limited = await call(fast, 'chat.postMessage', { channel: 'C1', text: 'b' });
      expect(limited.status).toBe(429);
      await new Promise((r) => setTimeout(r, Number(limited.retryAfter) * 1000));
      expect((await call(fast, 'chat.postMessage', { channel: 'C1', text: 'b' })).status).toBe(200);
    } finally {
      await fast.close();
    }
  });

  it('records ephemerals from chat.postEphemeral and from response_url', async () => {
    expect((await call(slack, 'chat.postEphemeral', { channel: 'C1', user: 'U1', text: 'psst' })).body.ok).toBe(true);
    const url = slack.responseUrl('r1', { channel: 'C1', userId: 'U2' });
    const eph = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'only you' }) });
    expect(eph.status).toBe(200);
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'in_channel', text: 'everyone' }),
    });
    expect(slack.ephemerals.map((e) => [e.via, e.user, e.text])).toEqual([
      ['api', 'U1', 'psst'],
      ['response_url', 'U2', 'only you'],
    ]);
    expect(slack.messages.map((m) => [m.via, m.channel, m.text])).toEqual([['response_url', 'C1', 'everyone']]);
    expect((await fetch(url.replace('r1', 'nope'), { method: 'POST', body: '{"text":"x"}' })).status).toBe(404);
  });

  it('waitFor resolves on the request that satisfies it and rejects on timeout', async () => {
    const waiting = slack.waitFor((s) => s.messages.find((m) => m.text === 'later'), 1000);
    setTimeout(() => void call(slack, 'chat.postMessage', { channel: 'C1', text: 'later' }), 20);
    expect((await waiting).text).toBe('later');
    await expect(slack.waitFor((s) => s.messages.length > 5, 50)).rejects.toThrow(/within 50 ms/);
  });

  it('fails the next call of a method on request', async () => {
    slack.failNext('chat.update', 'internal_error');
    const ts = ((await call(slack, 'chat.postMessage', { channel: 'C1', text: 'x' })).body.ts) as string;
    expect((await call(slack, 'chat.update', { channel: 'C1', ts, text: 'y' })).body.error).toBe('internal_error');
    expect((await call(slack, 'chat.update', { channel: 'C1', ts, text: 'y' })).body.ok).toBe(true);
  });
});
