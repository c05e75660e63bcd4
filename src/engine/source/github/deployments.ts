import type { GitHubRepo } from '../../../config/hoist-config.ts';
import { payloadNames, type GitHubDeploymentPayload, type GitHubDeploymentState } from '../../../domain/github-deployment.ts';
import type { GitHubApi } from './octokit.ts';

/** What GitHub answered that asking again will not change (a commit it does not have, a deployment deleted there). */
export type Refusal = { ok: false; status: number; reason: string };

/** A 404 or 422 (GitHub's "no such ref", "validation failed"), and a 409 (checks it would not pass): GitHub's final word. */
function refusal(error: unknown): Refusal | null {
  const status = (error as { status?: unknown }).status;
  if (status !== 404 && status !== 409 && status !== 422) return null;
  return { ok: false, status, reason: `GitHub answered ${status}: ${(error as Error).message}` };
}

/**
 * An error GitHub may not answer the next time: thrown on, with `retryAfterMs` when GitHub said
 * when to come back (`Retry-After`, or `x-ratelimit-reset` with none remaining), which the event
 * consumer honours.
 */
class GitHubUnavailable extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | null,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'GitHubUnavailable';
  }
}

function retryLater(error: unknown, now = Date.now()): GitHubUnavailable {
  const headers = ((error as { response?: { headers?: Record<string, string | undefined> } }).response?.headers ?? {}) as Record<string, string | undefined>;
  const after = headers['retry-after'];
  const reset = headers['x-ratelimit-reset'];
  let retryAfterMs: number | null = null;
  if (after !== undefined && /^\d+$/.test(after)) retryAfterMs = Number(after) * 1000;
  else if (headers['x-ratelimit-remaining'] === '0' && reset !== undefined && /^\d+$/.test(reset)) retryAfterMs = Math.max(0, Number(reset) * 1000 - now);
  const status = (error as { status?: unknown }).status;
  return new GitHubUnavailable(`GitHub ${typeof status === 'number' ? `answered ${status}` : 'did not answer'}: ${(error as Error).message}`, retryAfterMs, { cause: error });
}

async function call<T>(what: () => Promise<T>): Promise<T | Refusal> {
  try {
    return await what();
  } catch (error) {
    const refused = refusal(error);
    if (refused !== null) return refused;
    throw retryLater(error);
  }
}

/** The GitHub Deployment of Hoist deployment `hoistId` on `sha` in `environment`, if one was made (a retry after a crash looks before making another). */
export async function findGitHubDeployment(octokit: GitHubApi, repo: GitHubRepo, input: { sha: string; environment: string; hoistId: number }): Promise<number | null> {
  const found = await call(() =>
    octokit.paginate(octokit.rest.repos.listDeployments, { owner: repo.owner, repo: repo.repo, sha: input.sha, environment: input.environment, per_page: 100 }),
  );
  if (!Array.isArray(found)) return null;
  return found.find((d) => payloadNames(d.payload, input.hoistId))?.id ?? null;
}

export interface NewGitHubDeployment {
  sha: string;
  environment: string;
  description: string;
  production: boolean;
  payload: GitHubDeploymentPayload;
}

/**
 * Creates the GitHub Deployment of an exact commit. `auto_merge: false`: the SHA is what runs,
 * never a merge of the default branch into it; `required_contexts: []`: Hoist gates deployments
 * itself (approvals, checks), GitHub is told, not asked.
 */
export async function createGitHubDeployment(octokit: GitHubApi, repo: GitHubRepo, input: NewGitHubDeployment): Promise<{ ok: true; id: number } | Refusal> {
  const made = await call(() =>
    octokit.rest.repos.createDeployment({
      owner: repo.owner,
      repo: repo.repo,
      ref: input.sha,
      task: 'deploy',
      environment: input.environment,
      description: input.description,
      auto_merge: false,
      required_contexts: [],
      payload: input.payload as unknown as Record<string, unknown>,
      production_environment: input.production,
      transient_environment: false,
    }),
  );
  if ('ok' in made) return made;
  const body = made.data as { id?: unknown; message?: unknown };
  if (typeof body.id !== 'number') return { ok: false, status: made.status, reason: `GitHub made no deployment: ${String(body.message ?? made.status)}` };
  return { ok: true, id: body.id };
}

export interface NewGitHubStatus {
  state: GitHubDeploymentState;
  description: string;
  environment: string;
  logUrl: string | null;
  environmentUrl: string | null;
}

/** The newest status of a GitHub Deployment (a retry looks whether its status was posted already). */
export async function latestGitHubStatus(octokit: GitHubApi, repo: GitHubRepo, githubId: number): Promise<{ state: string; description: string } | null> {
  const listed = await call(() => octokit.rest.repos.listDeploymentStatuses({ owner: repo.owner, repo: repo.repo, deployment_id: githubId, per_page: 1 }));
  if ('ok' in listed) return null;
  const newest = listed.data[0];
  return newest === undefined ? null : { state: newest.state, description: newest.description ?? '' };
}

export async function createGitHubStatus(octokit: GitHubApi, repo: GitHubRepo, githubId: number, status: NewGitHubStatus): Promise<{ ok: true } | Refusal> {
  const made = await call(() =>
    octokit.rest.repos.createDeploymentStatus({
      owner: repo.owner,
      repo: repo.repo,
      deployment_id: githubId,
      state: status.state,
      description: status.description,
      environment: status.environment,
      ...(status.logUrl === null ? {} : { log_url: status.logUrl }),
      ...(status.environmentUrl === null ? {} : { environment_url: status.environmentUrl }),
    }),
  );
  return 'ok' in made ? made : { ok: true };
}
