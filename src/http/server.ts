import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import type { HoistService } from '../service/contract.ts';
import { openApiDocument } from './api-document.ts';
import { httpExceptionBody } from './api-errors.ts';
import { apiRoutes } from './api-routes.ts';
import { requireToken, type ApiEnv, type Authenticate } from './auth.ts';
import { dashboardRoutes, type DashboardDeps } from './dashboard-routes.ts';
import { eventRoutes, type EventRoutesDeps } from './event-stream.ts';
import { maskAnswers } from './mask-answers.ts';
import { refuseOtherMethods } from './method-not-allowed.ts';
import { tokenRoutes, type TokenRouteDeps } from './token-routes.ts';

export interface HttpDeps {
  api: HoistService;
  /** Named readiness checks (Postgres, Redis); each rejects when its peer is unreachable. */
  readiness: Record<string, () => Promise<unknown>>;
  /** Extra handlers mounted before the API (e.g. the chat edge at /slack/events). */
  mounts?: Record<string, (req: IncomingMessage, res: ServerResponse) => void>;
  logger: Logger;
  /** Checks the bearer token every `/api/v1` route but the OpenAPI document needs. */
  authenticate: Authenticate;
  /** The token routes (`/api/v1/tokens`, admin scope); absent: not served. */
  tokens?: TokenRouteDeps;
  /** More routes under /api/v1 (tokens, the event stream), written with `createRoute` so that the document describes them. */
  apiGroups?: readonly OpenAPIHono<ApiEnv>[];
  /** The live event stream (`/api/v1/events`); absent, the route is not served. */
  events?: EventRoutesDeps;
  /** The read-only dashboard (`/dashboard`) and its session cookie, which GETs under /api/v1 accept; absent, neither is served. */
  dashboard?: DashboardDeps;
}

/** What anyone may read without a token: the API's description. */
const PUBLIC_API = new Set(['/api/v1/openapi.json']);

const documentRoute = createRoute({
  method: 'get',
  path: '/api/v1/openapi.json',
  summary: 'This document (OpenAPI 3.1); no token needed',
  security: [],
  responses: { 200: { description: 'The OpenAPI document of /api/v1.', content: { 'application/json': { schema: z.object({ openapi: z.string() }).passthrough() } } } },
});

export function createHttpApp(deps: HttpDeps): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>();
  // Before the masking below: a refused token's answer quotes the header to send, and holds nothing else.
  const tokenRequired = requireToken(deps.authenticate, deps.dashboard?.sessions.resume);
  app.use('/api/v1/*', (c, next) => ((c.req.method === 'GET' || c.req.method === 'HEAD') && PUBLIC_API.has(c.req.path) ? next() : tokenRequired(c, next)));
  // Before the masking below: the dashboard's pages and scripts come from the package, hold no
  // data (its scripts read the API, which is masked), and masking would rewrite their code.
  if (deps.dashboard) app.route('/', dashboardRoutes(deps.dashboard));
  app.use(maskAnswers());
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const results = await Promise.all(
      Object.entries(deps.readiness).map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2_000);
          return [name, 'ok'] as const;
        } catch (error) {
          return [name, error instanceof Error ? error.message : String(error)] as const;
        }
      }),
    );
    const ready = results.every(([, r]) => r === 'ok');
    return c.json({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) }, ready ? 200 : 503);
  });
  // Public (PUBLIC_API): a client reads it before it has a token.
  const document = openApiDocument(app);
  app.openapi(documentRoute, (c) => c.json(document() as { openapi: string }, 200));
  const groups = [
    ...(deps.apiGroups ?? []),
    ...(deps.tokens ? [tokenRoutes(deps.tokens)] : []),
    ...(deps.events ? [eventRoutes({ logger: deps.logger, ...deps.events })] : []),
  ];
  app.route('/api/v1', apiRoutes(deps.api, groups));
  refuseOtherMethods(app);
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}; see /api/v1` } }, 404));
  app.onError((error, c) => {
    // What Hono refuses itself (a body that is not JSON): the client's mistake, in the API's words.
    if (error instanceof HTTPException && error.status < 500) {
      const { status, body } = httpExceptionBody(error);
      return c.json(body, status);
    }
    deps.logger.error({ err: error, path: c.req.path }, 'request failed');
    return c.json({ error: { code: 'INTERNAL', message: 'internal error' } }, 500);
  });
  return app;
}

export function createHttpServer(deps: HttpDeps): Server {
  const honoListener = getRequestListener(createHttpApp(deps).fetch);
  const mounts = deps.mounts ?? {};
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const mounted = mounts[path];
    if (mounted) {
      mounted(req, res);
      return;
    }
    void honoListener(req, res);
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
