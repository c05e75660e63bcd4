/**
 * Failed calls to the peers Hoist depends on, counted by what went wrong in a few fixed
 * words (metrics: `hoist_call_errors_total{system,kind}`). The words stay few and the same
 * however a peer phrases its failure, so the count's label sets stay bounded.
 */
export const CALL_SYSTEMS = ['slack', 'kubernetes', 'registry', 'github'] as const;
export type CallSystem = (typeof CALL_SYSTEMS)[number];

export const CALL_ERROR_KINDS = [
  /** HTTP 429: the peer asks Hoist to slow down. */
  'rate_limited',
  /** No answer in time. */
  'timeout',
  /** No answer at all: refused, reset, name not resolved. */
  'network',
  /** HTTP 4xx other than 429: the peer refused the request as made. */
  'client_error',
  /** HTTP 5xx: the peer failed. */
  'server_error',
  /** An answer that says no without an error status: Slack's `ok: false`, an error event in a push. */
  'rejected',
] as const;
export type CallErrorKind = (typeof CALL_ERROR_KINDS)[number];

/**
 * Told of every failed call to a peer, each attempt of a retried call included (a retry
 * that succeeds still hides a failure worth seeing, a 429 above all).
 */
export type CallErrors = (system: CallSystem, kind: CallErrorKind) => void;

/** Where failed calls are not counted (metrics off, tests of other things). */
export const ignoreCallErrors: CallErrors = () => undefined;

/** The kind of failure an HTTP status is; null for an answer that is not a failure (1xx–3xx). */
export function kindOfStatus(status: number): CallErrorKind | null {
  if (status === 429) return 'rate_limited';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server_error';
  if (status >= 400) return 'client_error';
  return null;
}

const TIMEOUT_NAMES = new Set(['TimeoutError']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * The kind of failure of a call that got no answer: a timeout when the error (or what
 * caused it: fetch wraps the socket's error in `cause`) says so, else the network.
 */
export function kindOfThrown(error: unknown): 'timeout' | 'network' {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const { name, code, cause } = current as { name?: unknown; code?: unknown; cause?: unknown };
    if (typeof name === 'string' && TIMEOUT_NAMES.has(name)) return 'timeout';
    if (typeof code === 'string' && TIMEOUT_CODES.has(code)) return 'timeout';
    current = cause;
  }
  return 'network';
}

/**
 * The kind of failure of a GitHub answer: GitHub says "rate limited" with a 403 as well as a
 * 429, with `Retry-After` (secondary limits) or `x-ratelimit-remaining: 0` (the primary one).
 */
export function kindOfGitHubAnswer(status: number, header: (name: string) => string | null): CallErrorKind | null {
  if ((status === 403 || status === 429) && (header('retry-after') !== null || header('x-ratelimit-remaining') === '0')) return 'rate_limited';
  return kindOfStatus(status);
}

/** The kind of a failed call: its HTTP status when it got one (not 0), else what was thrown. */
export function kindOfFailure(status: number, error: unknown): CallErrorKind {
  return (status > 0 ? kindOfStatus(status) : null) ?? kindOfThrown(error);
}
