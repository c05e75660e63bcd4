import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { NoticeFeed, StoredNotice } from '../service/feeds.ts';
import type { Db } from '../store/database.ts';
import { markNoticesDelivered, pendingNotices } from '../store/locks.ts';
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
}): NoticeFeed & { wake(): void; close(): Promise<void> } {
  const keys = redisKeys(deps.prefix);
  const me = randomUUID();
  const attempts = new Map<number, number>();
  let handler: ((notice: StoredNotice) => Promise<void>) | null = null;
  let draining: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  async function isLeader(): Promise<boolean> {
    const ttl = 10_000;
    if ((await deps.redis.set(keys.noticeLeader, me, 'PX', ttl, 'NX')) === 'OK') return true;
    if ((await deps.redis.get(keys.noticeLeader)) !== me) return false;
    await deps.redis.pexpire(keys.noticeLeader, ttl);
    return true;
  }

  async function drainOnce(): Promise<void> {
    if (!handler || closed || !(await isLeader())) return;
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

  function wake(): void {
    if (closed) return;
    if (draining) {
      again = true;
      return;
    }
    draining = (async () => {
      do {
        again = false;
        try {
          await drainOnce();
        } catch (error) {
          deps.logger.warn({ err: error }, 'notice drain failed');
        }
      } while (again && !closed);
    })().finally(() => {
      draining = null;
    });
  }

  const onMessage = (channel: string) => {
    if (channel === keys.eventsChannel) wake();
  };

  return {
    subscribe(h) {
      handler = h;
      void deps.subscriber.subscribe(keys.eventsChannel);
      deps.subscriber.on('message', onMessage);
      timer = setInterval(wake, deps.pollMs ?? 1_000);
      wake();
      return () => {
        handler = null;
        deps.subscriber.off('message', onMessage);
        if (timer) clearInterval(timer);
      };
    },
    wake,
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      deps.subscriber.off('message', onMessage);
      await draining;
      const holder = await deps.redis.get(keys.noticeLeader).catch(() => null);
      if (holder === me) await deps.redis.del(keys.noticeLeader).catch(() => undefined);
    },
  };
}
