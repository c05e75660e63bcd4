import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.ts';

export interface RedisNode {
  host: string;
  port: number;
}

/** How Hoist signs in to a cluster's nodes or a Sentinels' master (Redis 6 ACL user, or the `requirepass` password alone). */
export interface RedisAccess {
  username: string | null;
  password: string | null;
}

/**
 * Connections over TLS. `ca`: the PEM certificates to trust instead of the system's
 * (REDIS_TLS_CA_FILE); `client`: the certificate Hoist shows Redis and its private key, PEM
 * (REDIS_TLS_CERT_FILE, REDIS_TLS_KEY_FILE), for a Redis that asks for one (`tls-auth-clients`).
 */
export interface RedisTls {
  ca: string | null;
  client: { cert: string; key: string } | null;
}

/**
 * Which Redis Hoist uses and how it finds it: one node by URL (credentials in it, `rediss://`
 * for TLS), a Redis Cluster from some of its nodes, or the master that Sentinels name
 * (`sentinelPassword`: the Sentinels' own, when they ask for one). `tls`: how connections are
 * encrypted (for a cluster, to every node; behind Sentinels, to them and to the master), null
 * for none; one node says it with `rediss://`.
 */
export type RedisEndpoint =
  | { kind: 'single'; url: string; tls?: RedisTls | null }
  | { kind: 'cluster'; nodes: RedisNode[]; access: RedisAccess; tls: RedisTls | null }
  | { kind: 'sentinel'; sentinels: RedisNode[]; master: string; access: RedisAccess; sentinelPassword: string | null; tls: RedisTls | null };

export interface RedisVars {
  REDIS_URL: string | undefined;
  REDIS_CLUSTER: string | undefined;
  REDIS_SENTINELS: string | undefined;
  REDIS_SENTINEL_MASTER: string | undefined;
  REDIS_USERNAME: string | undefined;
  REDIS_PASSWORD: string | undefined;
  REDIS_SENTINEL_PASSWORD: string | undefined;
  REDIS_TLS?: 'on' | 'off' | undefined;
  REDIS_TLS_CA_FILE: string | undefined;
  REDIS_TLS_CERT_FILE?: string | undefined;
  REDIS_TLS_KEY_FILE?: string | undefined;
  HOIST_REDIS_PREFIX: string | undefined;
}

export interface RedisEnv {
  endpoint: RedisEndpoint;
  /** What every key of Hoist (and of its queues) starts with; hash-tagged on a cluster. */
  prefix: string;
}

const DEFAULT_URL = 'redis://127.0.0.1:6379';
const PREFIX_CHARACTERS = /^[A-Za-z0-9_.:{}-]+$/;

function refuse(message: string): never {
  throw new ConfigError('ENV_INVALID', message);
}

/** `host:port,host:port`: each entry names a port; messages quote the entry (addresses are not secrets). */
function nodeList(variable: string, text: string, example: string): RedisNode[] {
  const entries = text.split(',').map((e) => e.trim()).filter(Boolean);
  if (entries.length === 0) refuse(`${variable} lists no node: expected host:port entries separated by commas, e.g. ${example}`);
  return entries.map((entry) => {
    const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) refuse(`${variable}: "${entry}" is not host:port; expected e.g. ${example}`);
    return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port };
  });
}

/** REDIS_USERNAME and REDIS_PASSWORD for a cluster's nodes or a Sentinels' master; messages never quote the password. */
function access(vars: RedisVars): RedisAccess {
  if (vars.REDIS_USERNAME !== undefined && vars.REDIS_PASSWORD === undefined) {
    refuse('REDIS_USERNAME is set but REDIS_PASSWORD is not: a Redis ACL user signs in with both; set REDIS_PASSWORD too, or unset REDIS_USERNAME to sign in with the password alone');
  }
  return { username: vars.REDIS_USERNAME ?? null, password: vars.REDIS_PASSWORD ?? null };
}

