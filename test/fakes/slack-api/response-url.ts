import { readContent, type ChatStore } from './chat.ts';
import type { Answer } from './types.ts';

/** Replies to an interaction through its `response_url`: ephemeral by default, or into the channel. */

/** Slack accepts a response_url up to five times. */
const RESPONSE_URL_USES = 5;

interface ResponseUrl {
  channel: string | null;
  userId: string | null;
  uses: number;
}

export function createResponseUrls(store: ChatStore, nextTs: () => string) {
  const urls = new Map<string, ResponseUrl>();
  return {
    register(id: string, context?: { channel?: string; userId?: string }): void {
      if (!urls.has(id)) urls.set(id, { channel: context?.channel ?? null, userId: context?.userId ?? null, uses: 0 });
    },
    post(id: string, params: Record<string, unknown> | null): Answer {
      const entry = urls.get(id);
      if (entry === undefined) return { status: 404, body: { ok: false, error: 'invalid_url' } };
      if (entry.uses >= RESPONSE_URL_USES) return { status: 404, body: { ok: false, error: 'used_url' } };
      if (params === null) return { status: 400, body: { ok: false, error: 'invalid_payload' } };
      const content = readContent(params);
      if (!content.ok) return { ...content.answer, status: 400 };
      entry.uses += 1;
      const now = new Date();
      const text = content.text ?? '';
      if (params.response_type === 'in_channel') {
        store.messages.push({
          channel: entry.channel ?? '',
          ts: nextTs(),
          text,
          blocks: content.blocks,
          threadTs: null,
          replyBroadcast: false,
          history: [{ text, blocks: content.blocks, at: now }],
          via: 'response_url',
          postedAt: now,
          metadata: null,
        });
      } else {
        store.ephemerals.push({ channel: entry.channel, user: entry.userId, text, blocks: content.blocks, via: 'response_url', responseUrlId: id, at: now });
      }
      return { status: 200, body: { ok: true } };
    },
  };
}
