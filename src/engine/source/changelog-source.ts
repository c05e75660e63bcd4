import type { AppConfig } from '../../config/hoist-config.ts';
import type { Changelog } from '../../domain/changelog.ts';
import { githubChangelog } from './github/changelog.ts';
import type { GitHubClient } from './github/client.ts';
import type { GitSource } from './git-source.ts';

/** `ok: false`: it cannot be told, and asking again will not help (a commit GitHub does not have). A thrown error may pass: ask later. */
export type ChangelogOutcome = { ok: true; changelog: Changelog } | { ok: false; reason: string };

export interface ChangelogSource {
  changelog(app: Pick<AppConfig, 'repo' | 'github'>, from: string, to: string): Promise<ChangelogOutcome>;
}

/** GitHub's compare for a GitHub repository when Hoist has GitHub credentials; the git mirror's log otherwise. */
export function createChangelogSource(deps: { git: GitSource; github: GitHubClient | null }): ChangelogSource {
  return {
    async changelog(app, from, to) {
      if (app.github === null || deps.github === null) return deps.git.changelog(app.repo, from, to);
      const octokit = await deps.github.forRepo(app.github);
      try {
        return { ok: true, changelog: await githubChangelog(octokit, app.github, from, to) };
      } catch (error) {
        const status = (error as { status?: unknown }).status;
        // Not found (a commit that never reached GitHub, a repository gone) will not change by asking again.
        if (status === 404 || status === 422) return { ok: false, reason: `GitHub cannot compare ${from.slice(0, 7)}...${to.slice(0, 7)} of ${app.github.owner}/${app.github.repo}: ${(error as Error).message}` };
        throw error;
      }
    },
  };
}