/**
 * TLS as REDIS_TLS (a cluster or Sentinels) or the URL's `rediss://` (one node) asks, with the
 * certificates of REDIS_TLS_CA_FILE to trust when it is set, and the client certificate of
 * REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE to show. REDIS_TLS has no say on one node (its URL's
 * scheme has), and files without TLS would be read for nothing: both refused.
 */
function tls(vars: RedisVars, kind: RedisEndpoint['kind'], rediss: boolean): RedisTls | null {
  if (kind === 'single' && vars.REDIS_TLS !== undefined) {
    refuse(`REDIS_TLS is for REDIS_CLUSTER and REDIS_SENTINELS; one node says TLS in REDIS_URL: rediss://host:6379${vars.REDIS_TLS === 'on' ? '' : ' (redis:// for none)'}`);
  }
  const on = kind === 'single' ? rediss : vars.REDIS_TLS === 'on';
  if (!on) {
    const set = (['REDIS_TLS_CA_FILE', 'REDIS_TLS_CERT_FILE', 'REDIS_TLS_KEY_FILE'] as const).filter((name) => vars[name] !== undefined);
    if (set.length > 0) {
      refuse(
        `${set.join(' and ')} ${set.length === 1 ? 'is' : 'are'} set but ${kind === 'single' ? 'REDIS_URL does not start with rediss://' : 'REDIS_TLS is not on'}: the certificates are for TLS connections; ${kind === 'single' ? 'use rediss://' : 'set REDIS_TLS=on'}, or unset ${set.join(' and ')}`,
      );
    }
    return null;
  }
  return { ca: trustedCertificates(vars.REDIS_TLS_CA_FILE), client: clientCertificate(vars) };
}

/** A file's text, or a refusal naming the variable, the path and what was expected there. */
function readSetting(variable: string, path: string, expected: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    refuse(`${variable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}): expected the path of a PEM file with ${expected}`);
  }
}

function trustedCertificates(path: string | undefined): string | null {
  if (path === undefined) return null;
  const expected = "the certificate(s) that signed Redis' own";
  const ca = readSetting('REDIS_TLS_CA_FILE', path, expected);
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) refuse(`REDIS_TLS_CA_FILE: ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----): expected ${expected}`);
  return ca;
}

/**
 * The certificate Hoist shows a Redis that asks clients for one, and its private key: both
 * files or neither, a certificate and the key that goes with it (checked here, not at the first
 * connection). Messages name the files, never what the key file holds.
 */
function clientCertificate(vars: RedisVars): RedisTls['client'] {
  const certFile = vars.REDIS_TLS_CERT_FILE;
  const keyFile = vars.REDIS_TLS_KEY_FILE;
  if (certFile === undefined && keyFile === undefined) return null;
  if (certFile === undefined || keyFile === undefined) {
    const [set, missing] = certFile === undefined ? ['REDIS_TLS_KEY_FILE', 'REDIS_TLS_CERT_FILE'] : ['REDIS_TLS_CERT_FILE', 'REDIS_TLS_KEY_FILE'];
    refuse(`${set} is set but ${missing} is not: Hoist shows Redis a certificate together with its private key; set both, or neither when Redis does not ask clients for a certificate`);
  }
  const certExpected = 'the certificate Hoist shows Redis, signed by an authority Redis trusts (its tls-ca-cert-file)';
  const cert = readSetting('REDIS_TLS_CERT_FILE', certFile, certExpected);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    refuse(`REDIS_TLS_CERT_FILE: ${certFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----): expected ${certExpected}`);
  }
  const key = readSetting('REDIS_TLS_KEY_FILE', keyFile, 'the private key of the certificate in REDIS_TLS_CERT_FILE');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    refuse(`REDIS_TLS_KEY_FILE: ${keyFile} holds no private key Hoist can read: expected the PEM private key (-----BEGIN PRIVATE KEY-----, not protected by a passphrase) of the certificate in REDIS_TLS_CERT_FILE`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    refuse(`REDIS_TLS_KEY_FILE: ${keyFile} is not the private key of the certificate in REDIS_TLS_CERT_FILE (${certFile}): set the key that goes with that certificate`);
  }
  return { cert, key };
}

