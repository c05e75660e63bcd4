import { error, paginate, type Answer } from './http.ts';
import { commitObject, repoObject, userObject, type Urls } from './objects.ts';
import type { FakeRepo, FakeUser } from './state.ts';

export interface RepoContext {
  repo: FakeRepo;
  users: Map<string, FakeUser>;
  owner: FakeUser;
  urls: Urls;
  url: URL;
}

const notFound = (): Answer => error(404, 'Not Found');

export function getRepo(ctx: RepoContext): Answer {
  return { status: 200, body: repoObject(ctx.repo, ctx.owner, ctx.urls) };
}

export function getCommit(ctx: RepoContext, ref: string): Answer {
  const sha = ctx.repo.git.resolve(ref);
  const commit = sha === null ? null : ctx.repo.git.commit(sha);
  if (commit === null) return error(422, `No commit found for SHA: ${ref}`);
  return { status: 200, body: { ...commitObject(ctx.repo, commit, ctx.users, ctx.urls), stats: { total: 0, additions: 0, deletions: 0 }, files: [] } };
}

/**
 * `GET /repos/{owner}/{repo}/compare/{base}...{head}`: `ahead_by` / `behind_by` / `status`
 * from the merge base, commits oldest first — up to 250 without paging, else pages of
 * `per_page` with a `Link` header; the changed files on the first page only.
 */
export function compare(ctx: RepoContext, basehead: string): Answer {
  const match = /^(.+?)\.\.\.(.+)$/.exec(basehead);
  if (!match) return notFound();
  const [, baseRef = '', headRef = ''] = match;
  const { git } = ctx.repo;
  const base = git.resolve(baseRef);
  const head = git.resolve(headRef);
  if (base === null || head === null) return notFound();
  const mergeBase = git.mergeBase(base, head);
  if (mergeBase === null) return error(404, `No common ancestor between ${baseRef} and ${headRef}.`);
  const ahead = git.count(base, head);
  const behind = git.count(head, base);
  const status = ahead === 0 && behind === 0 ? 'identical' : behind === 0 ? 'ahead' : ahead === 0 ? 'behind' : 'diverged';
  const all = git.between(mergeBase, head).map((c) => commitObject(ctx.repo, c, ctx.users, ctx.urls));
  const paged = ctx.url.searchParams.has('page') || ctx.url.searchParams.has('per_page');
  const page = paged ? paginate(all, ctx.url, ctx.urls.api) : { items: all.slice(0, 250), headers: {} };
  const first = !paged || Number(ctx.url.searchParams.get('page') ?? 1) <= 1;
  const full = `${ctx.repo.owner}/${ctx.repo.name}`;
  const commitOf = (sha: string) => {
    const commit = git.commit(sha);
    return commit === null ? null : commitObject(ctx.repo, commit, ctx.users, ctx.urls);
  };
  return {
    status: 200,
    headers: page.headers,
    body: {
      url: `${ctx.urls.api}/repos/${full}/compare/${basehead}`,
      html_url: `${ctx.urls.web}/${full}/compare/${basehead}`,
      permalink_url: `${ctx.urls.web}/${full}/compare/${ctx.repo.owner}:${base}...${ctx.repo.owner}:${head}`,
      diff_url: `${ctx.urls.web}/${full}/compare/${basehead}.diff`,
      patch_url: `${ctx.urls.web}/${full}/compare/${basehead}.patch`,
      base_commit: commitOf(base),
      merge_base_commit: commitOf(mergeBase),
      status,
      ahead_by: ahead,
      behind_by: behind,
      total_commits: ahead,
      commits: page.items,
      ...(first ? { files: git.files(mergeBase, head).map((f) => fileObject(ctx, head, f)) } : {}),
    },
  };
}

/** `GET /repos/{owner}/{repo}/commits/{sha}/pulls`: the pull requests a commit belongs to. */
export function pullsOfCommit(ctx: RepoContext, ref: string): Answer {
  const sha = ctx.repo.git.resolve(ref);
  if (sha === null) return error(422, `No commit found for SHA: ${ref}`);
  const full = `${ctx.repo.owner}/${ctx.repo.name}`;
  const pulls = (ctx.repo.pulls.get(sha) ?? []).map((p) => ({
    url: `${ctx.urls.api}/repos/${full}/pulls/${p.number}`,
    id: 1_000_000 + p.number,
    number: p.number,
    state: p.state,
    title: p.title,
    html_url: `${ctx.urls.web}/${full}/pull/${p.number}`,
    user: userObject(ctx.users.get(`login:${p.user}`) ?? { login: p.user, id: 0, type: 'User' }, ctx.urls),
    merged_at: p.merged ? new Date(0).toISOString() : null,
  }));
  const page = paginate(pulls, ctx.url, ctx.urls.api);
  return { status: 200, body: page.items, headers: page.headers };
}

function fileObject(ctx: RepoContext, head: string, f: { filename: string; status: string; additions: number; deletions: number; patch: string }) {
  const full = `${ctx.repo.owner}/${ctx.repo.name}`;
  const path = f.filename.split('/').map(encodeURIComponent).join('/');
  return {
    sha: head,
    filename: f.filename,
    status: f.status,
    additions: f.additions,
    deletions: f.deletions,
    changes: f.additions + f.deletions,
    blob_url: `${ctx.urls.web}/${full}/blob/${head}/${path}`,
    raw_url: `${ctx.urls.web}/${full}/raw/${head}/${path}`,
    contents_url: `${ctx.urls.api}/repos/${full}/contents/${path}?ref=${head}`,
    patch: f.patch,
  };
}
