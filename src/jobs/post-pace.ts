import type { RedisConnection } from './redis.ts';
import { redisKeys } from './redis.ts';

/**
 * Each channel's pace as a reservation book in Redis, shared by every process: the key holds
 * when the channel's next post is due (ms, Redis's clock). A turn takes the next slot and
 * answers how long to wait for it; `burst` posts may go at once after a quiet spell. A pause
 * (Slack's 429) moves the next slot past its end. (GCRA, one script: read and book at once.)
 */
const BOOK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local pause = tonumber(ARGV[3])
local due = tonumber(redis.call('GET', KEYS[1]) or '0')
if pause > 0 then
  local resume = now + pause + (burst - 1) * interval
  if resume > due then redis.call('SET', KEYS[1], resume, 'PX', pause + burst * interval) end
  return 0
end
local slot = math.max(due, now)
local wait = math.max(0, slot - (burst - 1) * interval - now)
redis.call('SET', KEYS[1], slot + interval, 'PX', slot + interval - now + 1000)
return wait
`;

export interface PostPaceOptions {
  /** Posts per second per channel (Slack: about 1). */
  perSecond: number;
  /** Posts a quiet channel may take at once (Slack allows a short burst). */
  burst?: number;
}

/** `turn(channel)` resolves when the caller may post there; `pause(channel, ms)` holds the channel for everyone (the Slack chat's `PostPace`). */
export function createRedisPostPace(redis: RedisConnection, prefix: string, options: PostPaceOptions): { turn(channel: string): Promise<void>; pause(channel: string, ms: number): Promise<void> } {
  const interval = Math.max(1, Math.round(1000 / options.perSecond));
  const burst = Math.max(1, options.burst ?? 1);
  const keys = redisKeys(prefix);
  const book = async (channel: string, pauseMs: number): Promise<number> => Number(await redis.eval(BOOK, 1, keys.postPace(channel), interval, burst, Math.max(0, Math.ceil(pauseMs))));
  return {
    async turn(channel) {
      const wait = await book(channel, 0);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    },
    async pause(channel, ms) {
      await book(channel, ms);
    },
  };
}
