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
 * Which Redis Hoist uses and how it finds it: one node by URL (credentials in it, `rediss://`
 * for TLS), a Redis Cluster from some of its nodes, or the master that Sentinels name
 * (`sentinelPassword`: the Sentinels' own, when they ask for one).
 */
export type RedisEndpoint =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: RedisNode[]; access: RedisAccess }
  | { kind: 'sentinel'; sentinels: RedisNode[]; master: string; access: RedisAccess; sentinelPassword: string | null };

export interface RedisVars {
  REDIS_URL: string | undefined;
  REDIS_CLUSTER: string | undefined;
  REDIS_SENTINELS: string | undefined;
  REDIS_SENTINEL_MASTER: string | undefined;
  REDIS_USERNAME: string | undefined;
  REDIS_PASSWORD: string | undefined;
  REDIS_SENTINEL_PASSWORD: string | undefined;
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
    endpoint = { kind: 'cluster', nodes: nodeList('REDIS_CLUSTER', vars.REDIS_CLUSTER, '10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379'), access: access(vars) };
  } else if (vars.REDIS_SENTINELS !== undefined) {
    const sentinels = nodeList('REDIS_SENTINELS', vars.REDIS_SENTINELS, '10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379');
    if (vars.REDIS_SENTINEL_MASTER === undefined) refuse('REDIS_SENTINELS is set but REDIS_SENTINEL_MASTER is not: name the master the Sentinels monitor (their `sentinel monitor <name> …` line), e.g. mymaster');
    endpoint = { kind: 'sentinel', sentinels, master: vars.REDIS_SENTINEL_MASTER, access: access(vars), sentinelPassword: vars.REDIS_SENTINEL_PASSWORD ?? null };
  } else {
    const given = (['REDIS_USERNAME', 'REDIS_PASSWORD'] as const).filter((name) => vars[name] !== undefined);
    if (given.length > 0) {
      refuse(`${given.join(' and ')} ${given.length > 1 ? 'are' : 'is'} for REDIS_CLUSTER and REDIS_SENTINELS; one node takes its user and password in REDIS_URL: redis://user:password@host:6379`);
    }
    endpoint = { kind: 'single', url: url(vars.REDIS_URL ?? DEFAULT_URL) };
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
export const REDIS_VARIABLE: Record<RedisEndpoint['kind'], string> = {
  single: 'set REDIS_URL',
  cluster: 'check REDIS_CLUSTER',
  sentinel: 'check REDIS_SENTINELS and REDIS_SENTINEL_MASTER',
};

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
      return `the Redis Cluster at ${endpoint.nodes.map((n) => `${n.host}:${n.port}`).join(',')}${accessText(endpoint.access)}`;
    case 'sentinel':
      return `the Redis master "${endpoint.master}" of the Sentinels at ${endpoint.sentinels.map((n) => `${n.host}:${n.port}`).join(',')}${accessText(endpoint.access)}`;
  }
}

/** How it signs in, for messages: who, never the password. */
function accessText(a: RedisAccess): string {
  return a.password === null ? '' : a.username === null ? ' with a password' : ` as ${a.username}`;
}
