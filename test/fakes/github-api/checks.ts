import { error, paginate, type Answer } from './http.ts';
import type { Urls } from './objects.ts';
import { combinedState, commitStatusObject, latestStatuses, type DeploymentStore } from './deployments.ts';
import type { FakeCheckRun, FakeRepo } from './state.ts';

interface Ctx {
  repo: FakeRepo;
  urls: Urls;
  url: URL;
  store: DeploymentStore;
  checkRuns: FakeCheckRun[];
}

const fullName = (repo: FakeRepo) => `${repo.owner}/${repo.name}`;

/** `GET .../commits/{ref}/status`: the combined state and the newest status of each context. */
export function combinedStatus(ctx: Ctx, ref: string): Answer {
  const sha = ctx.repo.git.resolve(ref);
  if (sha === null) return error(422, `No commit found for SHA: ${ref}`);
  const latest = latestStatuses(ctx.store, fullName(ctx.repo), sha);
  return {
    status: 200,
    body: {
      state: combinedState(latest),
      statuses: latest.map((s) => commitStatusObject(s, ctx.urls)),
      sha,
      total_count: latest.length,
      commit_url: `${ctx.urls.api}/repos/${fullName(ctx.repo)}/commits/${sha}`,
      url: `${ctx.urls.api}/repos/${fullName(ctx.repo)}/commits/${sha}/status`,
    },
  };
}

/** `GET .../commits/{ref}/statuses`: every status, newest first, paged. */
export function listStatuses(ctx: Ctx, ref: string): Answer {
  const sha = ctx.repo.git.resolve(ref);
  if (sha === null) return error(422, `No commit found for SHA: ${ref}`);
  const all = ctx.store.statuses.filter((s) => s.repo === fullName(ctx.repo) && s.sha === sha).reverse();
  const page = paginate(all, ctx.url, ctx.urls.api);
  return { status: 200, headers: page.headers, body: page.items.map((s) => commitStatusObject(s, ctx.urls)) };
}

/** `GET .../commits/{ref}/check-runs`: `{ total_count, check_runs }`, paged, `check_name` and `status` filters. */
export function listCheckRuns(ctx: Ctx, ref: string): Answer {
  const sha = ctx.repo.git.resolve(ref);
  if (sha === null) return error(422, `No commit found for SHA: ${ref}`);
  const q = ctx.url.searchParams;
  const runs = ctx.checkRuns
    .filter((r) => r.repo === fullName(ctx.repo) && r.head_sha === sha)
    .filter((r) => !q.has('check_name') || r.name === q.get('check_name'))
    .filter((r) => !q.has('status') || r.status === q.get('status'));
  const page = paginate(runs, ctx.url, ctx.urls.api);
  return {
    status: 200,
    headers: page.headers,
    body: {
      total_count: runs.length,
      check_runs: page.items.map((r) => {
        const { repo, ...fields } = r;
        return { ...fields, url: `${ctx.urls.api}/repos/${repo}/check-runs/${r.id}`, html_url: `${ctx.urls.web}/${repo}/runs/${r.id}`, node_id: Buffer.from(`08:CheckRun${r.id}`).toString('base64'), external_id: '', details_url: null, output: { title: null, summary: null, text: null, annotations_count: 0 }, pull_requests: [] };
      }),
    },
  };
}
