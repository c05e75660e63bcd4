import type { Logger } from 'pino';
import { isDatabaseGone } from '../store/database-errors.ts';

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

/** One outage told to the log at a rate a person can read: when it starts, every `repeatMs` while it lasts (with what it cost), when it ends. */
function outageLog(logger: Logger, what: string, repeatMs: number, now: () => number) {
  let down: { since: number; failures: number; loggedAt: number; failuresLogged: number } | null = null;
  return {
    failed(error: Error, source: string): void {
      const at = now();
      if (down === null) {
        down = { since: at, failures: 1, loggedAt: at, failuresLogged: 1 };
        logger.warn({ source, code: (error as NodeJS.ErrnoException).code ?? error.name, error: error.message }, `${what} unreachable`);
        return;
      }
      down.failures++;
      if (at - down.loggedAt < repeatMs) return;
      logger.warn({ downForMs: at - down.since, failures: down.failures, since: down.failures - down.failuresLogged }, `${what} still unreachable`);
      down.loggedAt = at;
      down.failuresLogged = down.failures;
    },
    back(source: string): void {
      if (down === null) return;
      logger.info({ source, downForMs: now() - down.since, failures: down.failures }, `${what} reachable again`);
      down = null;
    },
  };
}

/**
 * Whether Redis and the database answer, told to the log at a rate a person can read: one
 * line when one stops answering, one every 30 s while it stays away (with how many failures it
 * caused), one when it is back. Every Redis connection Hoist opens is watched here, so none
 * prints ioredis's "Unhandled error event" with a stack trace; the loops that use Redis and
 * the database hand their failures here instead of logging each one (a loop polling every
 * second would otherwise log a stack trace a second for as long as an outage lasts).
 */
export function createRedisHealth(logger: Logger, options: { repeatMs?: number; now?: () => number; databaseLogger?: Logger } = {}) {
  const repeatMs = options.repeatMs ?? REPEAT_MS;
  const now = options.now ?? Date.now;
  const redis = outageLog(logger, 'redis', repeatMs, now);
  const database = outageLog(options.databaseLogger ?? logger, 'database', repeatMs, now);
  const failed = redis.failed;
  const back = redis.back;

  /** Counts a failure caused by Redis or the database being unreachable (true); anything else (false) is for the caller to log. */
  function absorbs(error: unknown, source: string): boolean {
    if (isCommandUnreachable(error)) {
      failed(error, source);
      return true;
    }
    if (error instanceof Error && isDatabaseGone(error)) {
      database.failed(error, source);
      return true;
    }
    return false;
  }

  const onError = (name: string, what: string) => (error: Error) => {
    if (isConnectionUnreachable(error)) failed(error, name);
    else logger.error({ err: error, source: name }, what);
  };

  return {
    absorbs,
    /** The database answered (a connection was made to it): an outage logged is over. */
    databaseAnswers: (source: string) => database.back(source),
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
