/**
 * What a failed statement's error says about the database: one place for both questions
 * Hoist asks of it.
 */

/**
 * Node's socket errors when the database server refuses or cannot be reached, and Postgres's
 * `cannot_connect_now` (starting up, shutting down): nothing of the statement ran.
 */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', '57P03']);

/**
 * A connection that broke under a statement: reset or timed out on the way, the server shut
 * down (`admin_shutdown`, `crash_shutdown`) or the connection failed (`08006`, `08001`).
 * The statement may or may not have run.
 */
const LOST_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '08006', '08001']);
const LOST_MESSAGES = /Connection terminated|connection timeout|Client has encountered a connection error/i;

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return code === undefined || code === null ? undefined : String(code);
};

/**
 * Whether the database could not be reached at all, so the statement that failed did
 * not run. A connection cut in the middle of a statement is not this: its write may
 * have been committed.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = codeOf(error);
  return code !== undefined && UNREACHABLE_CODES.has(code);
}

/** Whether the database stopped answering: unreachable, or the connection lost under the statement. */
export function isDatabaseGone(error: unknown): boolean {
  if (isDatabaseUnreachable(error)) return true;
  const code = codeOf(error);
  if (code !== undefined && LOST_CODES.has(code)) return true;
  return LOST_MESSAGES.test(error instanceof Error ? error.message : String(error));
}
