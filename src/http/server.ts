import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { redactLines, redactValues } from '../domain/redact.ts';
import type { HoistService } from '../service/contract.ts';
import { apiRoutes } from './api-routes.ts';
import { requireToken, type ApiEnv, type Authenticate } from './auth.ts';
import { eventRoutes, type EventRoutesDeps } from './event-stream.ts';
import { refuseOtherMethods } from './method-not-allowed.ts';

export interface HttpDeps {
  api: HoistService;
  /** Named readiness checks (Postgres, Redis); each rejects when its peer is unreachable. */
  readiness: Record<string, () => Promise<unknown>>;
  /** Extra handlers mounted before the API (e.g. the chat edge at /slack/events). */
  mounts?: Record<string, (req: IncomingMessage, res: ServerResponse) => void>;
  logger: Logger;
  /** Checks the bearer token every `/api/v1` route but the OpenAPI document needs. */
  authenticate: Authenticate;
  /** The live event stream (`/api/v1/events`); absent, the route is not served. */
  events?: EventRoutesDeps;
}

/** What anyone may read without a token: the API's description. */
const PUBLIC_API = new Set(['/api/v1/openapi.json']);

export function createHttpApp(deps: HttpDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  // Before the masking below: a refused token's answer quotes the header to send, and holds nothing else.
  const tokenRequired = requireToken(deps.authenticate);
  app.use('/api/v1/*', (c, next) => ((c.req.method === 'GET' || c.req.method === 'HEAD') && PUBLIC_API.has(c.req.path) ? next() : tokenRequired(c, next)));
  // Every whole answer passes here: a reason, log line or setting quoting a credential is masked
  // once for all routes (a followed log, streamed, masks its own lines).
  app.use(async (c, next) => {
    await next();
    const type = c.res.headers.get('content-type') ?? '';
    // A stream of events never ends: it redacts each message itself.
    if (type.startsWith('text/event-stream')) return;
    const json = type.startsWith('application/json');
    if (!json && !type.startsWith('text/')) return;
    const body = json ? JSON.stringify(redactValues(await c.res.json())) : redactLines((await c.res.text()).split('\n')).join('\n');
    const headers = new Headers(c.res.headers);
    headers.delete('content-length');
    c.res = new Response(body, { status: c.res.status, headers });
  });
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
  if (deps.events) app.route('/api/v1', eventRoutes(deps.events));
  app.route('/api/v1', apiRoutes(deps.api));
  refuseOtherMethods(app);
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}; see /api/v1` } }, 404));
  app.onError((error, c) => {
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
