import type { Logger } from 'pino';

/** How often a Redis outage that goes on is logged again, with what it cost meanwhile. */
const REPEAT_MS = 30_000;

/** Node's socket errors: the peer refused, reset or could not be reached. */
const SOCKET_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** ioredis's own words for "the command could not reach Redis". */
const IOREDIS_UNREACHABLE = /^(Connection is closed\.|Reached the max retries per request limit|Stream isn't writeable)/;

/** A command refused by ioredis because Redis is away (a socket error alone could be Postgres's). */
function isCommandUnreachable(error: unknown): error is Error {
  return error instanceof Error && (error.name === 'MaxRetriesPerRequestError' || IOREDIS_UNREACHABLE.test(error.message));
}

/** What a Redis connection reports when its server is away. */
function isConnectionUnreachable(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return (code !== undefined && SOCKET_CODES.has(code)) || isCommandUnreachable(error);
}

/** Anything that reports its connection failures as `error` events: an ioredis client, a BullMQ queue or worker. */
interface ErrorSource {
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** An ioredis client: it also says when it is connected again. */
interface RedisClient extends ErrorSource {
  on(event: 'error' | 'ready', listener: (error: Error) => void): unknown;
}

/**
 * Whether Redis answers, told to the log at a rate a person can read: one line when
 * it stops answering, one every 30 s while it stays away (with how many failures it
 * caused), one when it is back. Every connection Hoist opens is watched here, so
 * none prints ioredis's "Unhandled error event" with a stack trace; the loops that
 * use Redis hand their failures here instead of logging each one.
 */
export function createRedisHealth(logger: Logger, options: { repeatMs?: number; now?: () => number } = {}) {
  const repeatMs = options.repeatMs ?? REPEAT_MS;
  const now = options.now ?? Date.now;
  let down: { since: number; failures: number; loggedAt: number; failuresLogged: number } | null = null;

  function failed(error: Error, source: string): void {
    const at = now();
    if (down === null) {
      down = { since: at, failures: 1, loggedAt: at, failuresLogged: 1 };
      logger.warn({ source, code: (error as NodeJS.ErrnoException).code ?? error.name, error: error.message }, 'redis unreachable');
      return;
    }
    down.failures++;
    if (at - down.loggedAt < repeatMs) return;
    logger.warn({ downForMs: at - down.since, failures: down.failures, since: down.failures - down.failuresLogged }, 'redis still unreachable');
    down.loggedAt = at;
    down.failuresLogged = down.failures;
  }

  function back(source: string): void {
    if (down === null) return;
    logger.info({ source, downForMs: now() - down.since, failures: down.failures }, 'redis reachable again');
    down = null;
  }

  /** Counts a failure caused by Redis being unreachable (true); anything else (false) is for the caller to log. */
  function absorbs(error: unknown, source: string): boolean {
    if (!isCommandUnreachable(error)) return false;
    failed(error, source);
    return true;
  }

  const onError = (name: string, what: string) => (error: Error) => {
    if (isConnectionUnreachable(error)) failed(error, name);
    else logger.error({ err: error, source: name }, what);
  };

  return {
    absorbs,
    /** Listens to a client's connection errors (which ioredis would otherwise print with a stack) and to its reconnects. */
    watch<T extends RedisClient>(client: T, name: string): T {
      client.on('error', onError(name, 'redis connection error'));
      client.on('ready', () => back(name));
      return client;
    },
    /** Listens to a BullMQ queue's or worker's errors: connection failures count here, anything else is logged as it comes. */
    watchEvents(source: ErrorSource, name: string): void {
      source.on('error', onError(name, `${name} error`));
    },
  };
}

export type RedisHealth = ReturnType<typeof createRedisHealth>;
