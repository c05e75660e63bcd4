import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { ErrorEmitter } from 'ioredis/built/connectors/AbstractConnector.js';
import { SentinelConnector, StandaloneConnector } from 'ioredis/built/connectors/index.js';
import type { NetStream } from 'ioredis/built/types.js';
import type { RedisAccess, RedisEndpoint, RedisTls } from '../config/redis-env.ts';
import type { ConnectionOptions } from 'node:tls';

/**
 * ioredis listens for one error of each socket it opens. A TLS socket that gives up in the
 * handshake (a certificate Hoist does not trust) can report a second one, the server's answer
 * to it, and an error nobody listens for ends the process. These connectors keep listening:
 * ioredis still hears the first error and reconnects as usual, and later ones of that socket
 * (which is gone by then) are dropped.
 */
const keepListening = (stream: NetStream): NetStream => stream.on('error', () => undefined);

/** An ioredis connector class (made by ioredis with the connection's options) whose sockets keep listening. */
type ConnectorClass = new (options: unknown) => StandaloneConnector | SentinelConnector;

function listening(Base: ConnectorClass): ConnectorClass {
  return class extends (Base as new (options: unknown) => StandaloneConnector) {
    override async connect(emit: ErrorEmitter): Promise<NetStream> {
      return keepListening(await super.connect(emit));
    }
  };
}

const ListeningConnector = listening(StandaloneConnector as ConnectorClass);
const ListeningSentinelConnector = listening(SentinelConnector as ConnectorClass);

/** One node or Sentinel's master (`Redis`), or a Redis Cluster: BullMQ and Hoist's scripts take either. */
export type RedisConnection = Redis | Cluster;

/**
 * A connection for commands; BullMQ workers and subscribers need their own. `endpoint`: a
 * URL (one node) or how Hoist's configuration says to find Redis. `forWorker`: BullMQ's
 * (commands wait for Redis rather than fail); `pipelined`: the commands given in one turn of the
 * event loop go to Redis in one write (ioredis' auto-pipelining), for a connection many parts of
 * Hoist share that neither subscribes nor blocks.
 */
export function connectRedis(endpoint: RedisEndpoint | string, options: { forWorker?: boolean; name?: string; pipelined?: boolean } = {}): RedisConnection {
  const where: RedisEndpoint = typeof endpoint === 'string' ? { kind: 'single', url: endpoint } : endpoint;
  const common: RedisOptions = {
    // BullMQ workers block on Redis: they must retry forever rather than fail commands.
    maxRetriesPerRequest: options.forWorker ? null : 3,
    enableReadyCheck: true,
    ...(options.name === undefined ? {} : { connectionName: options.name }),
    lazyConnect: false,
    ...(options.pipelined === true ? { enableAutoPipelining: true } : {}),
  };
  const tls = where.tls ? tlsOptions(where.tls) : null;
  switch (where.kind) {
    case 'single':
      return new Redis(where.url, { ...common, Connector: ListeningConnector, ...(tls === null ? {} : { tls }) });
    case 'sentinel': {
      // ioredis asks the Sentinels for the master and asks again after a failover.
      const redis = new Redis({
        ...common,
        ...signIn(where.access),
        sentinels: where.sentinels,
        name: where.master,
        ...(where.sentinelPassword === null ? {} : { sentinelPassword: where.sentinelPassword }),
        // Over TLS to the Sentinels and to the master they name.
        ...(tls === null ? {} : { enableTLSForSentinelMode: true, sentinelTLS: tls, tls }),
        Connector: ListeningSentinelConnector,
      });
      // What ioredis does for its own Sentinel connector: the connection tells of failovers.
      (redis as unknown as { connector: SentinelConnector }).connector.emitter = redis;
      return redis;
    }
    case 'cluster':
      return new Cluster(where.nodes, {
        redisOptions: { ...common, Connector: ListeningConnector, ...signIn(where.access), ...(tls === null ? {} : { tls }) },
        // Over TLS a node is reached by the name given or announced, not an address looked up for
        // it, so that its certificate is checked against that name (managed clusters name their nodes).
        ...(tls === null ? {} : { dnsLookup: (address: string, callback: (error: Error | null, address: string) => void) => callback(null, address) }),
        enableReadyCheck: true,
        lazyConnect: false,
        // A cluster mid-failover answers CLUSTERDOWN/TRYAGAIN for a moment: retry rather than fail.
        retryDelayOnClusterDown: 200,
        retryDelayOnTryAgain: 200,
      });
  }
}

