/** What a deploy changes: the commits between what runs and what it brings (SPEC §5, the card). */

/** How many commits a changelog lists; the rest are counted ("+N more") and linked. */
export const CHANGELOG_COMMITS = 10;

export interface ChangelogCommit {
  sha: string;
  /** The first line of the commit message. */
  title: string;
  /** The GitHub login where GitHub links the commit to an account, else the git author's name. */
  author: string | null;
  /** The pull request GitHub links the commit to. */
  pull: { number: number; url: string } | null;
}

/**
 * `ahead`: commits the deploy brings that do not run now; `behind`: commits that run now and
 * that the deploy takes away (a rollback, or a diverged history). `commits`: the first of
 * the ahead ones, oldest first; `compareUrl`: where all of them can be read (GitHub only).
 */
export interface Changelog {
  from: string;
  to: string;
  ahead: number;
  behind: number;
  commits: ChangelogCommit[];
  compareUrl: string | null;
}

export type ChangelogDirection = 'identical' | 'ahead' | 'behind' | 'diverged';

export function changelogDirection(c: Pick<Changelog, 'ahead' | 'behind'>): ChangelogDirection {
  if (c.ahead === 0 && c.behind === 0) return 'identical';
  if (c.behind === 0) return 'ahead';
  return c.ahead === 0 ? 'behind' : 'diverged';
}

/** A commit message's first line. */
export function commitTitle(message: string): string {
  return (message.split('\n', 1)[0] ?? '').trim();
}

/** Whether a deploy of `sha` can have a changelog at all: only a commit's can (an image tag's cannot). */
export function mayHaveChangelog(sha: string | null): sha is string {
  return sha !== null && /^[0-9a-f]{40}$/.test(sha);
}

/**
 * What a deploy's changelog compares: the version that runs now of the first built service
 * that has one and differs from the deploy's SHA; null when nothing is known to run (a first
 * deploy) or it is the same commit.
 */
export function changelogBase(sha: string | null, services: readonly { version: string | null; previousVersion: string | null }[]): { from: string; to: string } | null {
  if (!mayHaveChangelog(sha)) return null;
  const from = services.map((s) => s.previousVersion).find((v): v is string => v !== null && /^[0-9a-f]{40}$/.test(v));
  return from === undefined || from === sha ? null : { from, to: sha };
}
