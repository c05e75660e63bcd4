import { error, invalid, paginate, type Answer } from './http.ts';
import { userObject, type Urls } from './objects.ts';
import type { CommitState, DeploymentState, FakeCommitStatus, FakeDeployment, FakeRepo, FakeUser } from './state.ts';

export interface DeploymentStore {
  deployments: FakeDeployment[];
  statuses: FakeCommitStatus[];
  nextId(): number;
  now(): string;
}

interface Ctx {
  repo: FakeRepo;
  actor: FakeUser;
  urls: Urls;
  url: URL;
  store: DeploymentStore;
}

const DEPLOYMENT_STATES: readonly DeploymentState[] = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'];
const COMMIT_STATES: readonly CommitState[] = ['error', 'failure', 'pending', 'success'];

const fullName = (repo: FakeRepo) => `${repo.owner}/${repo.name}`;

export function deploymentObject(d: FakeDeployment, urls: Urls) {
  const base = `${urls.api}/repos/${d.repo}/deployments/${d.id}`;
  const { statuses: _statuses, repo, creator, ...fields } = d;
  return { url: base, node_id: Buffer.from(`010:Deployment${d.id}`).toString('base64'), ...fields, creator: userObject(creator, urls), statuses_url: `${base}/statuses`, repository_url: `${urls.api}/repos/${repo}` };
}

function statusObject(d: FakeDeployment, s: FakeDeployment['statuses'][number], urls: Urls) {
  const { creator, ...fields } = s;
  return {
    url: `${urls.api}/repos/${d.repo}/deployments/${d.id}/statuses/${s.id}`,
    node_id: Buffer.from(`016:DeploymentStatus${s.id}`).toString('base64'),
    ...fields,
    creator: userObject(creator, urls),
    deployment_url: `${urls.api}/repos/${d.repo}/deployments/${d.id}`,
    repository_url: `${urls.api}/repos/${d.repo}`,
  };
}

/** The combined state of a commit's statuses, as `GET .../commits/{ref}/status` sums them. */
export function combinedState(statuses: FakeCommitStatus[]): CommitState | 'pending' {
  if (statuses.length === 0) return 'pending';
  if (statuses.some((s) => s.state === 'error' || s.state === 'failure')) return 'failure';
  if (statuses.some((s) => s.state === 'pending')) return 'pending';
  return 'success';
}

/** The newest status of each context on a commit. */
export function latestStatuses(store: DeploymentStore, repo: string, sha: string): FakeCommitStatus[] {
  const latest = new Map<string, FakeCommitStatus>();
  for (const s of store.statuses) if (s.repo === repo && s.sha === sha) latest.set(s.context, s);
  return [...latest.values()];
}

/** `POST /repos/{owner}/{repo}/deployments`. */
export function createDeployment(ctx: Ctx, body: Record<string, unknown>): Answer {
  if (typeof body.ref !== 'string' || body.ref === '') return error(422, 'Invalid request.\n\n"ref" wasn\'t supplied.');
  const sha = ctx.repo.git.resolve(body.ref);
  if (sha === null) return error(422, `No ref found for: ${body.ref}`);
  const environment = body.environment === undefined ? 'production' : body.environment;
  if (typeof environment !== 'string' || environment === '') return invalid('Deployment', 'environment', 'invalid');
  const task = typeof body.task === 'string' ? body.task : 'deploy';
  const repo = fullName(ctx.repo);
  // Unless told otherwise, every status context on the commit must be success.
  const required = Array.isArray(body.required_contexts) ? (body.required_contexts as string[]) : null;
  const latest = latestStatuses(ctx.store, repo, sha);
  const failing = (required ?? latest.map((s) => s.context)).filter((c) => latest.find((s) => s.context === c)?.state !== 'success');
  if (failing.length > 0) {
    return error(409, `Conflict: Commit status checks failed for ${body.ref}.`, { errors: [{ contexts: failing.map((context) => ({ context, state: latest.find((s) => s.context === context)?.state ?? 'missing' })), resource: 'Deployment', field: 'required_contexts', code: 'invalid' }] });
  }
  const at = ctx.store.now();
  const deployment: FakeDeployment = {
    id: ctx.store.nextId(),
    repo,
    sha,
    ref: body.ref,
    task,
    payload: payloadOf(body.payload),
    environment,
    original_environment: environment,
    description: typeof body.description === 'string' ? body.description : null,
    creator: ctx.actor,
    created_at: at,
    updated_at: at,
    transient_environment: body.transient_environment === true,
    production_environment: typeof body.production_environment === 'boolean' ? body.production_environment : environment === 'production',
    statuses: [],
  };
  ctx.store.deployments.push(deployment);
  return { status: 201, body: deploymentObject(deployment, ctx.urls) };
}