/** What a Redis error says, with the node error a cluster's "Failed to refresh slots cache." carries. */
export function redisErrorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const node = (error as { lastNodeError?: unknown }).lastNodeError;
  return node instanceof Error ? `${error.message.replace(/\.$/, '')}: ${node.message}` : error.message;
}

/** Whether Redis answered but refused to let Hoist in (no password, a wrong one, an unknown user). */
export function isRefusedSignIn(error: unknown): boolean {
  return /NOAUTH|WRONGPASS|invalid (username-)?password|Authentication required|no password is set/i.test(redisErrorText(error));
}

/**
 * Asks Redis once (PING) within `timeoutMs`. A connection that cannot get in (a cluster
 * whose nodes refuse the sign-in keeps retrying, and a command on it waits for ever) is
 * given up, with what it last reported; so is a PING that ioredis gave up retrying, since the
 * connection's own error (refused, a certificate Redis asked for) says more than "max retries".
 */
export async function firstAnswer(connection: RedisConnection, timeoutMs = 10_000): Promise<void> {
  let last: unknown = null;
  const onError = (error: unknown) => {
    last = error;
  };
  connection.on('error', onError);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      connection.ping().catch((error: unknown) => {
        throw last ?? error;
      }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(last ?? new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    connection.off('error', onError);
  }
}

/** Node's TLS options for a Redis connection: the configured certificates trusted instead of the system's, and Hoist's own shown when configured. */
function tlsOptions(tls: RedisTls): ConnectionOptions {
  return { ...(tls.ca === null ? {} : { ca: tls.ca }), ...(tls.client === null ? {} : { cert: tls.client.cert, key: tls.client.key }) };
}

/** The options that sign in to a node as the configuration says. */
function signIn(access: RedisAccess): Pick<RedisOptions, 'username' | 'password'> {
  return {
    ...(access.username === null ? {} : { username: access.username }),
    ...(access.password === null ? {} : { password: access.password }),
  };
}

/**
 * Closes a connection: politely (QUIT) when Redis answers, at once when it does not —
 * QUIT on a connection that is retrying would wait for a Redis that may never return.
 */
export async function closeRedis(connection: RedisConnection, waitMs = 2_000): Promise<void> {
  if (connection.status !== 'ready') {
    connection.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), waitMs)));
  const quit = connection.quit().then(() => 'quit' as const, () => 'failed' as const);
  const outcome = await Promise.race([quit, gaveUp]);
  clearTimeout(timer);
  if (outcome !== 'quit') connection.disconnect();
}

export function redisKeys(prefix: string) {
  return {
    lease: (app: string, env: string) => `${prefix}:lease:${app}/${env}`,
    fence: (app: string, env: string) => `${prefix}:fence:${app}/${env}`,
    eventsChannel: `${prefix}:events`,
    cancelChannel: `${prefix}:cancel`,
    /** The process that reconciles the queues this interval (reconciler.ts). */
    reconcilerTurn: `${prefix}:reconciler-turn`,
    /** The process that makes this second's look for due locks, approvals and checks (lock-sweeper.ts). */
    sweepTurn: `${prefix}:sweep-turn`,
    /** Elects the one process that delivers the event log to a consumer. */
    consumerLeader: (consumer: string) => `${prefix}:consumer-leader:${consumer}`,
    /** When a Slack channel's next post is due, for every process (post-pace.ts). */
    postPace: (channel: string) => `${prefix}:post-pace:${channel}`,
    /** Who opened the Home tab and what each was shown (home-tabs.ts). */
    homePrefix: `${prefix}:home:`,
  };
}
