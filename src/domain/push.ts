/** A push to a GitHub repository, as Hoist needs it to deploy (the webhook's payload, translated at the edge). */
export interface PushFacts {
  /** `owner/repo` as GitHub names it. */
  repository: string;
  defaultBranch: string;
  /** The full ref pushed, `refs/heads/main`. */
  ref: string;
  /** The commit the ref points at after the push. */
  after: string;
  deleted: boolean;
  forced: boolean;
  /** The GitHub login of whoever pushed. */
  pusher: string;
  /** The head commit's message (null: none, as for a deletion). */
  message: string | null;
  /** GitHub's compare page of the push. */
  compareUrl: string | null;
}

/** What a deployment requested by a push records of it: shown on its card, in history and in the API. */
export interface PushRecord {
  /** Who pushed; `polled` when the new head was found by polling (`autoDeploy: { poll }`), which does not tell who pushed. */
  pusher: string;
  message: string | null;
  forced: boolean;
  compareUrl: string | null;
  /** Found by polling the branch with git ls-remote rather than told by a webhook (absent: false). */
  polled?: boolean;
}

/** What `pusher` says of a head found by polling. */
export const POLLED = 'polled';

/** An environment a push may deploy: its app's GitHub repository, its branch (null: the default branch) and whether it deploys on push. */
export interface PushCandidate {
  app: string;
  env: string;
  github: { owner: string; repo: string } | null;
  branch: string | null;
  autoDeploy: boolean;
}

export type PushDecision =
  | { kind: 'deploy'; app: string; env: string; sha: string; record: PushRecord }
  | { kind: 'ignored'; reason: string };

const sameRepo = (a: { owner: string; repo: string }, fullName: string): boolean => `${a.owner}/${a.repo}`.toLowerCase() === fullName.toLowerCase();

/**
 * What a push asks for: a deploy of exactly the pushed SHA to each environment with
 * `autoDeploy` that follows the pushed branch of that repository. Deletions, tags and
 * other branches ask for nothing.
 */
export function decidePush(push: PushFacts, candidates: readonly PushCandidate[]): PushDecision[] {
  if (push.deleted || /^0{40}$/.test(push.after)) return [{ kind: 'ignored', reason: `${push.ref} was deleted` }];
  if (!push.ref.startsWith('refs/heads/')) return [{ kind: 'ignored', reason: `${push.ref} is not a branch` }];
  if (!/^[0-9a-f]{40}$/.test(push.after)) return [{ kind: 'ignored', reason: `"${push.after}" is not a commit SHA` }];
  const branch = push.ref.slice('refs/heads/'.length);
  const record: PushRecord = { pusher: push.pusher, message: push.message, forced: push.forced, compareUrl: push.compareUrl };
  const decisions = candidates
    .filter((c) => c.autoDeploy && c.github !== null && sameRepo(c.github, push.repository) && (c.branch ?? push.defaultBranch) === branch)
    .map((c): PushDecision => ({ kind: 'deploy', app: c.app, env: c.env, sha: push.after, record }));
  return decisions.length > 0 ? decisions : [{ kind: 'ignored', reason: `no environment deploys ${push.repository} ${branch} on push` }];
}
