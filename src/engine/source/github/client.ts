import type { Logger } from 'pino';
import type { CallErrors } from '../../../domain/call-errors.ts';
import type { GitHubCredentials } from '../../../config/env.ts';
import type { GitHubRepo } from '../../../config/hoist-config.ts';
import { createAppTokens } from './app-tokens.ts';
import { createOctokit, type GitHubApi } from './octokit.ts';

export interface GitHubClientOptions {
  apiUrl: string;
  credentials: GitHubCredentials;
  logger: Logger;
  now?: () => number;
  /** At most this many seconds waited for a rate limit before a request fails (see octokit.ts). */
  maxRateLimitWaitS?: number;
  /** Told of every failed request (metrics). */
  callErrors?: CallErrors;
}

/** GitHub's API for a repository, with the credentials that reach it: a token, or the App's installation on it. */
export interface GitHubClient {
  forRepo(repo: GitHubRepo): Promise<GitHubApi>;
}

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const logger = options.logger.child({ component: 'github' });
  const base = {
    baseUrl: options.apiUrl,
    logger,
    ...(options.maxRateLimitWaitS === undefined ? {} : { maxWaitS: options.maxRateLimitWaitS }),
    ...(options.callErrors === undefined ? {} : { callErrors: options.callErrors }),
  };
  const { credentials } = options;
  if (credentials.kind === 'token') {
    const octokit = createOctokit({ ...base, auth: credentials.token });
    return { forRepo: () => Promise.resolve(octokit) };
  }
  const tokens = createAppTokens({ octokit: createOctokit(base), appId: credentials.appId, privateKey: credentials.privateKey, ...(options.now ? { now: options.now } : {}) });
  // One Octokit per installation token: a refreshed token gets a new one (its rate-limit state is the token's).
  const clients = new Map<string, GitHubApi>();
  return {
    async forRepo(repo) {
      const token = await tokens.tokenFor(repo);
      let octokit = clients.get(token);
      if (octokit === undefined) {
        if (clients.size >= 32) clients.clear();
        octokit = createOctokit({ ...base, auth: token });
        clients.set(token, octokit);
      }
      return octokit;
    },
  };
}
