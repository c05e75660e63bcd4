import { Hono } from 'hono';
import type { Context } from 'hono';
import type { Deployment, DeploymentSummary } from '../domain/deployment.ts';
import type { EnvironmentLock, LockHistoryEntry } from '../domain/lock.ts';
import type { HoistService, Refusal } from '../service/contract.ts';
import type { EnvironmentView } from '../service/views.ts';
import { denied, type ApiEnv } from './auth.ts';
import { followLog } from './log-follow.ts';
import { deploymentNumber, queryNumber } from './numbers.ts';
import { deniedDeployment, deniedList, mayRead } from './token-access.ts';

const STATUS_OF: Record<Refusal['code'], 400 | 403 | 404 | 409 | 501 | 503> = {
  UNKNOWN_APP: 404,
  UNKNOWN_ENVIRONMENT: 404,
  UNKNOWN_SERVICE: 404,
  NOT_FOUND: 404,
  BAD_REF: 400,
  REF_NOT_FOUND: 400,
  NOT_ALLOWED: 409,
  CHANNEL_NOT_ALLOWED: 403,
  NOT_SUPPORTED: 501,
  LOCKED: 409,
  FORBIDDEN: 403,
  BAD_REQUEST: 400,
  UNAVAILABLE: 503,
  NOT_APPROVER: 403,
  OWN_DEPLOYMENT: 403,
  DECIDED: 409,
};

const refused = (c: Context, refusal: Refusal) => c.json({ error: { code: refusal.code, message: refusal.reason } }, STATUS_OF[refusal.code]);
const badRequest = (c: Context, message: string) => c.json({ error: { code: 'BAD_REQUEST', message } }, 400);

export function lockJson(lock: EnvironmentLock | null) {
  if (lock === null) return null;
  return {
    kind: lock.kind,
    owner: lock.owner,
    reason: lock.reason,
    since: lock.since.toISOString(),
    expiresAt: lock.expiresAt?.toISOString() ?? null,
  };
}

function lockHistoryJson(entry: LockHistoryEntry) {
  return { action: entry.action, kind: entry.kind, owner: entry.owner, by: entry.actor, reason: entry.reason, at: entry.at.toISOString() };
}

export function deploymentSummaryJson(d: DeploymentSummary) {
  return {
    id: d.id,
    app: d.app,
    env: d.env,
    action: d.action,
    status: d.status,
    reason: d.reason,
    ref: d.ref,
    sha: d.sha,
    requestedBy: d.requestedBy,
    trigger: d.trigger,
    requestedAt: d.requestedAt.toISOString(),
    startedAt: d.startedAt?.toISOString() ?? null,
    finishedAt: d.finishedAt?.toISOString() ?? null,
  };
}

const LIST_FILTERS = ['app', 'env', 'status', 'limit', 'cursor'];
const LOG_PARAMETERS = ['tail', 'service', 'after', 'limit', 'follow'];

export function deploymentJson(d: Deployment) {
  return {
    ...deploymentSummaryJson(d),
    services: d.services.map((s) => ({
      name: s.name,
      type: s.type,
      status: s.status,
      version: s.version,
      previousVersion: s.previousVersion,
      image: s.image,
      reason: s.reason,
    })),
  };
}

export function environmentJson(view: EnvironmentView) {
  return {
    app: view.app,
    env: view.env,
    target: view.target,
    status: view.status,
    services: view.services.map((s) => ({
      name: s.name,
      type: s.type,
      status: s.status,
      version: s.version,
      image: s.image,
      deploymentId: s.deploymentId,
      updatedAt: s.updatedAt?.toISOString() ?? null,
    })),
    queue: view.queue.map((q) => ({ id: q.id, action: q.action, status: q.status, position: q.position, requestedBy: q.requestedBy })),
    lock: lockJson(view.lock),
  };
}

