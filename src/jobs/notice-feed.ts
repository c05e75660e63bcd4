import type { StoredNotice } from '../domain/lock.ts';
import { markNoticesDelivered, pendingNotices } from '../store/locks.ts';
import { createInOrderDelivery, type DeliveryFeed, type OutboxFeedDeps } from './in-order-delivery.ts';
import { redisKeys } from './redis.ts';

/**
 * Delivers the notice outbox (lock reminders, expiries, forced unlocks, skipped
 * automatic deploys) to one subscriber, oldest first: woken by the same Redis
 * message as the deployment events, and by a timer. One process at a time
 * delivers (a Redis leader key of its own).
 */
export function createNoticeFeed(deps: OutboxFeedDeps): DeliveryFeed<StoredNotice> {
  return createInOrderDelivery<StoredNotice>(deps, {
    leaderKey: redisKeys(deps.prefix).noticeLeader,
    names: { outbox: 'notice', item: 'notice' },
    logFields: (notice) => ({ noticeId: notice.id }),
    pending: () => pendingNotices(deps.db),
    markDelivered: (id) => markNoticesDelivered(deps.db, [id]),
  });
}
