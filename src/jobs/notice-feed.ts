import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { StoredNotice } from '../domain/lock.ts';
import type { Db } from '../store/database.ts';
import { markNoticesDelivered, pendingNotices } from '../store/locks.ts';
import { createOutboxLoop } from './outbox-loop.ts';
import { redisKeys } from './redis.ts';

const MAX_ATTEMPTS = 8;

/**
 * Delivers the notice outbox (lock reminders, expiries, forced unlocks, skipped
 * automatic deploys) to one subscriber, oldest first: woken by the same Redis
 * message as the deployment events, and by a timer. One process at a time
 * delivers (a Redis leader key of its own).
 */
export function createNoticeFeed(deps: {
  db: Db;
  redis: Redis;
  subscriber: Redis;
  prefix: string;
  logger: Logger;
  pollMs?: number;
}): { subscribe(handler: (notice: StoredNotice) => Promise<void>): () => void; wake(): void; close(): Promise<void> } {
  const keys = redisKeys(deps.prefix);
  const attempts = new Map<number, number>();
  let handler: ((notice: StoredNotice) => Promise<void>) | null = null;

  async function drainOnce(): Promise<void> {
    if (!handler) return;
    for (const notice of await pendingNotices(deps.db)) {
      try {
        await handler?.(notice);
      } catch (error) {
        const count = (attempts.get(notice.id) ?? 0) + 1;
        attempts.set(notice.id, count);
        if (count < MAX_ATTEMPTS) {
          deps.logger.warn({ err: error, noticeId: notice.id, attempt: count }, 'notice delivery failed; will retry');
          return; // keep the order: later notices wait
        }
        deps.logger.error({ err: error, noticeId: notice.id }, 'notice delivery failed for good; dropping it');
      }
      attempts.delete(notice.id);
      await markNoticesDelivered(deps.db, [notice.id]);
    }
  }

  const loop = createOutboxLoop({ ...deps, leaderKey: keys.noticeLeader, what: 'notice', drain: drainOnce });

  return {
    subscribe(h) {
      handler = h;
      loop.start();
      return () => {
        handler = null;
        loop.stop();
      };
    },
    wake: loop.wake,
    close: loop.close,
  };
}
