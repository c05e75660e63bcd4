/**
 * The HTTP edge: records each request, applies injected latency and failures,
 * checks the bearer token, routes to discovery, the registry, watches and pod
 * logs, and writes JSON (or Status) the way the API server does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeClock } from './clock.ts';
import type { ControlPlane } from './controllers/index.ts';
import type { Deleter, DeleteOptions, PropagationPolicy } from './deletion.ts';
import type { Faults } from './faults.ts';
import { serveLogs } from './logs.ts';
import type { PodMetricsServer } from './metrics.ts';
import { PATCH_TYPES, type Registry, type WriteContext } from './registry.ts';
import { coreVersions, groupList, resourceList, VERSION_INFO } from './resources.ts';
import { parseRoute, type Route } from './routes.ts';
import { badRequest, faultStatus, invalid, methodNotAllowed, notSupported, pageNotFound, unauthorized, unsupportedMediaType } from './status.ts';
import type { ApiResult, Json, RequestRecord } from './types.ts';
import type { Watches } from './watch.ts';

export interface HttpParts {
  registry: Registry;
  deleter: Deleter;
  watches: Watches;
  faults: Faults;
  controlPlane: ControlPlane;
  clock: FakeClock;
  requests: RequestRecord[];
  token: string;
  metrics: PodMetricsServer;
}

const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version']);

export class Exchange {
  constructor(readonly res: ServerResponse, readonly record: RequestRecord) {}

  json(code: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
    this.head(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', ...headers });
    this.res.end(JSON.stringify(body));
  }

  text(code: number, body: string): void {
    this.head(code, { 'Content-Type': 'text/plain' });
    this.res.end(body);
  }

  head(code: number, headers: Record<string, string | string[]>): void {
    this.record.status = code;
    this.res.writeHead(code, headers);
  }

  result(result: ApiResult<Json>): void {
    if (!result.ok) {
      const retry: Record<string, string> = result.status.code === 429 ? { 'Retry-After': '1' } : {};
      this.json(result.status.code, result.status, retry);
      return;
    }
    this.json(result.code, result.value, result.warnings?.length ? { Warning: result.warnings } : {});
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(raw: string): { ok: true; value: Json } | { ok: false } {
  try {
    return { ok: true, value: raw.trim() === '' ? undefined : JSON.parse(raw) };
  } catch {
    return { ok: false };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createHandler(parts: HttpParts) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(parts, req, res).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `fake kube: ${error.message}`, reason: 'InternalError', code: 500 }));
    });
  };
}

async function handle(parts: HttpParts, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake');
  const method = (req.method ?? 'GET').toUpperCase();
  const record: RequestRecord = {
    method, path: url.pathname, query: Object.fromEntries(url.searchParams), contentType: req.headers['content-type'] ?? null,
    status: 0, at: parts.clock.now(),
  };
  parts.requests.push(record);
  const ex = new Exchange(res, record);
  const raw = await readBody(req);
  if (parts.faults.latencyMs > 0) await sleep(parts.faults.latencyMs);

  if (!PUBLIC_PATHS.has(url.pathname) && req.headers.authorization !== `Bearer ${parts.token}`) return ex.json(401, unauthorized());
  const fault = parts.faults.take(method, url.pathname);
  if (fault) return ex.result({ ok: false, status: faultStatus(fault) });

  if (PUBLIC_PATHS.has(url.pathname)) return url.pathname === '/version' ? ex.json(200, VERSION_INFO) : ex.text(200, 'ok');
  if (parts.metrics.handles(ex, method, url.pathname)) return;
  const route = parseRoute(url.pathname);
  if (!route) return ex.json(404, pageNotFound());
  if (route.kind === 'discovery') return discovery(ex, route, req.headers.host ?? '127.0.0.1');
  return resource(parts, ex, route, method, record.query, raw, req);
}

function discovery(ex: Exchange, route: Extract<Route, { kind: 'discovery' }>, host: string): void {
  switch (route.doc) {
    case 'core-versions': return ex.json(200, coreVersions(host));
    case 'groups': return ex.json(200, groupList());
    case 'resources': return ex.json(200, resourceList(route.group));
    case 'group': {
      const version = { groupVersion: `${route.group}/v1`, version: 'v1' };
      return ex.json(200, { kind: 'APIGroup', apiVersion: 'v1', name: route.group, versions: [version], preferredVersion: version });
    }
  }
}

function writeContext(query: Record<string, string>, req: IncomingMessage): WriteContext | { invalid: Json } {
  const errors = [];
  if (query.dryRun !== undefined && query.dryRun !== 'All') errors.push(notSupported('dryRun', query.dryRun, ['All']));
  if (errors.length > 0) return { invalid: invalid({ kind: 'PatchOptions', group: 'meta.k8s.io' }, '', errors) };
  return {
    fieldManager: query.fieldManager || undefined,
    userAgent: req.headers['user-agent'],
    dryRun: query.dryRun === 'All',
    force: query.force === 'true',
  };
}

function deleteOptions(query: Record<string, string>, raw: string): DeleteOptions | undefined {
  const body = parseJson(raw);
  if (!body.ok) return undefined;
  const opts: Json = body.value ?? {};
  const orphan = opts.orphanDependents ?? (query.orphanDependents === undefined ? undefined : query.orphanDependents === 'true');
  const policy = (opts.propagationPolicy ?? query.propagationPolicy ?? (orphan === true ? 'Orphan' : orphan === false ? 'Background' : undefined)) as PropagationPolicy | undefined;
  const grace = opts.gracePeriodSeconds ?? (query.gracePeriodSeconds === undefined ? undefined : Number(query.gracePeriodSeconds));
  const dryRun = (opts.dryRun ?? []).includes?.('All') || query.dryRun === 'All';
  return { propagationPolicy: policy, gracePeriodSeconds: grace, preconditions: opts.preconditions, dryRun };
}

function resource(
  parts: HttpParts, ex: Exchange, route: Extract<Route, { kind: 'resource' }>, method: string,
  query: Record<string, string>, raw: string, req: IncomingMessage,
): void {
  const { registry, deleter } = parts;
  const { info, namespace, name, sub } = route;
  const contentType = (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim() ?? '';
  const ctx = writeContext(query, req);
  if ('invalid' in ctx) return ex.json(422, ctx.invalid);
  const body = () => parseJson(raw);
  const ns = namespace === undefined ? null : namespace;

  const watch = route.legacyWatch || query.watch === 'true' || query.watch === '1';
  if (method === 'GET' && watch && sub === undefined) {
    // A watch of one object is a watch of its collection narrowed to its name.
    const watchQuery = name === undefined ? query : { ...query, fieldSelector: [query.fieldSelector, `metadata.name=${name}`].filter(Boolean).join(',') };
    const problem = parts.watches.check(info, watchQuery);
    if (problem) return ex.json(problem.code, problem);
    ex.record.status = 200;
    return parts.watches.serve(ex.res, info, namespace, watchQuery);
  }
  if (name === undefined) {
    if (method === 'GET') return ex.result(registry.list(info, namespace, { ...query, limit: query.limit ? Number(query.limit) : undefined }));
    if (method === 'POST' && namespace !== undefined) {
      const parsed = body();
      if (!parsed.ok) return ex.json(400, badRequest('the object provided is unrecognized: invalid JSON'));
      return ex.result(registry.create(info, ns, parsed.value, ctx));
    }
    if (method === 'DELETE' && namespace !== undefined) return deleteCollection(parts, ex, route, query, raw);
    return ex.json(405, methodNotAllowed());
  }

  if (sub === 'log' && info.kind === 'Pod' && method === 'GET') return serveLogs(parts, ex, ns, name, query);
  if (sub !== undefined && !(sub === 'status' && info.hasStatus) && !(sub === 'scale' && info.hasScale)) return ex.json(404, pageNotFound());
  const target = sub === 'status' ? 'status' : sub === 'scale' ? 'scale' : 'main';
  if (method === 'PATCH' && !(PATCH_TYPES as readonly string[]).includes(contentType)) return ex.json(415, unsupportedMediaType());
  if (method === 'PATCH' && contentType !== 'application/apply-patch+yaml' && query.force !== undefined) {
    return ex.json(422, invalid({ kind: 'PatchOptions', group: 'meta.k8s.io' }, '', [{ field: 'force', type: 'FieldValueForbidden', detail: 'Forbidden: may not be specified for non-apply patch' }]));
  }

  if (target === 'scale') {
    const current = registry.get(info, ns, name);
    if (method === 'GET') return ex.result(current.ok ? { ...current, value: registry.scaleOf(current.value) } : current);
    if (method === 'PUT') {
      const parsed = body();
      if (!parsed.ok) return ex.json(400, badRequest('the object provided is unrecognized: invalid JSON'));
      return ex.result(registry.writeScale(info, ns, name, () => ({ ok: true, value: parsed.value, code: 200 }), ctx));
    }
    if (method === 'PATCH' && contentType === 'application/apply-patch+yaml') {
      const applied = registry.apply(info, ns, name, raw, 'scale', ctx);
      return ex.result(applied.ok ? { ...applied, value: registry.scaleOf(applied.value) } : applied);
    }
    if (method === 'PATCH') return ex.result(registry.writeScale(info, ns, name, (scale) => registry.patchDocument(scale, contentType, raw), ctx));
    return ex.json(405, methodNotAllowed());
  }

  switch (method) {
    case 'GET':
      return ex.result(registry.get(info, ns, name));
    case 'PUT': {
      const parsed = body();
      if (!parsed.ok) return ex.json(400, badRequest('the object provided is unrecognized: invalid JSON'));
      return ex.result(registry.replace(info, ns, name, parsed.value, target, ctx));
    }
    case 'PATCH':
      return ex.result(registry.patch(info, ns, name, contentType, raw, target, ctx));
    case 'DELETE': {
      if (target !== 'main') return ex.json(405, methodNotAllowed());
      const options = deleteOptions(query, raw);
      if (!options) return ex.json(400, badRequest('the object provided is unrecognized: invalid DeleteOptions'));
      return ex.result(deleter.delete(info, ns, name, options));
    }
    default:
      return ex.json(405, methodNotAllowed());
  }
}

function deleteCollection(parts: HttpParts, ex: Exchange, route: Extract<Route, { kind: 'resource' }>, query: Record<string, string>, raw: string): void {
  const options = deleteOptions(query, raw);
  if (!options) return ex.json(400, badRequest('the object provided is unrecognized: invalid DeleteOptions'));
  const listed = parts.registry.list(route.info, route.namespace, query);
  if (!listed.ok) return ex.result(listed);
  for (const item of listed.value.items as Json[]) {
    parts.deleter.delete(route.info, route.namespace ?? null, item.metadata.name, options);
  }
  return ex.result(listed);
}
