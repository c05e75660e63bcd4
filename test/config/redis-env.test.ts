import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.ts';
import { describeRedis, hashTag, parseRedisEnv, redisCheck, type RedisVars } from '../../src/config/redis-env.ts';
import { testCertificates } from '../support/redis-topologies.ts';

const none: RedisVars = {
  REDIS_URL: undefined,
  REDIS_CLUSTER: undefined,
  REDIS_SENTINELS: undefined,
  REDIS_SENTINEL_MASTER: undefined,
  REDIS_USERNAME: undefined,
  REDIS_PASSWORD: undefined,
  REDIS_SENTINEL_PASSWORD: undefined,
  REDIS_TLS: undefined,
  REDIS_TLS_CA_FILE: undefined,
  HOIST_REDIS_PREFIX: undefined,
};
const OPEN = { username: null, password: null };
const parse = (vars: Partial<RedisVars>) => parseRedisEnv({ ...none, ...vars });
const refusal = (vars: Partial<RedisVars>): string => {
  try {
    parse(vars);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
};

describe('which Redis Hoist uses', () => {
  it('is a Redis on this machine when nothing is set, with the prefix hoist', () => {
    expect(parse({})).toEqual({ endpoint: { kind: 'single', url: 'redis://127.0.0.1:6379', tls: null }, prefix: 'hoist' });
    // An empty variable (as compose files write them) counts as unset.
    expect(parseEnv({ REDIS_URL: '', REDIS_CLUSTER: 'a:1' }).redis.kind).toBe('cluster');
  });

  it('takes one node by URL, TLS included, and refuses what is not a redis URL', () => {
    expect(parse({ REDIS_URL: 'rediss://:pw@cache.internal:6380' }).endpoint).toEqual({ kind: 'single', url: 'rediss://:pw@cache.internal:6380', tls: { ca: null, client: null } });
    expect(refusal({ REDIS_URL: 'http://cache:6379' })).toContain('REDIS_URL must start with redis:// or rediss://');
    expect(refusal({ REDIS_URL: 'not a url' })).toContain('REDIS_URL is not a URL');
  });

  it('takes a cluster from its nodes, whose keys default to one hash slot', () => {
    const env = parse({ REDIS_CLUSTER: '10.0.0.1:7000, 10.0.0.2:7001,[::1]:7002' });
    expect(env.endpoint).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      access: OPEN,
      tls: null,
    });
    expect(env.prefix).toBe('{hoist}');
    expect(parse({ REDIS_CLUSTER: 'a:1', HOIST_REDIS_PREFIX: 'team-{hoist}' }).prefix).toBe('team-{hoist}');
  });

  it('refuses on a cluster a prefix whose keys would spread over slots, and says what works', () => {
    expect(refusal({ REDIS_CLUSTER: 'a:1', HOIST_REDIS_PREFIX: 'shop' })).toMatch(/HOIST_REDIS_PREFIX "shop" has no hash tag.*use e\.g\. \{shop\}/);
    expect(refusal({ REDIS_CLUSTER: 'a:1', HOIST_REDIS_PREFIX: 'shop{}' })).toContain('has no hash tag');
    // One node does not care.
    expect(parse({ HOIST_REDIS_PREFIX: 'shop' }).prefix).toBe('shop');
  });

  it('finds the master through Sentinels, which need the master name', () => {
    expect(parse({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_MASTER: 'mymaster' })).toEqual({
      endpoint: { kind: 'sentinel', sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }], master: 'mymaster', access: OPEN, sentinelPassword: null, tls: null },
      prefix: 'hoist',
    });
    expect(refusal({ REDIS_SENTINELS: 's1:26379' })).toContain('REDIS_SENTINEL_MASTER is not');
    expect(refusal({ REDIS_SENTINEL_MASTER: 'mymaster' })).toContain('REDIS_SENTINELS is not');
  });

  it('connects over TLS as REDIS_TLS (a cluster, Sentinels) or rediss:// (one node) says, trusting the certificates of REDIS_TLS_CA_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoist-redis-ca-'));
    try {
      const caFile = join(dir, 'ca.pem');
      const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
      writeFileSync(caFile, ca);
      expect(parse({ REDIS_CLUSTER: 'a:1', REDIS_TLS: 'on' }).endpoint).toMatchObject({ kind: 'cluster', tls: { ca: null } });
      expect(parse({ REDIS_CLUSTER: 'a:1', REDIS_TLS: 'off' }).endpoint).toMatchObject({ kind: 'cluster', tls: null });
      expect(parse({ REDIS_CLUSTER: 'a:1', REDIS_TLS: 'on', REDIS_TLS_CA_FILE: caFile }).endpoint).toMatchObject({ tls: { ca } });
      expect(parse({ REDIS_SENTINELS: 's:1', REDIS_SENTINEL_MASTER: 'm', REDIS_TLS: 'on', REDIS_TLS_CA_FILE: caFile }).endpoint).toMatchObject({ kind: 'sentinel', tls: { ca } });
      expect(parse({ REDIS_URL: 'rediss://cache:6380', REDIS_TLS_CA_FILE: caFile }).endpoint).toEqual({ kind: 'single', url: 'rediss://cache:6380', tls: { ca, client: null } });
      // What would be ignored is refused, with what works.
      expect(refusal({ REDIS_URL: 'redis://cache:6379', REDIS_TLS: 'on' })).toBe('REDIS_TLS is for REDIS_CLUSTER and REDIS_SENTINELS; one node says TLS in REDIS_URL: rediss://host:6379');
      expect(refusal({ REDIS_TLS: 'off' })).toContain('one node says TLS in REDIS_URL: rediss://host:6379 (redis:// for none)');
      expect(refusal({ REDIS_CLUSTER: 'a:1', REDIS_TLS_CA_FILE: caFile })).toBe(
        'REDIS_TLS_CA_FILE is set but REDIS_TLS is not on: the certificates are for TLS connections; set REDIS_TLS=on, or unset REDIS_TLS_CA_FILE',
      );
      expect(refusal({ REDIS_URL: 'redis://cache:6379', REDIS_TLS_CA_FILE: caFile })).toContain('REDIS_URL does not start with rediss://');
      expect(refusal({ REDIS_CLUSTER: 'a:1', REDIS_TLS: 'on', REDIS_TLS_CA_FILE: join(dir, 'missing.pem') })).toMatch(/^REDIS_TLS_CA_FILE: cannot read .*missing\.pem \(ENOENT\): expected the path of a PEM file/);
      writeFileSync(join(dir, 'key.pem'), 'not a certificate');
      expect(refusal({ REDIS_CLUSTER: 'a:1', REDIS_TLS: 'on', REDIS_TLS_CA_FILE: join(dir, 'key.pem') })).toContain('holds no PEM certificate');
      expect(() => parseEnv({ REDIS_CLUSTER: 'a:1', REDIS_TLS: 'yes' })).toThrow(/REDIS_TLS.*expected on or off/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shows Redis the client certificate of REDIS_TLS_CERT_FILE with the key of REDIS_TLS_KEY_FILE, checked to go together, and never quotes the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoist-redis-client-'));
    try {
      const certificates = await testCertificates(dir);
      const cert = readFileSync(certificates.clientCert, 'utf8');
      const key = readFileSync(certificates.clientKey, 'utf8');
      const client = { REDIS_TLS_CERT_FILE: certificates.clientCert, REDIS_TLS_KEY_FILE: certificates.clientKey };
      const single = parse({ REDIS_URL: 'rediss://cache:6380', ...client }).endpoint;
      expect(single).toEqual({ kind: 'single', url: 'rediss://cache:6380', tls: { ca: null, client: { cert, key } } });
      expect(parse({ REDIS_CLUSTER: 'a:1', REDIS_TLS: 'on', REDIS_TLS_CA_FILE: certificates.ca, ...client }).endpoint).toMatchObject({ tls: { ca: certificates.caText, client: { cert, key } } });
      expect(parse({ REDIS_SENTINELS: 's:1', REDIS_SENTINEL_MASTER: 'm', REDIS_TLS: 'on', ...client }).endpoint).toMatchObject({ kind: 'sentinel', tls: { client: { cert, key } } });
      // Read through the environment as a process reads it.
      expect(parseEnv({ REDIS_URL: 'rediss://cache:6380', ...client }).redis).toEqual(single);
      // What to check when Redis does not answer says which side's certificate is in question.
      expect(redisCheck(single)).toContain("Redis must trust the authority that signed Hoist's certificate (REDIS_TLS_CERT_FILE)");
      expect(redisCheck(parse({ REDIS_URL: 'rediss://cache:6380' }).endpoint)).toContain('a Redis that asks clients for a certificate (tls-auth-clients) needs REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE');

      const refusals = [
        refusal({ REDIS_URL: 'rediss://cache:6380', REDIS_TLS_CERT_FILE: certificates.clientCert }),
        refusal({ REDIS_URL: 'rediss://cache:6380', REDIS_TLS_KEY_FILE: certificates.clientKey }),
        refusal({ REDIS_CLUSTER: 'a:1', ...client }),
        refusal({ REDIS_URL: 'redis://cache:6379', REDIS_TLS_KEY_FILE: certificates.clientKey }),
        refusal({ REDIS_URL: 'rediss://cache:6380', ...client, REDIS_TLS_KEY_FILE: certificates.key }),
        refusal({ REDIS_URL: 'rediss://cache:6380', REDIS_TLS_CERT_FILE: certificates.clientKey, REDIS_TLS_KEY_FILE: certificates.clientKey }),
        refusal({ REDIS_URL: 'rediss://cache:6380', REDIS_TLS_CERT_FILE: certificates.clientCert, REDIS_TLS_KEY_FILE: certificates.clientCert }),
        refusal({ REDIS_URL: 'rediss://cache:6380', ...client, REDIS_TLS_KEY_FILE: join(dir, 'missing.key') }),
      ];
      expect(refusals[0]).toBe(
        'REDIS_TLS_CERT_FILE is set but REDIS_TLS_KEY_FILE is not: Hoist shows Redis a certificate together with its private key; set both, or neither when Redis does not ask clients for a certificate',
      );
      expect(refusals[1]).toContain('REDIS_TLS_KEY_FILE is set but REDIS_TLS_CERT_FILE is not');
      expect(refusals[2]).toBe(
        'REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE are set but REDIS_TLS is not on: the certificates are for TLS connections; set REDIS_TLS=on, or unset REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE',
      );
      expect(refusals[3]).toBe('REDIS_TLS_KEY_FILE is set but REDIS_URL does not start with rediss://: the certificates are for TLS connections; use rediss://, or unset REDIS_TLS_KEY_FILE');
      // Redis' own key is not Hoist's certificate's.
      expect(refusals[4]).toBe(`REDIS_TLS_KEY_FILE: ${certificates.key} is not the private key of the certificate in REDIS_TLS_CERT_FILE (${certificates.clientCert}): set the key that goes with that certificate`);
      expect(refusals[5]).toMatch(/^REDIS_TLS_CERT_FILE: .*hoist\.key holds no PEM certificate \(-----BEGIN CERTIFICATE-----\): expected the certificate Hoist shows Redis/);
      expect(refusals[6]).toMatch(/^REDIS_TLS_KEY_FILE: .*hoist\.crt holds no private key Hoist can read: expected the PEM private key/);
      expect(refusals[7]).toMatch(/^REDIS_TLS_KEY_FILE: cannot read .*missing\.key \(ENOENT\): expected the path of a PEM file with the private key/);
      const keyBody = key.split('\n')[1] ?? key;
      for (const message of refusals) expect(message).not.toContain(keyBody);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes exactly one way, naming the variables', () => {
    expect(refusal({ REDIS_URL: 'redis://a:1', REDIS_CLUSTER: 'b:2' })).toContain('REDIS_URL and REDIS_CLUSTER are all set');
    expect(refusal({ REDIS_CLUSTER: 'b:2', REDIS_SENTINELS: 'c:3', REDIS_SENTINEL_MASTER: 'm' })).toContain('REDIS_CLUSTER and REDIS_SENTINELS');
  });

  it('names a bad node entry and how to write one', () => {
    expect(refusal({ REDIS_CLUSTER: '10.0.0.1' })).toBe('REDIS_CLUSTER: "10.0.0.1" is not host:port; expected e.g. 10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379');
    expect(refusal({ REDIS_CLUSTER: 'a:70000' })).toContain('"a:70000" is not host:port');
    expect(refusal({ REDIS_SENTINELS: ' , ', REDIS_SENTINEL_MASTER: 'm' })).toContain('REDIS_SENTINELS lists no node');
    expect(refusal({ HOIST_REDIS_PREFIX: 'a b' })).toContain('letters, digits');
  });

  it('signs in to a cluster or a Sentinels master with REDIS_USERNAME and REDIS_PASSWORD, and the Sentinels with their own password', () => {
    expect(parse({ REDIS_CLUSTER: 'a:1', REDIS_PASSWORD: 'p4ss' }).endpoint).toMatchObject({ access: { username: null, password: 'p4ss' } });
    expect(parse({ REDIS_SENTINELS: 's:1', REDIS_SENTINEL_MASTER: 'm', REDIS_USERNAME: 'hoist', REDIS_PASSWORD: 'p4ss', REDIS_SENTINEL_PASSWORD: 'sp4ss' }).endpoint).toMatchObject({
      access: { username: 'hoist', password: 'p4ss' },
      sentinelPassword: 'sp4ss',
    });
    expect(refusal({ REDIS_CLUSTER: 'a:1', REDIS_USERNAME: 'hoist' })).toBe(
      'REDIS_USERNAME is set but REDIS_PASSWORD is not: a Redis ACL user signs in with both; set REDIS_PASSWORD too, or unset REDIS_USERNAME to sign in with the password alone',
    );
    expect(refusal({ REDIS_PASSWORD: 'p4ss' })).toBe('REDIS_PASSWORD is for REDIS_CLUSTER and REDIS_SENTINELS; one node takes its user and password in REDIS_URL: redis://user:password@host:6379');
    expect(refusal({ REDIS_URL: 'redis://a:1', REDIS_USERNAME: 'u', REDIS_PASSWORD: 'x' })).toContain('REDIS_USERNAME and REDIS_PASSWORD are for REDIS_CLUSTER');
    expect(refusal({ REDIS_CLUSTER: 'a:1', REDIS_SENTINEL_PASSWORD: 'sp4ss' })).toContain('REDIS_SENTINEL_PASSWORD is set but REDIS_SENTINELS is not');
    // No message quotes a password.
    for (const vars of [{ REDIS_PASSWORD: 'p4ss' }, { REDIS_URL: 'redis://a:1', REDIS_PASSWORD: 'p4ss' }]) expect(refusal(vars)).not.toContain('p4ss');
    expect(describeRedis(parse({ REDIS_CLUSTER: 'a:1', REDIS_PASSWORD: 'p4ss' }).endpoint)).toBe('the Redis Cluster at a:1 with a password');
    expect(describeRedis(parse({ REDIS_SENTINELS: 's:1', REDIS_SENTINEL_MASTER: 'm', REDIS_USERNAME: 'hoist', REDIS_PASSWORD: 'p4ss' }).endpoint)).toBe(
      'the Redis master "m" of the Sentinels at s:1 as hoist',
    );
  });

  it('describes where Redis is without its password', () => {
    expect(describeRedis(parse({ REDIS_URL: 'redis://user:s3cret@cache:6379' }).endpoint)).toBe('Redis at redis://cache:6379');
    expect(describeRedis(parse({ REDIS_CLUSTER: 'a:1,b:2' }).endpoint)).toBe('the Redis Cluster at a:1,b:2');
    expect(describeRedis(parse({ REDIS_SENTINELS: 's:1', REDIS_SENTINEL_MASTER: 'm' }).endpoint)).toBe('the Redis master "m" of the Sentinels at s:1');
  });

  it('reads the hash tag as Redis Cluster does', () => {
    expect(hashTag('{hoist}:lease:a/b')).toBe('hoist');
    expect(hashTag('x{}{y}')).toBeNull();
    expect(hashTag('a{b')).toBeNull();
    expect(hashTag('plain')).toBeNull();
  });
});
