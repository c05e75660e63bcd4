import { OpenAPIHono } from '@hono/zod-openapi';
import type { HoistService } from '../service/contract.ts';
import { actionRoutes } from './action-routes.ts';
import { validationHook } from './api-errors.ts';
import type { ApiEnv } from './auth.ts';
import { decisionRoutes } from './decision-routes.ts';
import { deploymentReadRoutes } from './deployment-routes.ts';
import { environmentReadRoutes } from './environment-routes.ts';
import { serviceReadRoutes } from './service-routes.ts';

/**
 * The routes under /api/v1. Each group is an OpenAPIHono of its own, written with
 * `createRoute` and zod schemas; `route()` merges a group's definitions into the
 * document, so a group added here (or in `extra`) is described without more ado.
 * A request its schemas refuse is answered by `validationHook`: 400 naming the field.
 */
export function apiRoutes(api: HoistService, extra: readonly OpenAPIHono<ApiEnv>[] = []): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  for (const group of [environmentReadRoutes(api), serviceReadRoutes(api), deploymentReadRoutes(api), actionRoutes(api), decisionRoutes(api), ...extra]) app.route('/', group);
  return app;
}