/**
 * The hash tag Redis Cluster hashes a key by: the text between the first `{` and the next
 * `}`, when that is not empty. Keys that share it land in one slot.
 */
export function hashTag(key: string): string | null {
  const open = key.indexOf('{');
  if (open === -1) return null;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return null;
  return key.slice(open + 1, close);
}

function url(text: string): string {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    refuse('REDIS_URL is not a URL: expected e.g. redis://127.0.0.1:6379 (rediss:// for TLS)');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') refuse(`REDIS_URL must start with redis:// or rediss:// (TLS), not ${parsed.protocol}//`);
  return text;
}

/**
 * Exactly one way to reach Redis: REDIS_URL, REDIS_CLUSTER, or REDIS_SENTINELS with
 * REDIS_SENTINEL_MASTER (none of them: a Redis on this machine). On a cluster the lease and
 * fence scripts and BullMQ's scripts touch several keys at once, so every key must share one
 * hash slot: the prefix must carry a hash tag (the default becomes `{hoist}`).
 */
export function parseRedisEnv(vars: RedisVars): RedisEnv {
  const set = (['REDIS_URL', 'REDIS_CLUSTER', 'REDIS_SENTINELS'] as const).filter((name) => vars[name] !== undefined);
  if (set.length > 1) refuse(`${set.join(' and ')} are all set: Hoist reaches one Redis, as one node (REDIS_URL), a cluster (REDIS_CLUSTER) or through Sentinels (REDIS_SENTINELS); unset all but one`);
  if (vars.REDIS_SENTINEL_MASTER !== undefined && vars.REDIS_SENTINELS === undefined) {
    refuse('REDIS_SENTINEL_MASTER is set but REDIS_SENTINELS is not: list the Sentinels as host:port,host:port, or unset REDIS_SENTINEL_MASTER');
  }
  if (vars.REDIS_SENTINEL_PASSWORD !== undefined && vars.REDIS_SENTINELS === undefined) {
    refuse('REDIS_SENTINEL_PASSWORD is set but REDIS_SENTINELS is not: it is the password of the Sentinels themselves; unset it, or list the Sentinels');
  }
  let endpoint: RedisEndpoint;
  if (vars.REDIS_CLUSTER !== undefined) {
    endpoint = { kind: 'cluster', nodes: nodeList('REDIS_CLUSTER', vars.REDIS_CLUSTER, '10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379'), access: access(vars), tls: tls(vars, 'cluster', false) };
  } else if (vars.REDIS_SENTINELS !== undefined) {
    const sentinels = nodeList('REDIS_SENTINELS', vars.REDIS_SENTINELS, '10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379');
    if (vars.REDIS_SENTINEL_MASTER === undefined) refuse('REDIS_SENTINELS is set but REDIS_SENTINEL_MASTER is not: name the master the Sentinels monitor (their `sentinel monitor <name> …` line), e.g. mymaster');
    endpoint = { kind: 'sentinel', sentinels, master: vars.REDIS_SENTINEL_MASTER, access: access(vars), sentinelPassword: vars.REDIS_SENTINEL_PASSWORD ?? null, tls: tls(vars, 'sentinel', false) };
  } else {
    const given = (['REDIS_USERNAME', 'REDIS_PASSWORD'] as const).filter((name) => vars[name] !== undefined);
    if (given.length > 0) {
      refuse(`${given.join(' and ')} ${given.length > 1 ? 'are' : 'is'} for REDIS_CLUSTER and REDIS_SENTINELS; one node takes its user and password in REDIS_URL: redis://user:password@host:6379`);
    }
    const single = url(vars.REDIS_URL ?? DEFAULT_URL);
    endpoint = { kind: 'single', url: single, tls: tls(vars, 'single', single.startsWith('rediss:')) };
  }

  const prefix = vars.HOIST_REDIS_PREFIX ?? (endpoint.kind === 'cluster' ? '{hoist}' : 'hoist');
  if (!PREFIX_CHARACTERS.test(prefix)) refuse('HOIST_REDIS_PREFIX: letters, digits and _ . : { } - only');
  if (endpoint.kind === 'cluster' && hashTag(prefix) === null) {
    refuse(
      `HOIST_REDIS_PREFIX "${prefix}" has no hash tag: on Redis Cluster the keys one script touches (an environment's lease and fence, a queue's keys) must share a hash slot, which a tag in braces ensures; use e.g. {${prefix.replace(/[{}]/g, '') || 'hoist'}}`,
    );
  }
  return { endpoint, prefix };
}

