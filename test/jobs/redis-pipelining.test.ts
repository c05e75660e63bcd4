import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvironmentLease } from '../../src/jobs/environment-lease.ts';
import { closeRedis, connectRedis, type RedisConnection } from '../../src/jobs/redis.ts';
import { uniquePrefix } from '../support/databases.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The connection the parts of a process share sends the commands of one event-loop turn in one write. */
describe('a pipelined Redis connection', () => {
  let pipelined: RedisConnection;
  let plain: RedisConnection;
  const prefix = uniquePrefix();
  beforeAll(async () => {
    pipelined = connectRedis(REDIS_URL, { name: 'test-pipelined', pipelined: true });
    plain = connectRedis(REDIS_URL, { name: 'test-plain' });
    await Promise.all([pipelined.ping(), plain.ping()]);
  });
  afterAll(async () => {
    await closeRedis(pipelined);
    await closeRedis(plain);
  });

  it('gathers the lease scripts given in one turn, and answers each its own', async () => {
    const lease = createEnvironmentLease(pipelined, prefix, 5_000);
    const claims = Array.from({ length: 10 }, (_, i) => lease.claim('shop', `env${i}`, i + 1));
    // Not sent yet: waiting for the end of this turn, to go in one write.
    expect(pipelined.autoPipelineQueueSize).toBe(10);
    const handles = await Promise.all(claims);
    expect(handles.every((handle) => handle !== null && handle.token > 0)).toBe(true);
    // Each answer is its own: another deployment is refused every one of those environments.
    const others = await Promise.all(Array.from({ length: 10 }, (_, i) => lease.take('shop', `env${i}`, 100 + i)));
    expect(others).toEqual(Array.from({ length: 10 }, (_, i) => ({ holder: i + 1 })));
  });

  it('is not what other connections do', async () => {
    const lease = createEnvironmentLease(plain, prefix, 5_000);
    const claim = lease.claim('shop', 'plain', 1);
    expect(plain.autoPipelineQueueSize).toBe(0);
    expect(await claim).not.toBeNull();
  });
});
