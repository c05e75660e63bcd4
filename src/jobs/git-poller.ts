import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { decidePoll, headsAfter, jittered, type PollDecision, type PolledRepository } from '../domain/poll.ts';
import type { HeadsOutcome } from '../engine/source/git-heads.ts';
import { repoName } from '../engine/source/git-command.ts';
import type { Db } from '../store/database.ts';
import { claimPoll, recordHeads, releasePoll, type PollKey } from '../store/git-polls.ts';

/** The longest one `git ls-remote` may take (shorter when the interval is). */
const MAX_CHECK_MS = 60_000;

export interface GitPollerDeps {
  db: Db;
  repositories: readonly PolledRepository[];
  /** This process, as the `holder` of the repositories it polls. */
  holder: string;
  /** One `git ls-remote` (engine/source/git-heads.ts). */
  heads(repo: string, branches: readonly (string | null)[], options: { timeoutMs: number }): Promise<HeadsOutcome>;
  /** Requests the deploys a check asks for; resolves once they are recorded. */
  deploy(decisions: readonly PollDecision[]): Promise<unknown>;
  logger: Logger;
  random?: () => number;
}

export const pollKey = (repo: string): PollKey => ({ key: createHash('sha256').update(repo).digest('hex'), name: repoName(repo) });

/**
 * The lease covers the next check (the interval and its jitter) and the check itself: a
 * holder that checks on time keeps it; one that died loses it within three intervals.
 */
export const leaseFor = (intervalMs: number): number => 3 * intervalMs;

/**
 * Checks each polled repository at its interval (jittered). Every Hoist process runs one,
 * and each check first claims the repository in Postgres: only the holder runs `git
 * ls-remote`, so a repository is checked once per interval however many processes run. The
 * deploys a check asks for are requested before its heads are remembered: a holder that dies
 * in between leaves the move to be seen (and asked for, once: the requests are keyed) again.
 */
export function createGitPoller(deps: GitPollerDeps) {
  const random = deps.random ?? Math.random;
  const log = deps.logger.child({ component: 'git-poll' });
  const timers = new Map<string, NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  const held = new Set<string>();
  const lastFailure = new Map<string, string>();
  let stopped = true;

  async function check(repo: PolledRepository, key: PollKey): Promise<void> {
    const claim = await claimPoll(deps.db, key, deps.holder, leaseFor(repo.intervalMs));
    if (!claim.held) {
      held.delete(key.key);
      return;
    }
    if (!held.has(key.key)) log.info({ repo: key.name }, 'polling the repository');
    held.add(key.key);
    const outcome = await deps.heads(repo.repo, repo.branches, { timeoutMs: Math.min(MAX_CHECK_MS, repo.intervalMs) });
    if (!outcome.ok) {
      // Said once per new reason: a host down for an hour is one line, not sixty.
      if (lastFailure.get(key.key) !== outcome.reason) log.warn({ repo: key.name, reason: outcome.reason }, 'polling check failed');
      lastFailure.set(key.key, outcome.reason);
      return;
    }
    if (lastFailure.delete(key.key)) log.info({ repo: key.name }, 'polling check works again');
    const decisions = decidePoll(claim.seen, outcome.remote, repo.environments);
    if (decisions.some((d) => d.kind === 'deploy')) await deps.deploy(decisions);
    const recorded = await recordHeads(deps.db, key, deps.holder, claim.seen, headsAfter(claim.seen, outcome.remote));
    if (!recorded) log.info({ repo: key.name }, 'another check recorded the heads first');
  }

  function schedule(repo: PolledRepository, key: PollKey, ms: number): void {
    if (stopped) return;
    timers.set(
      key.key,
      setTimeout(() => {
        const tick = check(repo, key)
          .catch((error: unknown) => log.warn({ err: error, repo: key.name }, 'polling check failed'))
          .finally(() => {
            running.delete(tick);
            schedule(repo, key, jittered(repo.intervalMs, random()));
          });
        running.add(tick);
      }, ms),
    );
  }

  return {
    /** The first check of each repository at once: it remembers the heads, or sees what moved while Hoist was away. */
    start(): void {
      if (!stopped) return;
      stopped = false;
      for (const repo of deps.repositories) schedule(repo, pollKey(repo.repo), 0);
    },
    /** Stops checking, waits for checks under way, and lets go of the leases held (another process takes over at once). */
    async stop(): Promise<void> {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...running]);
      for (const repo of deps.repositories) {
        const key = pollKey(repo.repo);
        if (held.has(key.key)) await releasePoll(deps.db, key, deps.holder).catch((error: unknown) => log.warn({ err: error, repo: key.name }, 'could not let go of the polling'));
      }
      held.clear();
    },
  };
}

export type GitPoller = ReturnType<typeof createGitPoller>;
