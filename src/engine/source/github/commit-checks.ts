import type { GitHubRepo } from '../../../config/hoist-config.ts';
import { commitChecks } from '../../../domain/checks.ts';
import type { ChecksReading, CommitChecks } from '../../ports.ts';
import type { GitHubClient } from './client.ts';

/** The most statuses and check runs read of one commit (GitHub pages them by 100). */
const MAX_PAGES = 5;

/**
 * A commit's CI as GitHub reports it: "Get the combined status for a specific reference" (the
 * newest status of each context) and "List check runs for a Git reference" (the latest runs).
 * Any failure to ask — no credentials, GitHub unreachable, a rate limit past its wait — is a
 * reading that failed, which the caller counts as pending: a deploy never goes ahead because
 * GitHub could not be asked.
 */
export function createCommitChecks(github: GitHubClient | null): CommitChecks {
  return {
    async read(repo: GitHubRepo, sha: string): Promise<ChecksReading> {
      if (github === null) return { ok: false, reason: 'Hoist has no GitHub credentials (GITHUB_TOKEN, or the GitHub App) to read CI checks with' };
      try {
        const octokit = await github.forRepo(repo);
        const where = { owner: repo.owner, repo: repo.repo, ref: sha, per_page: 100 };
        const statuses = [];
        for (let page = 1; page <= MAX_PAGES; page++) {
          const { data } = await octokit.rest.repos.getCombinedStatusForRef({ ...where, page });
          statuses.push(...data.statuses);
          if (data.statuses.length < 100) break;
        }
        const runs = [];
        for (let page = 1; page <= MAX_PAGES; page++) {
          const { data } = await octokit.rest.checks.listForRef({ ...where, filter: 'latest', page });
          runs.push(...data.check_runs);
          if (data.check_runs.length < 100) break;
        }
        return { ok: true, checks: commitChecks(statuses, runs) };
      } catch (error) {
        const status = (error as { status?: unknown }).status;
        const why = error instanceof Error ? error.message : String(error);
        return { ok: false, reason: `GitHub could not be asked for the checks of ${sha.slice(0, 7)} in ${repo.owner}/${repo.repo}${typeof status === 'number' ? ` (HTTP ${status})` : ''}: ${why}` };
      }
    },
  };
}
