import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisPostPace } from '../../src/jobs/post-pace.ts';
import { uniquePrefix } from '../support/databases.ts';

describe('the pace of posts per channel, kept in Redis', () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  afterAll(() => redis.disconnect());

  it('spaces the turns of two processes in one channel as one, and leaves another channel alone', async () => {
    const prefix = uniquePrefix();
    const [a, b] = [createRedisPostPace(redis, prefix, { perSecond: 20 }), createRedisPostPace(redis, prefix, { perSecond: 20 })];
    const started = performance.now();
    const turns = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).turn('C0BUSY').then(() => performance.now() - started)));
    const elsewhere = await a.turn('C0QUIET').then(() => performance.now() - started);
    turns.sort((x, y) => x - y);
    // 10 turns at 20/s: the last one's slot is 9 × 50 ms after the first one's, whichever process
    // took it. Slots are on Redis's clock from the first booking, made after `started` (measured
    // from the first turn instead, a busy Redis that booked the last turn later shortens its wait).
    expect(turns.at(-1)!).toBeGreaterThanOrEqual(9 * 50 - 5);
    expect(elsewhere - turns.at(-1)!).toBeLessThan(50);
  });

  it('holds a channel paused after a 429 for every process', async () => {
    const prefix = uniquePrefix();
    const [a, b] = [createRedisPostPace(redis, prefix, { perSecond: 100 }), createRedisPostPace(redis, prefix, { perSecond: 100 })];
    const started = performance.now();
    await a.pause('C0LIMITED', 300);
    await b.turn('C0LIMITED');
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
  });
});
