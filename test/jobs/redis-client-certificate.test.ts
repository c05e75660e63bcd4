import type { Cluster } from 'ioredis';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.ts';
import { createEnvironmentLease } from '../../src/jobs/environment-lease.ts';
import { closeRedis, connectRedis, firstAnswer } from '../../src/jobs/redis.ts';
import { uniquePrefix } from '../support/databases.ts';
import { appYaml, freePort, startTestHoist } from '../support/hoist-harness.ts';
import {
  bothUp,
  ownRedisCluster,
  ownRedisSentinels,
  ownTlsRedis,
  testCertificates,
  type Node,
  type OwnCluster,
  type OwnSentinels,
  type TestCertificates,
} from '../support/redis-topologies.ts';

/** A connection made as `vars` say (without a client certificate) gets no answer. */
async function nothingAnswers(vars: Record<string, string>): Promise<void> {
  const redis = connectRedis(parseEnv(vars).redis, { name: 'test-mtls-none' });
  redis.on('error', () => undefined);
  try {
    await expect(firstAnswer(redis, 3_000)).rejects.toBeInstanceOf(Error);
  } finally {
    await closeRedis(redis);
  }
}

/** Redis' own default with TLS: `tls-auth-clients yes`, every client shows a certificate its authority signed. */
describe('a Redis that asks clients for a certificate', () => {
  let dir: string;
  let certificates: TestCertificates;
  let port: number;
  let server: Node | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hoist-redis-mtls-'));
    certificates = await testCertificates(dir, 'IP:127.0.0.1', { askClients: true });
    port = await freePort();
    server = ownTlsRedis(port, certificates);
    await server.start();
  }, 30_000);

  afterAll(async () => {
    await server?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('takes Hoist with REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE: a lease is claimed and fenced', async () => {
    const env = parseEnv({
      REDIS_URL: `rediss://127.0.0.1:${port}`,
      REDIS_TLS_CA_FILE: certificates.ca,
      REDIS_TLS_CERT_FILE: certificates.clientCert,
      REDIS_TLS_KEY_FILE: certificates.clientKey,
    });
    const redis = connectRedis(env.redis, { name: 'test-mtls', pipelined: true });
    try {
      await firstAnswer(redis, 5_000);
      const lease = createEnvironmentLease(redis, uniquePrefix(), 5_000);
      expect(await lease.claim('shop', 'prod', 1)).not.toBeNull();
      expect(await lease.claim('shop', 'prod', 2)).toBeNull();
    } finally {
      await closeRedis(redis);
    }
  });

  it('refuses Hoist without them: nothing answers, and Hoist refuses to start saying which variables a Redis that asks needs', async () => {
    const vars = { REDIS_URL: `rediss://127.0.0.1:${port}`, REDIS_TLS_CA_FILE: certificates.ca };
    await nothingAnswers(vars);
    const started = startTestHoist({ yaml: appYaml({ app: 'mtlsrefused', repo: '.', port: await freePort() }), env: vars });
    await expect(started).rejects.toMatchObject({
      code: 'REDIS_UNREACHABLE',
      message: `Redis at rediss://127.0.0.1:${port} does not answer (set REDIS_URL; over TLS, Redis' certificate must be signed by the certificates of REDIS_TLS_CA_FILE and name the host Hoist connects to; a Redis that asks clients for a certificate (tls-auth-clients) needs REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE)`,
    });
  }, 60_000);

  it('starts Hoist with them', async () => {
    const hoist = await startTestHoist({
      yaml: appYaml({ app: 'mtlsstart', repo: '.', port: await freePort() }),
      env: { REDIS_URL: `rediss://127.0.0.1:${port}`, REDIS_TLS_CA_FILE: certificates.ca, REDIS_TLS_CERT_FILE: certificates.clientCert, REDIS_TLS_KEY_FILE: certificates.clientKey },
    });
    try {
      expect((await fetch(`${hoist.baseUrl}/readyz`)).status).toBe(200);
    } finally {
      await hoist.stop();
    }
  }, 60_000);
});

/** The same on a Redis Cluster (each node asks) and behind Sentinels (they and the master ask). */
describe('a Redis Cluster and Sentinels that ask clients for a certificate', () => {
  let dir: string;
  let clusterCertificates: TestCertificates;
  let sentinelCertificates: TestCertificates;
  let cluster: OwnCluster | null = null;
  let sentinels: OwnSentinels | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hoist-redis-mtls-topologies-'));
    mkdirSync(join(dir, 'cluster'));
    mkdirSync(join(dir, 'sentinels'));
    [clusterCertificates, sentinelCertificates] = await Promise.all([
      testCertificates(join(dir, 'cluster'), 'IP:127.0.0.1', { askClients: true }),
      testCertificates(join(dir, 'sentinels'), 'IP:127.0.0.1', { askClients: true }),
    ]);
    [cluster, sentinels] = await bothUp(ownRedisCluster(17_430, { tls: clusterCertificates }), ownRedisSentinels(17_440, 'hoist-mtls', { tls: sentinelCertificates }));
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    await sentinels?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const withCertificate = (certificates: TestCertificates) => ({
    REDIS_TLS: 'on',
    REDIS_TLS_CA_FILE: certificates.ca,
    REDIS_TLS_CERT_FILE: certificates.clientCert,
    REDIS_TLS_KEY_FILE: certificates.clientKey,
  });

  it('takes Hoist with its certificate on every node of the cluster, and nowhere without it', async () => {
    const nodes = cluster?.nodes ?? '';
    const redis = connectRedis(parseEnv({ REDIS_CLUSTER: nodes, ...withCertificate(clusterCertificates) }).redis, { name: 'test-mtls-cluster', pipelined: true });
    try {
      const lease = createEnvironmentLease(redis, `{hoist-mtls-${process.pid}}`, 5_000);
      expect(await lease.claim('shop', 'prod', 1)).not.toBeNull();
      // Each master answers (Hoist's keys share one slot; BullMQ's and other prefixes use the others).
      const masters = (redis as Cluster).nodes('master');
      expect(masters).toHaveLength(3);
      expect(await Promise.all(masters.map((node) => node.ping()))).toEqual(['PONG', 'PONG', 'PONG']);
    } finally {
      await closeRedis(redis);
    }
    await nothingAnswers({ REDIS_CLUSTER: nodes, REDIS_TLS: 'on', REDIS_TLS_CA_FILE: clusterCertificates.ca });
  }, 30_000);

  it('takes Hoist with its certificate at the Sentinels and the master they name, and not without it', async () => {
    const where = { REDIS_SENTINELS: sentinels?.sentinels ?? '', REDIS_SENTINEL_MASTER: sentinels?.master ?? '' };
    const redis = connectRedis(parseEnv({ ...where, ...withCertificate(sentinelCertificates) }).redis, { name: 'test-mtls-sentinel' });
    try {
      await redis.set(`hoist-mtls-${process.pid}`, 'yes');
      expect(await redis.get(`hoist-mtls-${process.pid}`)).toBe('yes');
      expect((await redis.info('replication')).includes('role:master')).toBe(true);
    } finally {
      await closeRedis(redis);
    }
    await nothingAnswers({ ...where, REDIS_TLS: 'on', REDIS_TLS_CA_FILE: sentinelCertificates.ca });
  }, 30_000);
});
