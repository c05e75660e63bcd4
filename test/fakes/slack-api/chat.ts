import { blockErrors } from './blocks.ts';
import { fail, failWithErrors, flag, readJson, str } from './http.ts';
import { createChannelLimits } from './rate-limit.ts';
import { readMetadata } from './metadata.ts';
import { TEAM, type Answer, type FakeEphemeral, type FakeMessage, type Method } from './types.ts';

/** chat.postMessage, chat.update, chat.postEphemeral and chat.getPermalink over one store of messages. */

const MAX_TEXT = 40_000;

export interface ChatStore {
  messages: FakeMessage[];
  ephemerals: FakeEphemeral[];
}

export type Content = { ok: true; text: string | null; blocks: unknown[] | null } | { ok: false; answer: Answer };

/** Message timestamps as Slack makes them: seconds, then a counter, unique per workspace. */
export function createTsClock(): () => string {
  let seconds = Math.floor(Date.now() / 1000);
  let counter = 0;
  return () => {
    counter += 1;
    if (counter > 999_999) {
      seconds += 1;
      counter = 1;
    }
    return `${seconds}.${String(counter).padStart(6, '0')}`;
  };
}

/** The content checks every way of posting shares: blocks readable and within Block Kit's limits, some text, not too long. */
export function readContent(params: Record<string, unknown>): Content {
  const read = params.blocks === undefined || params.blocks === null || params.blocks === '' ? { ok: true as const, value: null } : readJson(params.blocks);
  if (!read.ok || (read.value !== null && !Array.isArray(read.value))) return { ok: false, answer: fail('invalid_blocks_format') };
  const blocks = read.value as unknown[] | null;
  const text = typeof params.text === 'string' ? params.text : null;
  if (blocks !== null) {
    const errors = blockErrors(blocks);
    if (errors.length > 0) return { ok: false, answer: failWithErrors('invalid_blocks', errors) };
  }
  if ((text === null || text === '') && (blocks === null || blocks.length === 0)) return { ok: false, answer: fail('no_text') };
  if (text !== null && text.length > MAX_TEXT) return { ok: false, answer: fail('msg_too_long') };
  return { ok: true, text, blocks };
}

/** A message as the Web API shows it; its metadata only where the caller asked for it (or just posted it). */
export function messageJson(message: FakeMessage, options: { metadata?: boolean } = { metadata: true }): Record<string, unknown> {
  return {
    type: 'message',
    user: TEAM.user_id,
    bot_id: TEAM.bot_id,
    text: message.text,
    ts: message.ts,
    ...(message.blocks === null ? {} : { blocks: message.blocks }),
    ...(message.threadTs === null ? {} : { thread_ts: message.threadTs }),
    ...(message.metadata === null || options.metadata !== true ? {} : { metadata: message.metadata }),
  };
}

export function findMessage(store: ChatStore, channel: string, ts: string): FakeMessage | undefined {
  return store.messages.find((m) => m.channel === channel && m.ts === ts);
}

export function createChatMethods(store: ChatStore, nextTs: () => string, limits: { rate: number; burst: number }): Record<string, Method> {
  const take = createChannelLimits(limits.rate, limits.burst);

  const postMessage: Method = (params) => {
    const channel = str(params.channel);
    if (channel === null) return fail('channel_not_found');
    const content = readContent(params);
    if (!content.ok) return content.answer;
    const threadTs = str(params.thread_ts);
    let parent: FakeMessage | undefined;
    if (threadTs !== null) {
      parent = findMessage(store, channel, threadTs);
      if (parent === undefined) return fail('thread_not_found');
    }
    const metadata = readMetadata(params.metadata);
    if (!metadata.ok) return metadata.answer;
    const taken = take(channel);
    if (!taken.ok) return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': String(taken.retryAfter) } };
    const now = new Date();
    const message: FakeMessage = {
      channel,
      ts: nextTs(),
      text: content.text ?? '',
      blocks: content.blocks,
      // A reply to a reply belongs to the parent's thread, as in Slack.
      threadTs: parent === undefined ? null : (parent.threadTs ?? parent.ts),
      replyBroadcast: parent !== undefined && flag(params.reply_broadcast),
      history: [{ text: content.text ?? '', blocks: content.blocks, at: now }],
      via: 'api',
      postedAt: now,
      metadata: metadata.value,
    };
    store.messages.push(message);
    const warning = metadata.warning === null ? {} : { warning: metadata.warning, response_metadata: { warnings: [metadata.warning] } };
    return { status: 200, body: { ok: true, channel, ts: message.ts, message: messageJson(message), ...warning } };
  };

  const update: Method = (params) => {
    const channel = str(params.channel);
    const ts = str(params.ts);
    if (channel === null) return fail('channel_not_found');
    if (ts === null) return fail('message_not_found');
    const message = findMessage(store, channel, ts);
    if (message === undefined) return fail('message_not_found');
    const content = readContent({ text: params.text ?? message.text, blocks: params.blocks ?? message.blocks ?? undefined });
    if (!content.ok) return content.answer;
    message.text = content.text ?? '';
    message.blocks = content.blocks;
    message.history.push({ text: message.text, blocks: message.blocks, at: new Date() });
    return { status: 200, body: { ok: true, channel, ts, text: message.text, message: messageJson(message) } };
  };

  const postEphemeral: Method = (params) => {
    const channel = str(params.channel);
    const user = str(params.user);
    if (channel === null) return fail('channel_not_found');
    if (user === null) return fail('user_not_found');
    const content = readContent(params);
    if (!content.ok) return content.answer;
    store.ephemerals.push({ channel, user, text: content.text ?? '', blocks: content.blocks, via: 'api', responseUrlId: null, at: new Date() });
    return { status: 200, body: { ok: true, message_ts: nextTs() } };
  };

  // As Slack answers it: a link to the message in the workspace's archive.
  const getPermalink: Method = (params) => {
    const channel = str(params.channel);
    const ts = str(params.message_ts);
    if (channel === null) return fail('channel_not_found');
    if (ts === null || findMessage(store, channel, ts) === undefined) return fail('message_not_found');
    return { status: 200, body: { ok: true, channel, permalink: `https://hoist-test.slack.com/archives/${channel}/p${ts.replace('.', '')}` } };
  };

  return {
    'chat.postMessage': postMessage,
    'chat.update': update,
    'chat.postEphemeral': postEphemeral,
    'chat.getPermalink': getPermalink,
  };
}