/** The variables to check when that Redis does not answer. */
const REDIS_VARIABLE: Record<RedisEndpoint['kind'], string> = {
  single: 'set REDIS_URL',
  cluster: 'check REDIS_CLUSTER',
  sentinel: 'check REDIS_SENTINELS and REDIS_SENTINEL_MASTER',
};

/**
 * What to check when that Redis does not answer. Over TLS, a certificate Hoist does not trust
 * shows (on a cluster) only as connections closed: the certificate is named as a cause.
 */
export function redisCheck(endpoint: RedisEndpoint): string {
  const variable = REDIS_VARIABLE[endpoint.kind];
  if (!endpoint.tls) return variable;
  const trusted = endpoint.tls.ca === null ? "the system's certificate authorities" : 'the certificates of REDIS_TLS_CA_FILE';
  const client =
    endpoint.tls.client === null
      ? '; a Redis that asks clients for a certificate (tls-auth-clients) needs REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE'
      : "; Redis must trust the authority that signed Hoist's certificate (REDIS_TLS_CERT_FILE)";
  return `${variable}; over TLS, Redis' certificate must be signed by ${trusted} and name the host Hoist connects to${endpoint.kind === 'single' ? '' : ', and the nodes must take TLS'}${client}`;
}

/** What to set when Redis refuses Hoist's sign-in. */
export const REDIS_SIGN_IN: Record<RedisEndpoint['kind'], string> = {
  single: 'put the user and password in REDIS_URL, e.g. redis://hoist:<password>@cache:6379',
  cluster: 'set REDIS_PASSWORD (and REDIS_USERNAME for a Redis ACL user) to what the nodes ask for',
  sentinel: 'set REDIS_PASSWORD (and REDIS_USERNAME for a Redis ACL user) for the master, and REDIS_SENTINEL_PASSWORD when the Sentinels ask for one of their own',
};

/** Where Redis is, for messages: the URL without credentials, or the nodes asked. */
export function describeRedis(endpoint: RedisEndpoint): string {
  switch (endpoint.kind) {
    case 'single': {
      const u = new URL(endpoint.url);
      u.username = '';
      u.password = '';
      return `Redis at ${u.toString().replace(/\/$/, '')}`;
    }
    case 'cluster':
      return `the Redis Cluster at ${endpoint.nodes.map((n) => `${n.host}:${n.port}`).join(',')}${accessText(endpoint.access)}${endpoint.tls ? ' over TLS' : ''}`;
    case 'sentinel':
      return `the Redis master "${endpoint.master}" of the Sentinels at ${endpoint.sentinels.map((n) => `${n.host}:${n.port}`).join(',')}${accessText(endpoint.access)}${endpoint.tls ? ' over TLS' : ''}`;
  }
}

/** How it signs in, for messages: who, never the password. */
function accessText(a: RedisAccess): string {
  return a.password === null ? '' : a.username === null ? ' with a password' : ` as ${a.username}`;
}
