import { CHANGELOG_COMMITS, commitTitle, type Changelog, type ChangelogCommit } from '../../../domain/changelog.ts';
import type { GitHubRepo } from '../../../config/hoist-config.ts';
import type { GitHubApi } from './octokit.ts';

/**
 * What a deploy from `from` to `to` changes, as GitHub's compare tells it: one page of the
 * first CHANGELOG_COMMITS commits with the counts, then the pull request each one belongs to.
 */
export async function githubChangelog(octokit: GitHubApi, repo: GitHubRepo, from: string, to: string): Promise<Changelog> {
  const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ owner: repo.owner, repo: repo.repo, basehead: `${from}...${to}`, per_page: CHANGELOG_COMMITS, page: 1 });
  const commits: ChangelogCommit[] = [];
  for (const c of data.commits.slice(0, CHANGELOG_COMMITS)) {
    const pulls = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ owner: repo.owner, repo: repo.repo, commit_sha: c.sha, per_page: 1 });
    const pull = pulls.data[0];
    commits.push({
      sha: c.sha,
      title: commitTitle(c.commit.message),
      author: c.author?.login ?? c.commit.author?.name ?? null,
      pull: pull === undefined ? null : { number: pull.number, url: pull.html_url },
    });
  }
  return { from, to, ahead: data.ahead_by, behind: data.behind_by, commits, compareUrl: data.html_url };
}
