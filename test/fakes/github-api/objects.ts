import type { GitCommit } from './git.ts';
import type { FakeRepo, FakeUser } from './state.ts';

/** What every object's URLs are built from: the fake's API URL, and GitHub's web address for `html_url`. */
export interface Urls {
  api: string;
  web: string;
}

export function userObject(user: FakeUser, urls: Urls) {
  return {
    login: user.login,
    id: user.id,
    node_id: Buffer.from(`04:User${user.id}`).toString('base64'),
    avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
    gravatar_id: '',
    url: `${urls.api}/users/${user.login}`,
    html_url: `${urls.web}/${user.login}`,
    followers_url: `${urls.api}/users/${user.login}/followers`,
    following_url: `${urls.api}/users/${user.login}/following{/other_user}`,
    gists_url: `${urls.api}/users/${user.login}/gists{/gist_id}`,
    starred_url: `${urls.api}/users/${user.login}/starred{/owner}{/repo}`,
    subscriptions_url: `${urls.api}/users/${user.login}/subscriptions`,
    organizations_url: `${urls.api}/users/${user.login}/orgs`,
    repos_url: `${urls.api}/users/${user.login}/repos`,
    events_url: `${urls.api}/users/${user.login}/events{/privacy}`,
    received_events_url: `${urls.api}/users/${user.login}/received_events`,
    type: user.type,
    site_admin: false,
  };
}

export function repoObject(repo: FakeRepo, owner: FakeUser, urls: Urls) {
  const full = `${repo.owner}/${repo.name}`;
  return {
    id: repo.id,
    node_id: Buffer.from(`010:Repository${repo.id}`).toString('base64'),
    name: repo.name,
    full_name: full,
    private: repo.private,
    owner: userObject(owner, urls),
    html_url: `${urls.web}/${full}`,
    url: `${urls.api}/repos/${full}`,
    deployments_url: `${urls.api}/repos/${full}/deployments`,
    compare_url: `${urls.api}/repos/${full}/compare/{base}...{head}`,
    default_branch: repo.git.defaultBranch(),
    visibility: repo.private ? 'private' : 'public',
  };
}

/** A commit as the REST API shows it; `author` / `committer` are GitHub accounts matched by email (null when none is). */
export function commitObject(repo: FakeRepo, commit: GitCommit, users: Map<string, FakeUser>, urls: Urls) {
  const full = `${repo.owner}/${repo.name}`;
  const account = (email: string) => {
    const user = users.get(email.toLowerCase());
    return user === undefined ? null : userObject(user, urls);
  };
  return {
    url: `${urls.api}/repos/${full}/commits/${commit.sha}`,
    sha: commit.sha,
    node_id: Buffer.from(`06:Commit${repo.id}:${commit.sha}`).toString('base64'),
    html_url: `${urls.web}/${full}/commit/${commit.sha}`,
    comments_url: `${urls.api}/repos/${full}/commits/${commit.sha}/comments`,
    commit: {
      url: `${urls.api}/repos/${full}/git/commits/${commit.sha}`,
      author: commit.author,
      committer: commit.committer,
      message: commit.message,
      tree: { url: `${urls.api}/repos/${full}/git/trees/${commit.sha}`, sha: commit.sha },
      comment_count: 0,
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    },
    author: account(commit.author.email),
    committer: account(commit.committer.email),
    parents: commit.parents.map((sha) => ({ url: `${urls.api}/repos/${full}/commits/${sha}`, sha, html_url: `${urls.web}/${full}/commit/${sha}` })),
  };
}
