import { messageJson, type ChatStore } from './chat.ts';
import { fail, flag, ok, str } from './http.ts';
import { TEAM, type FakeMessage, type Method } from './types.ts';

/** conversations.replies and conversations.history over the chat's store, cursor-paginated as Slack pages them. */

/** A ts (or an `oldest`/`latest` bound, seconds with optional micro-seconds) in micro-seconds, exact. */
function micros(ts: string): bigint | null {
  const match = /^(\d+)(?:\.(\d{1,6}))?$/.exec(ts);
  if (match === null) return null;
  return BigInt(match[1]!) * 1_000_000n + BigInt((match[2] ?? '').padEnd(6, '0'));
}

/** Slack's cursors are opaque base64; this fake's say where the next page starts, as Slack's `next_ts:` cursors do. */
const cursorFor = (message: FakeMessage) => Buffer.from(`next_ts:${message.ts.replace('.', '')}`).toString('base64');

type Page = { ok: true; page: FakeMessage[]; nextCursor: string } | { ok: false; error: string };

/** One page of `messages` (already in the method's order) from `cursor`, within `oldest`/`latest`. */
function pageOf(messages: FakeMessage[], params: Record<string, unknown>, limits: { default: number; max: number }): Page {
  const oldest = str(params.oldest);
  const latest = str(params.latest);
  const inclusive = flag(params.inclusive);
  const low = oldest === null ? null : micros(oldest);
  const high = latest === null ? null : micros(latest);
  if (oldest !== null && low === null) return { ok: false, error: 'invalid_ts_oldest' };
  if (latest !== null && high === null) return { ok: false, error: 'invalid_ts_latest' };
  const within = messages.filter((m) => {
    const at = micros(m.ts) as bigint;
    if (low !== null && (inclusive ? at < low : at <= low)) return false;
    if (high !== null && (inclusive ? at > high : at >= high)) return false;
    return true;
  });
  let start = 0;
  const cursor = str(params.cursor);
  if (cursor !== null) {
    start = within.findIndex((m) => cursorFor(m) === cursor);
    if (start === -1) return { ok: false, error: 'invalid_cursor' };
  }
  const asked = Number(params.limit ?? 0);
  const limit = Number.isInteger(asked) && asked > 0 ? Math.min(asked, limits.max) : limits.default;
  const page = within.slice(start, start + limit);
  const next = within[start + limit];
  return { ok: true, page, nextCursor: next === undefined ? '' : cursorFor(next) };
}

export function createConversationMethods(store: ChatStore, options: { repliesPageLimit: number }): Record<string, Method> {
  const replies: Method = (params) => {
    const channel = str(params.channel);
    const ts = str(params.ts);
    if (channel === null) return fail('channel_not_found');
    if (ts === null) return fail('invalid_arguments');
    // Either the parent's ts or a reply's: the whole thread comes back, the parent first.
    const named = store.messages.find((m) => m.channel === channel && m.ts === ts);
    if (named === undefined) return fail('thread_not_found');
    const parentTs = named.threadTs ?? named.ts;
    const parent = store.messages.find((m) => m.channel === channel && m.ts === parentTs) as FakeMessage;
    const thread = store.messages.filter((m) => m.channel === channel && m.threadTs === parentTs);
    const result = pageOf([parent, ...thread], params, { default: options.repliesPageLimit, max: options.repliesPageLimit });
    if (!result.ok) return fail(result.error);
    const metadata = flag(params.include_all_metadata);
    const shown = result.page.map((m) => {
      const json = messageJson(m, { metadata });
      if (m !== parent) return { ...json, parent_user_id: TEAM.user_id };
      if (thread.length === 0) return json;
      return { ...json, thread_ts: parent.ts, reply_count: thread.length, reply_users_count: 1, reply_users: [TEAM.user_id], latest_reply: thread.at(-1)!.ts };
    });
    return ok({ messages: shown, has_more: result.nextCursor !== '', response_metadata: { next_cursor: result.nextCursor } });
  };

  const history: Method = (params) => {
    const channel = str(params.channel);
    if (channel === null) return fail('channel_not_found');
    // The channel's own timeline, newest first: top-level messages and replies also sent to the channel.
    const timeline = store.messages.filter((m) => m.channel === channel && (m.threadTs === null || m.replyBroadcast)).reverse();
    const result = pageOf(timeline, params, { default: 100, max: 999 });
    if (!result.ok) return fail(result.error);
    const metadata = flag(params.include_all_metadata);
    const shown = result.page.map((m) => (m.threadTs === null ? messageJson(m, { metadata }) : { ...messageJson(m, { metadata }), subtype: 'thread_broadcast' }));
    return ok({ messages: shown, has_more: result.nextCursor !== '', pin_count: 0, response_metadata: { next_cursor: result.nextCursor } });
  };

  return { 'conversations.replies': replies, 'conversations.history': history };
}
