import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.ts';
import { closeRedis, connectRedis, firstAnswer, isRefusedSignIn, redisErrorText, redisKeys } from '../../src/jobs/redis.ts';
import { createEnvironmentLease } from '../../src/jobs/environment-lease.ts';
import { appYaml, startTestHoist } from '../support/hoist-harness.ts';
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
    // Pipelined, as Hoist's shared connection is: the commands of one turn go to their node together.
    const redis = connectRedis(env.redis, { name: 'test', pipelined: true });
    try {
      const prefix = `{hoist-${process.pid}}`;
      const lease = createEnvironmentLease(redis, prefix, 5_000);
      const first = await lease.claim('shop', 'prod', 1);
      expect(first).not.toBeNull();
      expect(await lease.claim('shop', 'prod', 2)).toBeNull();
      const many = await Promise.all(['a', 'b', 'c', 'd'].map((env, i) => lease.claim('shop', env, 10 + i)));
      expect(many.every((handle) => handle !== null)).toBe(true);
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

describe('a Redis Cluster and Sentinels that ask for passwords', () => {
  const PASSWORD = 'cluster-and-master-p4ss';
  const SENTINEL_PASSWORD = 'sentinels-own-p4ss';
  let cluster: OwnCluster;
  let sentinels: OwnSentinels;

  beforeAll(async () => {
    [cluster, sentinels] = await Promise.all([
      ownRedisCluster(17_370, { password: PASSWORD }),
      ownRedisSentinels(17_380, 'hoist-auth', { password: PASSWORD, sentinelPassword: SENTINEL_PASSWORD }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    await sentinels?.stop();
  });

  /** A first answer and a command on a connection made as the configuration says: what came back, or what it failed with. */
  async function tryCommand(vars: Record<string, string>): Promise<{ answer: string } | { refusedSignIn: boolean; error: string }> {
    const redis = connectRedis(parseEnv(vars).redis, { name: 'test' });
    redis.on('error', () => undefined);
    try {
      await firstAnswer(redis, 3_000);
      await redis.set('{hoist-auth}:probe', 'yes');
      return { answer: (await redis.get('{hoist-auth}:probe')) ?? 'nothing' };
    } catch (error) {
      return { refusedSignIn: isRefusedSignIn(error), error: redisErrorText(error) };
    } finally {
      redis.disconnect();
    }
  }

  it('signs in to every cluster node with REDIS_PASSWORD; without it, the first answer says the nodes refused the sign-in', async () => {
    expect(await tryCommand({ REDIS_CLUSTER: cluster.nodes, REDIS_PASSWORD: PASSWORD })).toEqual({ answer: 'yes' });
    expect(await tryCommand({ REDIS_CLUSTER: cluster.nodes })).toEqual({ refusedSignIn: true, error: expect.stringMatching(/NOAUTH/) });
    expect(await tryCommand({ REDIS_CLUSTER: cluster.nodes, REDIS_PASSWORD: 'wrong' })).toEqual({ refusedSignIn: true, error: expect.stringMatching(/WRONGPASS|invalid/) });
  });

  it('signs in to the Sentinels with REDIS_SENTINEL_PASSWORD and to their master with REDIS_PASSWORD', async () => {
    const vars = { REDIS_SENTINELS: sentinels.sentinels, REDIS_SENTINEL_MASTER: sentinels.master };
    expect(await tryCommand({ ...vars, REDIS_PASSWORD: PASSWORD, REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD })).toEqual({ answer: 'yes' });
    expect(await tryCommand({ ...vars, REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD })).toMatchObject({ refusedSignIn: true });
    expect(await tryCommand({ ...vars, REDIS_PASSWORD: PASSWORD })).not.toEqual({ answer: 'yes' });
  });

  it('refuses to start without the password the cluster asks for, saying so and what to set', async () => {
    const yaml = appYaml({ app: 'authcheck', repo: '/nonexistent/authcheck.git', port: 18_999 });
    const started = startTestHoist({ yaml, env: { REDIS_URL: '', REDIS_CLUSTER: cluster.nodes, HOIST_REDIS_PREFIX: '{hoist-authcheck}' } });
    await expect(started).rejects.toMatchObject({
      code: 'REDIS_AUTH',
      message: expect.stringMatching(
        new RegExp(`^the Redis Cluster at ${cluster.nodes.replace(/\./g, '\\.')} refused Hoist's sign-in \\(.*NOAUTH.*\\): set REDIS_PASSWORD \\(and REDIS_USERNAME for a Redis ACL user\\) to what the nodes ask for$`),
      ),
    });
  }, 60_000);
});
