import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { HoistService } from '../service/contract.ts';
import { deploymentFor, guard, listGuard } from './api-access.ts';
import { badRequest, errorResponses, refused } from './api-errors.ts';
import { approvalsJson, deploymentJson, deploymentSummaryJson } from './api-json.ts';
import { ApprovalsSchema, DeploymentPageSchema, DeploymentSchema, DiffSchema, LogsSchema, ManifestsSchema } from './api-schemas.ts';
import type { ApiEnv } from './auth.ts';
import { followLog } from './log-follow.ts';
import { deploymentNumber, queryNumber } from './numbers.ts';

const LIST_FILTERS = ['app', 'env', 'status', 'action', 'limit', 'cursor'];
const LOG_PARAMETERS = ['tail', 'service', 'after', 'limit', 'follow'];

/** `12` or `#12` in the path; a wrong one is refused with a request that would work (`example`). */
export function deploymentIdParams(example: string) {
  const id = z
    .string()
    .transform((raw, ctx) => {
      const parsed = deploymentNumber(raw, example);
      if (parsed.ok) return parsed.id;
      ctx.addIssue({ code: 'custom', message: parsed.message, params: { whole: true } });
      return z.NEVER;
    })
    .openapi({ param: { name: 'id', in: 'path' }, example: '12', description: 'A deployment number (`12` or `#12`).' });
  return z.object({ id });
}

const text = (description: string) => z.string().optional().openapi({ description });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

const list = createRoute({
  method: 'get',
  path: '/deployments',
  summary: 'Deployments, newest first, filtered, a page at a time',
  request: {
    query: z.object({
      app: text('Only this app.'),
      env: text('Only this environment.'),
      status: text('Any of these statuses, comma-separated (`DEPLOYED,DEPLOYMENT_ERROR`).'),
      action: text('Any of these actions, comma-separated (`deploy,rollback`).'),
      limit: text('1–100 (default 20).'),
      cursor: text('`nextCursor` of the previous page.'),
    }),
  },
  responses: { 200: json(DeploymentPageSchema, 'A page of deployments.'), ...errorResponses() },
});

const one = createRoute({
  method: 'get',
  path: '/deployments/{id}',
  summary: 'One deployment with its services',
  request: { params: deploymentIdParams('/api/v1/deployments/12') },
  responses: { 200: json(DeploymentSchema, 'The deployment.'), ...errorResponses() },
});

const manifests = createRoute({
  method: 'get',
  path: '/deployments/{id}/manifests',
  summary: 'The deployment set a deployment applied',
  request: { params: deploymentIdParams('/api/v1/deployments/12/manifests') },
  responses: { 200: json(ManifestsSchema, 'Its deployment set, secret values masked.'), ...errorResponses() },
});

const diff = createRoute({
  method: 'get',
  path: '/deployments/{id}/diff',
  summary: 'What differs from another deployment to this one',
  request: {
    params: deploymentIdParams('/api/v1/deployments/12/diff?against=11'),
    query: z.object({
      against: z.string().optional().openapi({ description: 'The deployment number to compare with (required).', example: '11' }),
      format: z.enum(['json', 'unified']).optional().openapi({ description: '`json` (default) or `unified` (the text diff alone, text/x-diff).' }),
    }),
  },
  responses: {
    200: { description: 'The changes by path and as a unified diff.', content: { 'application/json': { schema: DiffSchema }, 'text/x-diff': { schema: z.string() } } },
    ...errorResponses(),
  },
});

const logs = createRoute({
  method: 'get',
  path: '/deployments/{id}/logs',
  summary: 'A deployment’s log (build output, engine notes, container output)',
  request: {
    params: deploymentIdParams('/api/v1/deployments/12/logs'),
    query: z.object({
      tail: text('The last N lines, 1–1000; not with `after` or `limit`.'),
      service: text('One service’s lines only.'),
      after: text('A line id: the page after it (0: from the first line).'),
      limit: text('1–1000 (default 500).'),
      follow: text('`1`: newline-delimited JSON lines, kept open while the deployment runs, ended by `{"end":true,…}`.'),
    }),
  },
  responses: {
    200: {
      description: 'A page of log lines (or, with follow=1, a stream of them).',
      content: { 'application/json': { schema: LogsSchema }, 'application/x-ndjson': { schema: z.string() } },
    },
    ...errorResponses(),
  },
});

const approvals = createRoute({
  method: 'get',
  path: '/deployments/{id}/approvals',
  summary: 'A deployment’s approval rules, their progress and history',
  request: { params: deploymentIdParams('/api/v1/deployments/12/approvals') },
  responses: { 200: json(ApprovalsSchema, 'Its approval.'), ...errorResponses() },
});

const unknownKeys = (query: Record<string, string>, known: string[]) => Object.keys(query).filter((k) => !known.includes(k));

