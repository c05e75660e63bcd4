import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.ts';
import { closeRedis, connectRedis, firstAnswer, isRefusedSignIn, redisErrorText, redisKeys } from '../../src/jobs/redis.ts';
import { createEnvironmentLease } from '../../src/jobs/environment-lease.ts';
import { createRunQueue, RUN_QUEUE_NAME } from '../../src/jobs/run-queue.ts';
import { appYaml, startTestHoist } from '../support/hoist-harness.ts';
import { bothUp, ownRedisCluster, ownRedisSentinels, testCertificates, type OwnCluster, type OwnSentinels, type TestCertificates } from '../support/redis-topologies.ts';

/** A connection made as `vars` say writes `key` and reads it back, on a node that is master. */
async function writesToTheMaster(vars: Record<string, string>, key: string): Promise<void> {
  const redis = connectRedis(parseEnv(vars).redis, { name: 'test' });
  try {
    await redis.set(key, 'yes');
    expect(await redis.get(key)).toBe('yes');
    expect((await redis.info('replication')).includes('role:master')).toBe(true);
  } finally {
    await closeRedis(redis);
  }
}

describe('Hoist on a Redis Cluster and behind Sentinels', () => {
  let cluster: OwnCluster;
  let sentinels: OwnSentinels;

  beforeAll(async () => {
    [cluster, sentinels] = await bothUp(ownRedisCluster(17_310), ownRedisSentinels(17_320));
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
    await writesToTheMaster({ REDIS_SENTINELS: sentinels.sentinels, REDIS_SENTINEL_MASTER: sentinels.master }, 'hoist-test:probe');
  });
});

