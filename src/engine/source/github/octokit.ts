import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import type { Logger } from 'pino';
import { kindOfGitHubAnswer, kindOfThrown, type CallErrors } from '../../../domain/call-errors.ts';

/** Octokit with GitHub's retry and rate-limit handling: the one way Hoist talks to GitHub's API. */
export const HoistOctokit = Octokit.plugin(retry, throttling);
export type GitHubApi = InstanceType<typeof HoistOctokit>;

/**
 * The longest a request waits for a rate limit to pass (`Retry-After`, or
 * `x-ratelimit-reset`) before it gives up: the caller (an event-log consumer) tries again
 * later instead of holding a worker for up to an hour.
 */
export const MAX_RATE_LIMIT_WAIT_S = 30;

export interface OctokitOptions {
  baseUrl: string;
  logger: Logger;
  /** At most this many seconds waited for a rate limit (default MAX_RATE_LIMIT_WAIT_S). */
  maxWaitS?: number;
  /** Retries of a 5xx answer (the retry plugin's back-off between them). */
  retries?: number;
  auth?: string;
  /** Told of every failed request, each retry's included (metrics: `hoist_call_errors_total{system="github"}`). */
  callErrors?: CallErrors;
}

/** fetch that counts each failed attempt: under the retry and rate-limit plugins, so every try is seen. */
function countingFetch(callErrors: CallErrors): typeof fetch {
  return async (input, init) => {
    let answer: Response;
    try {
      answer = await fetch(input, init);
    } catch (error) {
      if (!init?.signal?.aborted) callErrors('github', kindOfThrown(error));
      throw error;
    }
    const kind = kindOfGitHubAnswer(answer.status, (name) => answer.headers.get(name));
    if (kind !== null) callErrors('github', kind);
    return answer;
  };
}

export function createOctokit(options: OctokitOptions): GitHubApi {
  const log = options.logger;
  const maxWait = options.maxWaitS ?? MAX_RATE_LIMIT_WAIT_S;
  const limited = (kind: string) => (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
    const again = retryCount < 2 && retryAfter <= maxWait;
    log.warn({ method: request.method, url: request.url, retryAfter, retryCount, again }, `GitHub ${kind} rate limit`);
    return again;
  };
  return new HoistOctokit({
    baseUrl: options.baseUrl,
    ...(options.auth === undefined ? {} : { auth: options.auth }),
    userAgent: 'hoist',
    ...(options.callErrors === undefined ? {} : { request: { fetch: countingFetch(options.callErrors) } }),
    log: {
      debug: (message: string) => log.debug(message),
      info: (message: string) => log.debug(message),
      warn: (message: string) => log.warn(message),
      error: (message: string) => log.error(message),
    },
    retry: { retries: options.retries ?? 2 },
    throttle: { onRateLimit: limited('primary'), onSecondaryRateLimit: limited('secondary') },
  });
}
