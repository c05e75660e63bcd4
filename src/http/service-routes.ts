import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { stream } from 'hono/streaming';
import type { AppLogLineView, HoistService } from '../service/contract.ts';
import { guard } from './api-access.ts';
import { badRequest, errorResponses, refused } from './api-errors.ts';
import type { ApiEnv } from './auth.ts';
import { queryNumber } from './numbers.ts';

const LOG_PARAMETERS = ['tail', 'follow'];

const name = (what: string, example: string) => z.string().min(1).openapi({ param: { name: what, in: 'path' }, example });
const serviceParams = z.object({ app: name('app', 'shop'), env: name('env', 'production'), service: name('service', 'api') });
const text = (description: string) => z.string().optional().openapi({ description });

const ReplicaLineSchema = z
  .object({
    replica: z.string().openapi({ description: 'The pod (`pod/container` when it runs several) or the container that wrote it.' }),
    at: z.string().nullable().openapi({ description: 'When the engine received it (ISO 8601), when it says.' }),
    line: z.string(),
  })
  .openapi('ReplicaLogLine');

export const AppLogsSchema = z
  .object({ app: z.string(), env: z.string(), service: z.string(), lines: z.array(ReplicaLineSchema) })
  .openapi('AppLogs');

export const UsageSchema = z
  .object({
    app: z.string(),
    env: z.string(),
    service: z.string(),
    at: z.string().openapi({ description: 'When Hoist asked the target.' }),
    window: z.string().nullable().openapi({ description: 'What the target averaged over (metrics-server’s window, such as `15s`).' }),
    unavailable: z.string().nullable().openapi({ description: 'Why the target cannot measure (`metrics-server not installed: …`); then `replicas` is empty.' }),
    replicas: z.array(
      z.object({
        replica: z.string(),
        cpuCores: z.number().nullable().openapi({ description: 'CPU in cores (0.25 = a quarter of one); null: not measured yet.' }),
        memoryBytes: z.int().nullable(),
        memoryLimitBytes: z.int().nullable().openapi({ description: 'Its memory limit, or the host’s memory on Docker; null: unknown.' }),
      }),
    ),
  })
  .openapi('Usage');

const logs = createRoute({
  method: 'get',
  path: '/apps/{app}/environments/{env}/services/{service}/logs',
  summary: 'What the running service writes: the last lines of each replica (pod or container), or followed',
  request: {
    params: serviceParams,
    query: z.object({
      tail: text('The last N lines of each replica, 1–1000 (default 100); without `follow`, the last N of them all, oldest first.'),
      follow: text('`1`: newline-delimited JSON lines, each replica’s last `tail` lines and then what it writes, kept open until the client leaves or every replica ends (then `{"end":true}`).'),
    }),
  },
  responses: {
    200: {
      description: 'Its replicas’ lines, secrets masked (or, with follow=1, a stream of them).',
      content: { 'application/json': { schema: AppLogsSchema }, 'application/x-ndjson': { schema: z.string() } },
    },
    ...errorResponses(),
  },
});

const usage = createRoute({
  method: 'get',
  path: '/apps/{app}/environments/{env}/services/{service}/usage',
  summary: 'CPU and memory of each replica of the running service now',
  request: { params: serviceParams },
  responses: { 200: { description: 'Each replica’s usage, or why the target cannot measure it.', content: { 'application/json': { schema: UsageSchema } } }, ...errorResponses() },
});

const lineJson = (l: AppLogLineView) => ({ replica: l.replica, at: l.at === null ? null : l.at.toISOString(), line: l.line });

/** Newline-delimited JSON, one line object per line, until the client leaves or the replicas end. */
function streamLines(c: Context, lines: AsyncIterable<AppLogLineView>, stop: AbortController): Response {
  c.header('Content-Type', 'application/x-ndjson; charset=utf-8');
  c.header('Cache-Control', 'no-cache');
  c.header('X-Accel-Buffering', 'no');
  return stream(c, async (out) => {
    out.onAbort(() => stop.abort());
    for await (const line of lines) await out.write(`${JSON.stringify(lineJson(line))}\n`);
    if (!stop.signal.aborted) await out.write(`${JSON.stringify({ end: true })}\n`);
  });
}

/** The routes that read a running service from its target: its output and its usage (scope `read`). */
export function serviceReadRoutes(api: HoistService): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>();

  app.openapi(logs, async (c) => {
    const { app: appName, env, service } = c.req.valid('param');
    const lacking = guard(c, 'read', { app: appName, env });
    if (lacking) return lacking;
    const query = c.req.query();
    const unknown = Object.keys(query).filter((k) => !LOG_PARAMETERS.includes(k));
    if (unknown.length > 0) return badRequest(c, `unknown parameter ${unknown.map((k) => `"${k}"`).join(', ')}; parameters: ${LOG_PARAMETERS.join(', ')}`);
    if (query.follow !== undefined && query.follow !== '1' && query.follow !== 'true') return badRequest(c, `follow: expected 1 (or true), not "${query.follow}"`);
    const follow = query.follow !== undefined;
    const stop = new AbortController();
    const result = await api.serviceLogs(appName, env, service, { tail: queryNumber(query.tail), follow }, stop.signal);
    if (!result.ok) return refused(c, result);
    // A stream, which the document describes as application/x-ndjson.
    if (follow) return streamLines(c, result.lines, stop) as never;
    const lines: AppLogLineView[] = [];
    for await (const line of result.lines) lines.push(line);
    return c.json({ app: result.app, env: result.env, service: result.service, lines: lines.map(lineJson) }, 200);
  });

  app.openapi(usage, async (c) => {
    const { app: appName, env, service } = c.req.valid('param');
    const lacking = guard(c, 'read', { app: appName, env });
    if (lacking) return lacking;
    const result = await api.serviceUsage(appName, env, service);
    if (!result.ok) return refused(c, result);
    const { app: a, env: e, service: s, at, window, unavailable, replicas } = result;
    return c.json({ app: a, env: e, service: s, at: at.toISOString(), window, unavailable, replicas }, 200);
  });

  return app;
}
