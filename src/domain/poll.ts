/**
 * Polling a branch for new commits (`autoDeploy: { poll }`): which repositories to check,
 * how often, and what a check asks for. One check per repository, whatever the number of
 * environments following it.
 */

/** An environment that polls: its app's repository, its branch (null: the repository's default) and its interval. */
export interface PollingEnvironment {
  app: string;
  env: string;
  repo: string;
  branch: string | null;
  intervalMs: number;
}

/** One repository to check: the shortest interval of its environments, and the branches they follow (null: the default branch). */
export interface PolledRepository {
  repo: string;
  intervalMs: number;
  branches: (string | null)[];
  environments: PollingEnvironment[];
}

/** What one `git ls-remote` saw: the default branch's name (null: the repository has no HEAD) and each branch's head. */
export interface RemoteHeads {
  defaultBranch: string | null;
  heads: Record<string, string>;
}

/** The head last seen of each branch, by name; null: the repository was never checked. */
export type SeenHeads = Record<string, string> | null;

export type PollDecision =
  | { kind: 'deploy'; app: string; env: string; branch: string; sha: string; previous: string }
  | { kind: 'ignored'; app: string; env: string; reason: string };

export function pollGroups(environments: readonly PollingEnvironment[]): PolledRepository[] {
  const groups = new Map<string, PolledRepository>();
  for (const env of environments) {
    const group = groups.get(env.repo) ?? { repo: env.repo, intervalMs: env.intervalMs, branches: [], environments: [] };
    group.intervalMs = Math.min(group.intervalMs, env.intervalMs);
    if (!group.branches.includes(env.branch)) group.branches.push(env.branch);
    group.environments.push(env);
    groups.set(env.repo, group);
  }
  return [...groups.values()];
}

/** JITTER either side: processes started together, and repositories with one interval, spread their checks out. */
export const JITTER = 0.1;

/** The wait before the next check: the interval ±10%; `random` in [0, 1). */
export function jittered(intervalMs: number, random: number): number {
  return Math.round(intervalMs * (1 - JITTER + 2 * JITTER * random));
}

/**
 * The heads to remember after a check: those seen now, and the earlier ones of branches
 * this check did not see (a branch deleted for a while keeps its last head).
 */
export function headsAfter(seen: SeenHeads, remote: RemoteHeads): Record<string, string> {
  return { ...(seen ?? {}), ...remote.heads };
}

/**
 * What a check asks for: a deploy of the new head to each environment whose branch moved
 * since the last check. A branch seen for the first time (the first check of a repository,
 * a branch newly followed) is only remembered: nothing is new yet, and the environment keeps
 * what it runs until the branch moves.
 */
export function decidePoll(seen: SeenHeads, remote: RemoteHeads, environments: readonly PollingEnvironment[]): PollDecision[] {
  return environments.map((e): PollDecision => {
    const branch = e.branch ?? remote.defaultBranch;
    if (branch === null) return { kind: 'ignored', app: e.app, env: e.env, reason: 'the repository has no default branch (is it empty?)' };
    const sha = remote.heads[branch];
    if (sha === undefined) return { kind: 'ignored', app: e.app, env: e.env, reason: `no branch ${branch} in the repository` };
    const previous = seen?.[branch];
    if (previous === undefined) return { kind: 'ignored', app: e.app, env: e.env, reason: `first look at ${branch}: ${sha.slice(0, 12)} remembered, nothing new yet` };
    if (previous === sha) return { kind: 'ignored', app: e.app, env: e.env, reason: `${branch} is still at ${sha.slice(0, 12)}` };
    return { kind: 'deploy', app: e.app, env: e.env, branch, sha, previous };
  });
}
