import { readFileSync } from 'node:fs';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { compileErrors, validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEnv } from '../../src/http/auth.ts';
import { bearer, testHttpApp } from '../support/api-app.ts';
import { expectMatchesDocument } from '../support/openapi-check.ts';
import { openServiceFixture, type ServiceFixture } from '../service/service-fixture.ts';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** A group of routes as another part of Hoist adds one: its own OpenAPIHono, mounted by `apiGroups`. */
function thingsGroup(): OpenAPIHono<ApiEnv> {
  const group = new OpenAPIHono<ApiEnv>();
  const route = createRoute({
    method: 'get',
    path: '/things/{name}',
    request: {
      params: z.object({ name: z.string().openapi({ param: { name: 'name', in: 'path' } }) }),
      query: z.object({ size: z.enum(['small', 'large'], { error: 'expected "small" or "large"' }) }),
    },
    responses: { 200: { description: 'A thing.', content: { 'application/json': { schema: z.object({ name: z.string(), size: z.string() }) } } } },
  });
  group.openapi(route, (c) => c.json({ name: c.req.valid('param').name, size: c.req.valid('query').size }, 200));
  return group;
}

describe('GET /api/v1/openapi.json', () => {
  let f: ServiceFixture;
  let app: ReturnType<typeof testHttpApp>;

  beforeAll(async () => {
    f = await openServiceFixture({ environments: { staging: '{ target: engine }' } });
    app = testHttpApp(f.service, [], { apiGroups: [thingsGroup()] });
  });
  afterAll(async () => {
    await f?.close();
  });

  const served = async () => {
    const res = await app.request('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    return (await res.json()) as { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, { security?: unknown[] }>>; components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> }; security: unknown };
  };

  it('is served without a token, while the routes it describes need one', async () => {
    await served();
    expect((await app.request('/api/v1/apps')).status).toBe(401);
    expect((await app.request('/api/v1/apps', { headers: bearer() })).status).toBe(200);
  });

  it('is a valid OpenAPI 3.1 document titled Hoist, at the package version, with bearer security', async () => {
    const doc = await served();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'Hoist', version });
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v1/openapi.json']?.get?.security).toEqual([]);
    // It passes the answers' redaction like every answer: none of its words may look like a credential.
    expect(JSON.stringify(doc)).not.toContain('[redacted]');
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? 'valid' : compileErrors(result)).toBe('valid');
  });

  it('describes every route of the API', async () => {
    const doc = await served();
    const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(
      [
        'GET /api/v1/openapi.json',
        'GET /api/v1/apps',
        'GET /api/v1/apps/{app}/environments',
        'GET /api/v1/apps/{app}/environments/{env}',
        'GET /api/v1/apps/{app}/environments/{env}/lock',
        'GET /api/v1/apps/{app}/environments/{env}/services/{service}/logs',
        'GET /api/v1/apps/{app}/environments/{env}/services/{service}/usage',
        'PUT /api/v1/apps/{app}/environments/{env}/lock',
        'DELETE /api/v1/apps/{app}/environments/{env}/lock',
        'POST /api/v1/apps/{app}/environments/{env}/deployments',
        'GET /api/v1/deployments',
        'GET /api/v1/deployments/{id}',
        'GET /api/v1/deployments/{id}/manifests',
        'GET /api/v1/deployments/{id}/diff',
        'GET /api/v1/deployments/{id}/logs',
        'GET /api/v1/deployments/{id}/approvals',
        'POST /api/v1/deployments/{id}/approvals',
        'POST /api/v1/deployments/{id}/cancel',
        'GET /api/v1/things/{name}',
      ].sort(),
    );
    const post = doc.paths['/api/v1/apps/{app}/environments/{env}/deployments']?.post as unknown as {
      responses: Record<string, unknown>;
      parameters: { name: string; in: string }[];
      requestBody: { content: Record<string, { schema: unknown }> };
    };
    expect(Object.keys(post.responses).sort()).toEqual(['202', '400', '401', '403', '404', '409', '415', '422', '501', '503']);
    expect(post.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['path:app', 'path:env', 'header:Idempotency-Key']);
    expect(post.requestBody.content['application/json']?.schema).toEqual({ $ref: '#/components/schemas/ActionRequest' });
    expect(doc.components.schemas.Error).toMatchObject({ required: ['error'] });
  });

  it('a group added beside the API’s own is described and validated the same way', async () => {
    const doc = await served();
    expect(Object.keys(doc.paths['/api/v1/things/{name}'] ?? {})).toEqual(['get']);
    const bad = await app.request('/api/v1/things/box?size=huge', { headers: bearer() });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'BAD_REQUEST', message: 'size: expected "small" or "large"' } });
    expect(await (await app.request('/api/v1/things/box?size=small', { headers: bearer() })).json()).toEqual({ name: 'box', size: 'small' });
  });

  it('real answers match it (checked with ajv against the served document), and one that does not is caught', async () => {
    const doc = await served();
    const apps = await app.request('/api/v1/apps', { headers: bearer() });
    const body = await apps.json();
    expectMatchesDocument(doc, 'get', '/api/v1/apps', 200, body);
    const missing = await app.request('/api/v1/apps/nope/environments', { headers: bearer() });
    expectMatchesDocument(doc, 'get', '/api/v1/apps/{app}/environments', missing.status, await missing.json());
    const wrong = { items: [{ name: 'shop', environments: [{ name: 'staging', status: 'FINE', lock: null, queued: 0 }] }] };
    expect(() => expectMatchesDocument(doc, 'get', '/api/v1/apps', 200, wrong)).toThrow(/status/);
    expect(() => expectMatchesDocument(doc, 'get', '/api/v1/apps', 200, { items: [{ name: 'shop' }] })).toThrow(/environments/);
    expect(() => expectMatchesDocument(doc, 'get', '/api/v1/apps', 418, {})).toThrow(/declares no JSON 418 answer/);
  });
});
