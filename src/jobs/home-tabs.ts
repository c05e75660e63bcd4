import type { RedisConnection } from './redis.ts';
import { redisKeys } from './redis.ts';

/**
 * Who has opened Hoist's Home tab, and what each was last shown, in Redis for every server
 * process: one sorted set of openers (scored by when they last opened it), and per user the
 * Home's `hash` (Slack's version of it), the last event of the log it includes and a digest
 * of what it shows.
 *
 * A republish is claimed before it goes to Slack: only a board that shows something else than
 * the last one (so a change elsewhere sends nothing), and is not older (one read before events
 * the last one includes), is worth publishing; and at most one per user per window (a key that
 * lives for the window) goes out, whichever process asks; a board refused by the window is
 * told when the window ends. (Not every change is an event, a lock is not: boards of the same event
 * are told apart by what they show.)
 */
const CLAIM = `
local event = tonumber(ARGV[1])
local published = tonumber(redis.call('HGET', KEYS[1], 'event') or '-1')
if event < published or redis.call('HGET', KEYS[1], 'digest') == ARGV[4] then return -1 end
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then return math.max(1, redis.call('PTTL', KEYS[2])) end
redis.call('HSET', KEYS[1], 'event', event, 'digest', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 0
`;

export function createRedisHomeTabs(redis: RedisConnection, prefix: string, options: { windowMs: number; ttlMs: number }) {
  const keys = redisKeys(prefix);
  const openers = `${keys.homePrefix}openers`;
  const shown = (userId: string) => `${keys.homePrefix}shown:${userId}`;
  const hash = (userId: string) => `${keys.homePrefix}hash:${userId}`;
  const window = (userId: string) => `${keys.homePrefix}window:${userId}`;
  return {
    /** `userId` opened the Home tab (now): republished on changes until `ttlMs` after the last time. */
    async opened(userId: string): Promise<void> {
      const now = Date.now();
      await redis.multi().zadd(openers, now, userId).zremrangebyscore(openers, '-inf', now - options.ttlMs).exec();
    },
    /** Everyone who opened it within `ttlMs`. */
    async openers(): Promise<string[]> {
      return redis.zrangebyscore(openers, Date.now() - options.ttlMs, '+inf');
    },
    /** `publish`: go ahead; `unchanged`: it shows what was last published (or is older); `later`: this window had its publish, ask again in `inMs`. */
    async claim(userId: string, board: { eventId: number; digest: string }) {
      const answer = Number(await redis.eval(CLAIM, 2, shown(userId), window(userId), board.eventId, options.windowMs, options.ttlMs, board.digest));
      if (answer < 0) return { kind: 'unchanged' } as const;
      return answer === 0 ? ({ kind: 'publish' } as const) : ({ kind: 'later', inMs: answer } as const);
    },
    /** What Slack answered a publish with (its `hash`), and what the published board showed. */
    async published(userId: string, done: { hash: string; eventId: number; digest: string }): Promise<void> {
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
    async hashOf(userId: string): Promise<string | null> {
      return redis.get(hash(userId));
    },
  };
}