export function listDeployments(ctx: Ctx): Answer {
  const q = ctx.url.searchParams;
  const repo = fullName(ctx.repo);
  const matches = ctx.store.deployments
    .filter((d) => d.repo === repo)
    .filter((d) => ['sha', 'ref', 'task', 'environment'].every((k) => !q.has(k) || String(d[k as keyof FakeDeployment]) === q.get(k)))
    .reverse();
  const page = paginate(matches, ctx.url, ctx.urls.api);
  return { status: 200, headers: page.headers, body: page.items.map((d) => deploymentObject(d, ctx.urls)) };
}

function findDeployment(ctx: Ctx, id: string): FakeDeployment | undefined {
  return ctx.store.deployments.find((d) => d.repo === fullName(ctx.repo) && String(d.id) === id);
}

export function getDeployment(ctx: Ctx, id: string): Answer {
  const d = findDeployment(ctx, id);
  return d === undefined ? error(404, 'Not Found') : { status: 200, body: deploymentObject(d, ctx.urls) };
}

/** `POST .../deployments/{id}/statuses`: `state` from the documented list, description up to 140 characters; `auto_inactive` (default true) retires older successful ones of the environment. */
export function createDeploymentStatus(ctx: Ctx, id: string, body: Record<string, unknown>): Answer {
  const d = findDeployment(ctx, id);
  if (d === undefined) return error(404, 'Not Found');
  if (typeof body.state !== 'string' || !DEPLOYMENT_STATES.includes(body.state as DeploymentState)) return invalid('DeploymentStatus', 'state', body.state === undefined ? 'missing_field' : 'invalid');
  const description = typeof body.description === 'string' ? body.description : '';
  if (description.length > 140) return invalid('DeploymentStatus', 'description', 'custom', 'description is too long (maximum is 140 characters)');
  const at = ctx.store.now();
  const environment = typeof body.environment === 'string' ? body.environment : d.environment;
  const logUrl = typeof body.log_url === 'string' ? body.log_url : typeof body.target_url === 'string' ? body.target_url : '';
  const status = {
    id: ctx.store.nextId(),
    state: body.state as DeploymentState,
    description,
    environment,
    target_url: logUrl,
    log_url: logUrl,
    environment_url: typeof body.environment_url === 'string' ? body.environment_url : '',
    creator: ctx.actor,
    created_at: at,
    updated_at: at,
  };
  d.statuses.push(status);
  d.environment = environment;
  d.updated_at = at;
  if (status.state === 'success' && body.auto_inactive !== false) {
    for (const older of ctx.store.deployments) {
      if (older === d || older.repo !== d.repo || older.environment !== d.environment || older.id > d.id) continue;
      if (older.statuses.at(-1)?.state === 'success') older.statuses.push({ ...status, id: ctx.store.nextId(), state: 'inactive', description: '' });
    }
  }
  return { status: 201, body: statusObject(d, status, ctx.urls) };
}

export function listDeploymentStatuses(ctx: Ctx, id: string): Answer {
  const d = findDeployment(ctx, id);
  if (d === undefined) return error(404, 'Not Found');
  const page = paginate([...d.statuses].reverse(), ctx.url, ctx.urls.api);
  return { status: 200, headers: page.headers, body: page.items.map((s) => statusObject(d, s, ctx.urls)) };
}

/** `POST /repos/{owner}/{repo}/statuses/{sha}`: a commit status; a context keeps its newest. */
export function createCommitStatus(ctx: Ctx, sha: string, body: Record<string, unknown>): Answer {
  const full = ctx.repo.git.resolve(sha);
  if (full === null || !/^[0-9a-f]{40}$/.test(sha)) return error(422, `No commit found for SHA: ${sha}`);
  if (typeof body.state !== 'string' || !COMMIT_STATES.includes(body.state as CommitState)) return invalid('Status', 'state', body.state === undefined ? 'missing_field' : 'invalid');
  const at = ctx.store.now();
  const status: FakeCommitStatus = {
    id: ctx.store.nextId(),
    repo: fullName(ctx.repo),
    sha: full,
    state: body.state as CommitState,
    context: typeof body.context === 'string' ? body.context : 'default',
    description: typeof body.description === 'string' ? body.description : null,
    target_url: typeof body.target_url === 'string' ? body.target_url : null,
    creator: ctx.actor,
    created_at: at,
    updated_at: at,
  };
  ctx.store.statuses.push(status);
  return { status: 201, body: commitStatusObject(status, ctx.urls) };
}

export function commitStatusObject(s: FakeCommitStatus, urls: Urls) {
  const { repo, sha: _sha, creator, ...fields } = s;
  return { url: `${urls.api}/repos/${repo}/statuses/${s.sha}`, avatar_url: null, node_id: Buffer.from(`012:StatusContext${s.id}`).toString('base64'), ...fields, creator: userObject(creator, urls) };
}

/** `payload` is "a JSON text field" or an object: JSON text is kept as the object it spells. */
function payloadOf(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? {};
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}