export function apiRoutes(api: HoistService): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  app.get('/deployments', async (c) => {
    const query = c.req.query();
    const unknown = Object.keys(query).filter((k) => !LIST_FILTERS.includes(k));
    if (unknown.length > 0) return badRequest(c, `unknown filter ${unknown.map((k) => `"${k}"`).join(', ')}; filters: ${LIST_FILTERS.join(', ')}`);
    const no = deniedList(c, { app: query.app || null, env: query.env || null });
    if (no) return no;
    const page = await api.listDeployments({
      app: query.app || null,
      env: query.env || null,
      status: query.status ? query.status.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean) : null,
      limit: queryNumber(query.limit),
      cursor: query.cursor || null,
    });
    // A filter naming an unknown app or environment is a bad parameter: the list itself exists.
    if (!page.ok && page.code === 'UNKNOWN_APP') return badRequest(c, `app: ${page.reason}`);
    if (!page.ok && page.code === 'UNKNOWN_ENVIRONMENT') return badRequest(c, `env: ${page.reason}`);
    if (!page.ok) return refused(c, page);
    return c.json({ items: page.items.map(deploymentSummaryJson), nextCursor: page.nextCursor });
  });

  app.get('/deployments/:id/manifests', async (c) => {
    const id = deploymentNumber(c.req.param('id'), '/api/v1/deployments/12/manifests');
    if (!id.ok) return badRequest(c, id.message);
    const no = await deniedDeployment(c, api, id.id);
    if (no) return no;
    const result = await api.deploymentManifests(id.id);
    if (!result.ok) return refused(c, result);
    return c.json({ deploymentId: result.deploymentId, app: result.app, env: result.env, set: result.set });
  });

  app.get('/deployments/:id/diff', async (c) => {
    const id = deploymentNumber(c.req.param('id'), '/api/v1/deployments/12/diff?against=11');
    if (!id.ok) return badRequest(c, id.message);
    const example = `/api/v1/deployments/${id.id}/diff?against=${Math.max(1, id.id - 1)}`;
    const raw = c.req.query('against');
    if (raw === undefined) return badRequest(c, `give the deployment to compare with: ?against=<deployment number>, such as ${example}`);
    const against = deploymentNumber(raw, example);
    if (!against.ok) return badRequest(c, `against: ${against.message}`);
    const no = (await deniedDeployment(c, api, id.id)) ?? (await deniedDeployment(c, api, against.id));
    if (no) return no;
    const format = c.req.query('format') ?? 'json';
    if (format !== 'json' && format !== 'unified') return badRequest(c, 'format: "json" (default) or "unified" (the text diff alone)');
    const result = await api.diffDeployments(id.id, against.id);
    if (!result.ok) return refused(c, result);
    if (format === 'unified') return c.text(result.unified, 200, { 'content-type': 'text/x-diff; charset=utf-8' });
    return c.json({ from: result.from, to: result.to, changes: result.changes, unified: result.unified });
  });

  app.get('/deployments/:id/logs', async (c) => {
    const id = deploymentNumber(c.req.param('id'), '/api/v1/deployments/12/logs');
    if (!id.ok) return badRequest(c, id.message);
    const query = c.req.query();
    const unknown = Object.keys(query).filter((k) => !LOG_PARAMETERS.includes(k));
    if (unknown.length > 0) return badRequest(c, `unknown parameter ${unknown.map((k) => `"${k}"`).join(', ')}; parameters: ${LOG_PARAMETERS.join(', ')}`);
    const no = await deniedDeployment(c, api, id.id);
    if (no) return no;
    const logQuery = { tail: queryNumber(query.tail), service: query.service || null, after: queryNumber(query.after), limit: queryNumber(query.limit) };
    if (query.follow !== undefined) {
      if (query.follow !== '1' && query.follow !== 'true') return badRequest(c, `follow: expected 1 (or true), not "${query.follow}"`);
      return followLog(c, api, id.id, logQuery, (refusal) =>
        refusal.code === 'UNKNOWN_SERVICE' ? badRequest(c, `service: ${refusal.reason}`) : refused(c, refusal),
      );
    }
    const result = await api.deploymentLogs(id.id, logQuery);
    // A filter naming no service of the deployment is a bad parameter, as an unknown app is in the list's filters.
    if (!result.ok && result.code === 'UNKNOWN_SERVICE') return badRequest(c, `service: ${result.reason}`);
    if (!result.ok) return refused(c, result);
    return c.json({
      deploymentId: result.deploymentId,
      lines: result.lines.map((l) => ({ id: l.id, service: l.service, line: l.line, at: l.at.toISOString() })),
      nextAfter: result.nextAfter,
    });
  });

  app.get('/deployments/:id/approvals', async (c) => {
    const id = deploymentNumber(c.req.param('id'), '/api/v1/deployments/12/approvals');
    if (!id.ok) return badRequest(c, id.message);
    const no = await deniedDeployment(c, api, id.id);
    if (no) return no;
    const result = await api.approvals(id.id);
    if (!result.ok) return refused(c, result);
    return c.json({
      deploymentId: result.deploymentId,
      status: result.status,
      required: result.required,
      approved: result.approved,
      selfApproval: result.selfApproval,
      expiresAt: result.expiresAt?.toISOString() ?? null,
      rules: result.rules.map((r) => ({ approvers: r.approvers, count: r.count, voters: r.voters, met: r.met })),
      history: result.history.map((h) => ({ ...h, at: h.at.toISOString() })),
    });
  });

  app.get('/apps/:app/environments/:env/lock', async (c) => {
    const no = denied(c, 'read', { app: c.req.param('app'), env: c.req.param('env') });
    if (no) return no;
    const result = await api.environmentLock(c.req.param('app'), c.req.param('env'));
    if (!result.ok) return refused(c, result);
    return c.json({ lock: lockJson(result.lock), history: result.history.map(lockHistoryJson) });
  });

  app.get('/deployments/:id', async (c) => {
    const id = deploymentNumber(c.req.param('id'), '/api/v1/deployments/12');
    if (!id.ok) return badRequest(c, id.message);
    const d = await api.getDeployment(id.id);
    if (!d) return c.json({ error: { code: 'NOT_FOUND', message: `no deployment #${id.id}` } }, 404);
    const no = denied(c, 'read', { app: d.app, env: d.env });
    if (no) return no;
    return c.json(deploymentJson(d));
  });

  app.get('/apps/:app/environments/:env', async (c) => {
    const no = denied(c, 'read', { app: c.req.param('app'), env: c.req.param('env') });
    if (no) return no;
    const result = await api.environments(c.req.param('app'), c.req.param('env'));
    if (!Array.isArray(result)) return c.json({ error: { code: result.code, message: result.reason } }, STATUS_OF[result.code]);
    const view = result[0];
    if (!view) return c.json({ error: { code: 'NOT_FOUND', message: 'no such environment' } }, 404);
    return c.json(environmentJson(view));
  });

  app.get('/apps/:app/environments', async (c) => {
    const no = denied(c, 'read', { app: c.req.param('app') });
    if (no) return no;
    const result = await api.environments(c.req.param('app'), null);
    if (!Array.isArray(result)) return c.json({ error: { code: result.code, message: result.reason } }, STATUS_OF[result.code]);
    return c.json({ items: result.filter(mayRead(c)).map(environmentJson) });
  });

  return app;
}
