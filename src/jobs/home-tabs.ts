import type { Redis } from 'ioredis';
import { redisKeys } from './redis.ts';

/**
 * Who has opened Hoist's Home tab, and what each was last shown, in Redis for every server
 * process: one sorted set of openers (scored by when they last opened it), and per user the
 * Home's `hash` (Slack's version of it), the last event of the log it includes and a digest
 * of what it shows.
 *
 * A republish is claimed before it goes to Slack: only a board that shows something else than
 * the last one (so a change elsewhere sends nothing), and is not older (one read before events
 * the last one includes), is worth publishing; and at most one per user per window (Redis's
 * clock) goes out, whichever process asks; a board refused by the window is told when the
 * next window opens. (Not every change is an event, a lock is not: boards of the same event
 * are told apart by what they show.)
 */
const CLAIM = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local event = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local published = tonumber(redis.call('HGET', KEYS[1], 'event') or '-1')
if event < published or redis.call('HGET', KEYS[1], 'digest') == ARGV[4] then return -1 end
local w = math.floor(now / window)
if not redis.call('SET', KEYS[2] .. ':' .. w, '1', 'NX', 'PX', window * 2) then return (w + 1) * window - now end
redis.call('HSET', KEYS[1], 'event', event, 'digest', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 0
`;

/** `publish`: go ahead; `unchanged`: it shows what was last published (or is older than that); `later`: this window had its publish, ask again in `inMs`. */
export type HomeClaim = { kind: 'publish' } | { kind: 'unchanged' } | { kind: 'later'; inMs: number };

export interface HomeTabRecords {
  /** `userId` opened the Home tab (now): republished on changes until `ttlMs` after the last time. */
  opened(userId: string): Promise<void>;
  /** Everyone who opened it within `ttlMs`. */
  openers(): Promise<string[]>;
  claim(userId: string, board: { eventId: number; digest: string }): Promise<HomeClaim>;
  /** What Slack answered a publish with (its `hash`), and the events the published board includes. */
  published(userId: string, published: { hash: string; eventId: number; digest: string }): Promise<void>;
  hashOf(userId: string): Promise<string | null>;
}

export function createRedisHomeTabs(redis: Redis, prefix: string, options: { windowMs: number; ttlMs: number }): HomeTabRecords {
  const keys = redisKeys(prefix);
  const openers = `${keys.homePrefix}openers`;
  const shown = (userId: string) => `${keys.homePrefix}shown:${userId}`;
  const hash = (userId: string) => `${keys.homePrefix}hash:${userId}`;
  const window = (userId: string) => `${keys.homePrefix}window:${userId}`;
  return {
    async opened(userId) {
      const now = Date.now();
      await redis.multi().zadd(openers, now, userId).zremrangebyscore(openers, '-inf', now - options.ttlMs).exec();
    },
    async openers() {
      return redis.zrangebyscore(openers, Date.now() - options.ttlMs, '+inf');
    },
    async claim(userId, board) {
      const answer = Number(await redis.eval(CLAIM, 2, shown(userId), window(userId), board.eventId, options.windowMs, options.ttlMs, board.digest));
      if (answer < 0) return { kind: 'unchanged' };
      return answer === 0 ? { kind: 'publish' } : { kind: 'later', inMs: answer };
    },
    async published(userId, done) {
      // Only ever raised: a publish of an older board (an open's) does not make a newer one look shown.
      await redis.eval(
        `local p = tonumber(redis.call('HGET', KEYS[1], 'event') or '-1')
        if tonumber(ARGV[1]) >= p then redis.call('HSET', KEYS[1], 'event', ARGV[1], 'digest', ARGV[4]) redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
        return 1`,
        2,
        shown(userId),
        hash(userId),
        done.eventId,
        options.ttlMs,
        done.hash,
        done.digest,
      );
    },
    async hashOf(userId) {
      return redis.get(hash(userId));
    },
  };
}
