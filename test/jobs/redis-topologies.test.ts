import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.ts';
import { closeRedis, connectRedis, redisKeys } from '../../src/jobs/redis.ts';
import { createEnvironmentLease } from '../../src/jobs/environment-lease.ts';
import { ownRedisCluster, ownRedisSentinels, type OwnCluster, type OwnSentinels } from '../support/redis-topologies.ts';

describe('Hoist on a Redis Cluster and behind Sentinels', () => {
  let cluster: OwnCluster;
  let sentinels: OwnSentinels;

  beforeAll(async () => {
    [cluster, sentinels] = await Promise.all([ownRedisCluster(17_310), ownRedisSentinels(17_320)]);
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    await sentinels?.stop();
  });

  it('takes and fences a lease on the cluster: its keys share the prefix hash slot', async () => {
    const env = parseEnv({ REDIS_CLUSTER: cluster.nodes });
    expect(env.redisPrefix).toBe('{hoist}');
    const redis = connectRedis(env.redis, { name: 'test' });
    try {
      const prefix = `{hoist-${process.pid}}`;
      const lease = createEnvironmentLease(redis, prefix, 5_000);
      const first = await lease.claim('shop', 'prod', 1);
      expect(first).not.toBeNull();
      expect(await lease.claim('shop', 'prod', 2)).toBeNull();
      const keys = redisKeys(prefix);
      expect(await redis.exists(keys.lease('shop', 'prod'))).toBe(1);
    } finally {
      await closeRedis(redis);
    }
  });

  it('finds the master through the Sentinels', async () => {
    const env = parseEnv({ REDIS_SENTINELS: sentinels.sentinels, REDIS_SENTINEL_MASTER: sentinels.master });
    const redis = connectRedis(env.redis, { name: 'test' });
    try {
      await redis.set('hoist-test:probe', 'yes');
      expect(await redis.get('hoist-test:probe')).toBe('yes');
      expect((await redis.info('replication')).includes('role:master')).toBe(true);
    } finally {
      await closeRedis(redis);
    }
  });
});