/** The routes that read deployments: the list, one, its set, diff, log and approval (scope `read`). */
export function deploymentReadRoutes(api: HoistService): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>();

  app.openapi(list, async (c) => {
    const query = c.req.query();
    const unknown = unknownKeys(query, LIST_FILTERS);
    if (unknown.length > 0) return badRequest(c, `unknown filter ${unknown.map((k) => `"${k}"`).join(', ')}; filters: ${LIST_FILTERS.join(', ')}`);
    const lacking = listGuard(c, { app: query.app || null, env: query.env || null });
    if (lacking) return lacking;
    const page = await api.listDeployments({
      app: query.app || null,
      env: query.env || null,
      status: query.status ? query.status.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean) : null,
      action: query.action ? query.action.split(',').map((a) => a.trim().toLowerCase()).filter(Boolean) : null,
      limit: queryNumber(query.limit),
      cursor: query.cursor || null,
    });
    // A filter naming an unknown app or environment is a bad parameter: the list itself exists.
    if (!page.ok && page.code === 'UNKNOWN_APP') return badRequest(c, `app: ${page.reason}`);
    if (!page.ok && page.code === 'UNKNOWN_ENVIRONMENT') return badRequest(c, `env: ${page.reason}`);
    if (!page.ok) return refused(c, page);
    return c.json({ items: page.items.map(deploymentSummaryJson), nextCursor: page.nextCursor }, 200);
  });

  app.openapi(one, async (c) => {
    const { id } = c.req.valid('param');
    const d = await deploymentFor(c, api, id, 'read', `no deployment #${id}`);
    if (!('services' in d)) return d;
    return c.json(deploymentJson(d), 200);
  });

  app.openapi(manifests, async (c) => {
    const { id } = c.req.valid('param');
    const d = await deploymentFor(c, api, id, 'read');
    if (!('services' in d)) return d;
    const result = await api.deploymentManifests(id);
    if (!result.ok) return refused(c, result);
    return c.json({ deploymentId: result.deploymentId, app: result.app, env: result.env, set: result.set }, 200);
  });

  app.openapi(diff, async (c) => {
    const { id } = c.req.valid('param');
    const example = `/api/v1/deployments/${id}/diff?against=${Math.max(1, id - 1)}`;
    const raw = c.req.query('against');
    if (raw === undefined) return badRequest(c, `give the deployment to compare with: ?against=<deployment number>, such as ${example}`);
    const against = deploymentNumber(raw, example);
    if (!against.ok) return badRequest(c, `against: ${against.message}`);
    const format = c.req.query('format') ?? 'json';
    if (format !== 'json' && format !== 'unified') return badRequest(c, 'format: "json" (default) or "unified" (the text diff alone)');
    const d = await deploymentFor(c, api, id, 'read');
    if (!('services' in d)) return d;
    const other = await api.getDeployment(against.id);
    const lacking = other === null ? null : guard(c, 'read', { app: other.app, env: other.env });
    if (lacking) return lacking;
    const result = await api.diffDeployments(id, against.id);
    if (!result.ok) return refused(c, result);
    if (format === 'unified') return c.text(result.unified, 200, { 'content-type': 'text/x-diff; charset=utf-8' });
    return c.json({ from: result.from, to: result.to, changes: result.changes, unified: result.unified }, 200);
  });

  app.openapi(logs, async (c) => {
    const { id } = c.req.valid('param');
    const query = c.req.query();
    const unknown = unknownKeys(query, LOG_PARAMETERS);
    if (unknown.length > 0) return badRequest(c, `unknown parameter ${unknown.map((k) => `"${k}"`).join(', ')}; parameters: ${LOG_PARAMETERS.join(', ')}`);
    const d = await deploymentFor(c, api, id, 'read');
    if (!('services' in d)) return d;
    const logQuery = { tail: queryNumber(query.tail), service: query.service || null, after: queryNumber(query.after), limit: queryNumber(query.limit) };
    if (query.follow !== undefined) {
      if (query.follow !== '1' && query.follow !== 'true') return badRequest(c, `follow: expected 1 (or true), not "${query.follow}"`);
      // A stream, which the document describes as application/x-ndjson.
      return followLog(c, api, id, logQuery, (refusal) =>
        refusal.code === 'UNKNOWN_SERVICE' ? badRequest(c, `service: ${refusal.reason}`) : refused(c, refusal),
      ) as never;
    }
    const result = await api.deploymentLogs(id, logQuery);
    // A filter naming no service of the deployment is a bad parameter, as an unknown app is in the list's filters.
    if (!result.ok && result.code === 'UNKNOWN_SERVICE') return badRequest(c, `service: ${result.reason}`);
    if (!result.ok) return refused(c, result);
    return c.json(
      {
        deploymentId: result.deploymentId,
        lines: result.lines.map((l) => ({ id: l.id, service: l.service, line: l.line, at: l.at.toISOString() })),
        nextAfter: result.nextAfter,
      },
      200,
    );
  });

  app.openapi(approvals, async (c) => {
    const { id } = c.req.valid('param');
    const d = await deploymentFor(c, api, id, 'read');
    if (!('services' in d)) return d;
    const result = await api.approvals(id);
    if (!result.ok) return refused(c, result);
    return c.json(approvalsJson(result), 200);
  });

  return app;
}
