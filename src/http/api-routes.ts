import { Hono } from 'hono';
import type { Deployment } from '../domain/deployment.ts';
import type { HoistApi, Refusal } from '../service/api.ts';
import type { EnvironmentView } from '../service/views.ts';

const STATUS_OF: Record<Refusal['code'], 400 | 403 | 404 | 409 | 501> = {
  UNKNOWN_APP: 404,
  UNKNOWN_ENVIRONMENT: 404,
  UNKNOWN_SERVICE: 404,
  NOT_FOUND: 404,
  BAD_REF: 400,
  REF_NOT_FOUND: 400,
  NOT_ALLOWED: 409,
  CHANNEL_NOT_ALLOWED: 403,
  NOT_SUPPORTED: 501,
};

export function deploymentJson(d: Deployment) {
  return {
    id: d.id,
    app: d.app,
    env: d.env,
    action: d.action,
    status: d.status,
    reason: d.reason,
    ref: d.ref,
    sha: d.sha,
    requestedBy: { id: d.requestedBy, name: d.requestedByName },
    trigger: d.trigger,
    requestedAt: d.requestedAt.toISOString(),
    startedAt: d.startedAt?.toISOString() ?? null,
    finishedAt: d.finishedAt?.toISOString() ?? null,
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
    queue: view.queue,
  };
}

export function apiRoutes(api: HoistApi): Hono {
  const app = new Hono();

  app.get('/deployments/:id', async (c) => {
    const raw = c.req.param('id');
    const id = Number(raw.replace(/^#/, ''));
    if (!Number.isInteger(id) || id <= 0) {
      return c.json({ error: { code: 'BAD_REQUEST', message: `"${raw}" is not a deployment number; use a positive integer such as /api/v1/deployments/12` } }, 400);
    }
    const d = await api.getDeployment(id);
    if (!d) return c.json({ error: { code: 'NOT_FOUND', message: `no deployment #${id}` } }, 404);
    return c.json(deploymentJson(d));
  });

  app.get('/apps/:app/environments/:env', async (c) => {
    const result = await api.environments(c.req.param('app'), c.req.param('env'));
    if (!Array.isArray(result)) return c.json({ error: { code: result.code, message: result.reason } }, STATUS_OF[result.code]);
    const view = result[0];
    if (!view) return c.json({ error: { code: 'NOT_FOUND', message: 'no such environment' } }, 404);
    return c.json(environmentJson(view));
  });

  app.get('/apps/:app/environments', async (c) => {
    const result = await api.environments(c.req.param('app'), null);
    if (!Array.isArray(result)) return c.json({ error: { code: result.code, message: result.reason } }, STATUS_OF[result.code]);
    return c.json({ items: result.map(environmentJson) });
  });

  return app;
}
