import type { Logger } from 'pino';
import { chatOf } from '../domain/deployment.ts';
import type { StoredNotice } from '../domain/lock.ts';
import type { ChatPort } from './chat-port.ts';
import { renderNotice } from './render/locks.ts';
import { trackedSubscription } from './feed-subscription.ts';

/** Delivers stored environment notices (lock reminders, expiries, …) to a subscriber, oldest first, each until its handler resolves once. */
export interface NoticeFeed {
  subscribe(handler: (notice: StoredNotice, delivery?: { redelivery: boolean }) => Promise<void>): () => void;
}

export interface NoticePosterOptions {
  feed: NoticeFeed;
  chats: { slack?: ChatPort; shell?: ChatPort };
  logger: Logger;
  now?: () => Date;
}

/**
 * Posts notices about environments (a lock about to lapse, to its owner; a
 * lapsed or force-unlocked lock, or a skipped automatic deploy, to the channel
 * the lock was taken in). An error from the chat propagates so the feed
 * delivers the notice again.
 */
export function createNoticePoster(options: NoticePosterOptions) {
  const now = options.now ?? (() => new Date());

  const handle = async (stored: StoredNotice, delivery?: { redelivery: boolean }): Promise<void> => {
    const where = stored.notice.lock.chat;
    const kind = chatOf(where);
    const chat = kind === null ? undefined : options.chats[kind];
    if (chat === undefined) {
      options.logger.info({ noticeId: stored.id, kind: stored.notice.kind, chat: where.kind }, 'no chat to tell of this notice');
      return;
    }
    const rendered = renderNotice(stored.notice, { now: now(), mention: (userId) => chat.mention(userId), prefix: kind === 'slack' ? '/hoist ' : '' });
    const mark = { eventId: stored.id, deploymentId: null, at: stored.createdAt, redelivery: delivery?.redelivery === true };
    await chat.postNotice(where, { text: rendered.text, blocks: rendered.blocks, plain: rendered.plain }, { directTo: rendered.directTo, mark });
  };

  return trackedSubscription(options.feed, handle);
}
