import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { HoistService } from '../service/contract.ts';
import type { EnvironmentView } from '../service/views.ts';
import { guard, mayTouch } from './api-access.ts';
import { errorBody, errorResponses, refused } from './api-errors.ts';
import { environmentJson, lockHistoryJson, lockJson } from './api-json.ts';
import { AppsSchema, EnvironmentSchema, LockStateSchema } from './api-schemas.ts';
import type { ApiEnv } from './auth.ts';

const name = (what: string, example: string) => z.string().min(1).openapi({ param: { name: what, in: 'path' }, example });
export const appParams = z.object({ app: name('app', 'shop') });
export const environmentParams = z.object({ app: name('app', 'shop'), env: name('env', 'staging') });

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

const apps = createRoute({
  method: 'get',
  path: '/apps',
  summary: 'Every app with its environments’ aggregate status',
  responses: { 200: json(AppsSchema, 'The apps the token may read.'), ...errorResponses() },
});

const environments = createRoute({
  method: 'get',
  path: '/apps/{app}/environments',
  summary: 'An app’s environments with their services, queue and lock',
  request: { params: appParams },
  responses: { 200: json(z.object({ items: z.array(EnvironmentSchema) }), 'Its environments.'), ...errorResponses() },
});

const environment = createRoute({
  method: 'get',
  path: '/apps/{app}/environments/{env}',
  summary: 'One environment: aggregate and per-service status, current versions, queue and lock',
  request: { params: environmentParams },
  responses: { 200: json(EnvironmentSchema, 'The environment.'), ...errorResponses() },
});

const lockState = createRoute({
  method: 'get',
  path: '/apps/{app}/environments/{env}/lock',
  summary: 'An environment’s lock, if any, and its recent lock history',
  request: { params: environmentParams },
  responses: { 200: json(LockStateSchema, 'The lock (null: none) and history, newest first.'), ...errorResponses() },
});

/** How many deployments wait or run in the environment. */
const queued = (view: EnvironmentView) => view.queue.length;

/** The routes that read apps and environments (scope `read`). */
export function environmentReadRoutes(api: HoistService): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>();

  app.openapi(apps, async (c) => {
    const lacking = guard(c, 'read');
    if (lacking) return lacking;
    const views = await api.environments(null, null);
    if (!Array.isArray(views)) return refused(c, views);
    const items = api
      .catalog()
      .apps.filter((a) => mayTouch(c, 'read', { app: a.name }))
      .map((a) => ({
        name: a.name,
        environments: views
          .filter((v) => v.app === a.name && mayTouch(c, 'read', { app: v.app, env: v.env }))
          .map((v) => ({ name: v.env, status: v.status, lock: lockJson(v.lock), queued: queued(v) })),
      }));
    return c.json({ items }, 200);
  });

  app.openapi(environments, async (c) => {
    const { app: appName } = c.req.valid('param');
    const lacking = guard(c, 'read', { app: appName });
    if (lacking) return lacking;
    const result = await api.environments(appName, null);
    if (!Array.isArray(result)) return refused(c, result);
    return c.json({ items: result.filter((v) => mayTouch(c, 'read', { app: v.app, env: v.env })).map(environmentJson) }, 200);
  });

  app.openapi(environment, async (c) => {
    const { app: appName, env } = c.req.valid('param');
    const lacking = guard(c, 'read', { app: appName, env });
    if (lacking) return lacking;
    const result = await api.environments(appName, env);
    if (!Array.isArray(result)) return refused(c, result);
    const view = result[0];
    if (!view) return c.json(errorBody('NOT_FOUND', 'no such environment'), 404);
    return c.json(environmentJson(view), 200);
  });

  app.openapi(lockState, async (c) => {
    const { app: appName, env } = c.req.valid('param');
    const lacking = guard(c, 'read', { app: appName, env });
    if (lacking) return lacking;
    const result = await api.environmentLock(appName, env);
    if (!result.ok) return refused(c, result);
    return c.json({ lock: lockJson(result.lock), history: result.history.map(lockHistoryJson) }, 200);
  });

  return app;
}