describe('a Redis Cluster and Sentinels that ask for passwords', () => {
  const PASSWORD = 'cluster-and-master-p4ss';
  const SENTINEL_PASSWORD = 'sentinels-own-p4ss';
  let cluster: OwnCluster;
  let sentinels: OwnSentinels;

  beforeAll(async () => {
    [cluster, sentinels] = await bothUp(
      ownRedisCluster(17_370, { password: PASSWORD }),
      ownRedisSentinels(17_380, 'hoist-auth', { password: PASSWORD, sentinelPassword: SENTINEL_PASSWORD }),
    );
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

describe('a Redis Cluster and Sentinels that take TLS only', () => {
  let dir: string;
  /** The cluster's nodes are known by a name (localhost), which their certificate names, and not by their address; the Sentinels' setup by its address. */
  let certificates: TestCertificates;
  let sentinelCertificates: TestCertificates;
  let cluster: OwnCluster;
  let sentinels: OwnSentinels;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hoist-redis-tls-'));
    mkdirSync(join(dir, 'cluster'));
    mkdirSync(join(dir, 'sentinels'));
    [certificates, sentinelCertificates] = await Promise.all([testCertificates(join(dir, 'cluster'), 'DNS:localhost'), testCertificates(join(dir, 'sentinels'))]);
    [cluster, sentinels] = await bothUp(
      ownRedisCluster(17_390, { tls: certificates, announceHostname: 'localhost' }),
      ownRedisSentinels(17_400, 'hoist-tls', { tls: sentinelCertificates }),
    );
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    await sentinels?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs the lease and a BullMQ job on the cluster over TLS, trusting REDIS_TLS_CA_FILE, each node checked against the name it is known by', async () => {
    const env = parseEnv({ REDIS_CLUSTER: cluster.nodes, REDIS_TLS: 'on', REDIS_TLS_CA_FILE: certificates.ca });
    const redis = connectRedis(env.redis, { name: 'test', pipelined: true });
    const queueConnection = connectRedis(env.redis, { name: 'test-queue', forWorker: true });
    const workerConnection = connectRedis(env.redis, { name: 'test-worker', forWorker: true });
    const prefix = `{hoist-tls-${process.pid}}`;
    const queue = createRunQueue(queueConnection, prefix);
    let worker: Worker | null = null;
    try {
      const lease = createEnvironmentLease(redis, prefix, 5_000);
      expect(await lease.claim('shop', 'prod', 1)).not.toBeNull();
      expect(await lease.claim('shop', 'prod', 2)).toBeNull();
      const ran = new Promise<number>((resolve) => {
        worker = new Worker(RUN_QUEUE_NAME, async (job) => resolve((job.data as { deploymentId: number }).deploymentId), { connection: workerConnection, prefix });
      });
      await queue.add('run', { deploymentId: 7 }, { jobId: 'run-7' });
      expect(await ran).toBe(7);
    } finally {
      await (worker as Worker | null)?.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await Promise.all([closeRedis(redis), closeRedis(queueConnection), closeRedis(workerConnection)]);
    }
  });

  it('a certificate Hoist does not trust never ends the process, however often a connection gives up in the handshake', async () => {
    const uncaught: Error[] = [];
    const onUncaught = (error: Error) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    // Each connection is cut at a random moment of its handshake, as a stop or a retry cuts it.
    const cutShort = async (connect: () => ReturnType<typeof connectRedis>, times: number) => {
      for (let i = 0; i < times; i += 1) {
        const redis = connect();
        redis.on('error', () => undefined);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 30));
        redis.disconnect();
      }
    };
    try {
      await cutShort(() => connectRedis(`rediss://${cluster.nodes.split(',')[0] ?? ''}`, { name: 'test' }), 300);
      await cutShort(() => connectRedis(parseEnv({ REDIS_CLUSTER: cluster.nodes, REDIS_TLS: 'on' }).redis, { name: 'test' }), 60);
      await cutShort(() => connectRedis(parseEnv({ REDIS_SENTINELS: sentinels.sentinels, REDIS_SENTINEL_MASTER: sentinels.master, REDIS_TLS: 'on' }).redis, { name: 'test' }), 60);
      // What a cut socket still had to say arrives a moment later.
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught.map((e) => e.message)).toEqual([]);
  }, 60_000);

  it('finds the master through the Sentinels over TLS', async () => {
    await writesToTheMaster(
      { REDIS_SENTINELS: sentinels.sentinels, REDIS_SENTINEL_MASTER: sentinels.master, REDIS_TLS: 'on', REDIS_TLS_CA_FILE: sentinelCertificates.ca },
      'hoist-tls:probe',
    );
  });

  it('checks the certificate: without the CA that signed it, nothing answers, and Hoist refuses to start naming the certificate', async () => {
    for (const vars of [
      { REDIS_CLUSTER: cluster.nodes, REDIS_TLS: 'on' },
      { REDIS_SENTINELS: sentinels.sentinels, REDIS_SENTINEL_MASTER: sentinels.master, REDIS_TLS: 'on' },
    ]) {
      const redis = connectRedis(parseEnv(vars).redis, { name: 'test' });
      redis.on('error', () => undefined);
      try {
        await expect(firstAnswer(redis, 3_000)).rejects.toBeInstanceOf(Error);
      } finally {
        redis.disconnect();
      }
    }
    const yaml = appYaml({ app: 'tlsrefused', repo: '/nonexistent/tlsrefused.git', port: 18_997 });
    const started = startTestHoist({ yaml, env: { REDIS_URL: '', REDIS_CLUSTER: cluster.nodes, REDIS_TLS: 'on', HOIST_REDIS_PREFIX: '{hoist-tlsrefused}' } });
    await expect(started).rejects.toMatchObject({
      code: 'REDIS_UNREACHABLE',
      message: `the Redis Cluster at ${cluster.nodes} over TLS does not answer (check REDIS_CLUSTER; over TLS, Redis' certificate must be signed by the system's certificate authorities and name the host Hoist connects to, and the nodes must take TLS; a Redis that asks clients for a certificate (tls-auth-clients) needs REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE)`,
    });
  }, 60_000);

  it('starts Hoist on the cluster over TLS', async () => {
    const yaml = appYaml({ app: 'tlscheck', repo: '/nonexistent/tlscheck.git', port: 18_998 });
    const hoist = await startTestHoist({
      yaml,
      env: { REDIS_URL: '', REDIS_CLUSTER: cluster.nodes, REDIS_TLS: 'on', REDIS_TLS_CA_FILE: certificates.ca, HOIST_REDIS_PREFIX: '{hoist-tlscheck}' },
    });
    try {
      expect((await fetch(`${hoist.baseUrl}/readyz`)).status).toBe(200);
    } finally {
      await hoist.stop();
    }
  }, 60_000);
});
