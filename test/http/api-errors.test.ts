import { createImageRegistry } from '../../src/engine/build/image-registry.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';
import { createGitSource } from '../../src/engine/source/git-source.ts';
import { createHttpApp } from '../../src/http/server.ts';
import type { HoistService } from '../../src/service/contract.ts';
import { createHoistService } from '../../src/service/hoist-service.ts';
import { insertDeployment, type NewDeployment } from '../../src/store/deployments.ts';
import type { ApiEnv } from '../../src/http/auth.ts';
import { apiAuth } from '../support/api-auth.ts';
import { openTestStore } from '../support/databases.ts';
import { newDeployment } from '../support/new-deployment.ts';

const config = parseHoistConfig(
  `
targets: { engine: { kind: docker } }
apps:
  shop:
    repo: /srv/none
    services:
      api: { type: container, image: "busybox:1", port: 8080 }
    environments:
      staging: { target: engine }
`,
  join(tmpdir(), 'api-errors-test.yaml'),
);

const deployment: NewDeployment = newDeployment();

const cursor = (before: unknown) => Buffer.from(JSON.stringify({ before })).toString('base64url');

interface ErrorBody {
  error: { code: string; message: string };
}

let auth: Awaited<ReturnType<typeof apiAuth>>;
const httpApp = (api: HoistService) => createHttpApp({ api, readiness: {}, logger: pino({ level: 'silent' }), authenticate: auth.authenticate });

async function call(app: Hono<ApiEnv>, path: string, method = 'GET') {
  const res = await app.request(path, { method, headers: auth.headers });
  const text = await res.text();
  return { status: res.status, allow: res.headers.get('allow'), text, body: JSON.parse(text) as ErrorBody };
}

describe('HTTP API on bad input', () => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  let cacheDir: string;
  let api: HoistService;
  let app: Hono<ApiEnv>;
  let first: number;
  let second: number;

  beforeAll(async () => {
    store = await openTestStore('pglite');
    auth = await apiAuth(store.db);
    cacheDir = mkdtempSync(join(tmpdir(), 'hoist-api-errors-'));
    api = createHoistService({ db: store.db, config, source: createGitSource({ cacheDir }), registry: createImageRegistry(), kick: async () => {}, notify: () => {} });
    app = httpApp(api);
    first = (await insertDeployment(store.db, deployment)).id;
    second = (await insertDeployment(store.db, deployment)).id;
  });

  afterAll(async () => {
    await store?.cleanup();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  const outOfRange = 'is not a deployment number: they run from 1 to 2147483647; use one such as';
  const notANumber = 'is not a deployment number; use a positive integer such as';

  it.each([
    ['2147483648', outOfRange],
    ['99999999999999999999999', outOfRange],
    ['0', outOfRange],
    ['-1', notANumber],
    ['0x2', notANumber],
    ['1e3', notANumber],
    ['%2012', notANumber],
    ['12%20', notANumber],
    ['+3', notANumber],
    ['1.0', notANumber],
    ['%23', notANumber],
  ])('refuses the deployment id %s with 400 and the ids that work', async (id, message) => {
    for (const [suffix, example] of [
      ['', '/api/v1/deployments/12'],
      ['/logs', '/api/v1/deployments/12/logs'],
      ['/manifests', '/api/v1/deployments/12/manifests'],
      ['/diff?against=1', '/api/v1/deployments/12/diff?against=11'],
    ]) {
      const res = await call(app, `/api/v1/deployments/${id}${suffix}`);
      expect(res.status, suffix).toBe(400);
      expect(res.body.error.code).toBe('BAD_REQUEST');
      expect(res.body.error.message).toBe(`"${decodeURIComponent(id)}" ${message} ${example}`);
    }
  });

  it('takes a plain or #-prefixed deployment number, and says 404 for one that does not exist', async () => {
    expect((await call(app, `/api/v1/deployments/${first}`)).status).toBe(200);
    expect((await call(app, `/api/v1/deployments/%23${first}`)).status).toBe(200);
    const missing = await call(app, '/api/v1/deployments/2147483647');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toEqual({ code: 'NOT_FOUND', message: 'no deployment #2147483647' });
  });

  it.each(['0x1', '1e0', '2147483648', '', '%201'])('refuses against=%s with 400', async (against) => {
    const res = await call(app, `/api/v1/deployments/${second}/diff?against=${against}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BAD_REQUEST');
    expect(res.body.error.message).toMatch(/^against: "[^"]*" is not a deployment number/);
    expect(res.body.error.message).toContain(`such as /api/v1/deployments/${second}/diff?against=${second - 1}`);
  });

  it('compares with a strictly written against', async () => {
    expect((await call(app, `/api/v1/deployments/${second}/diff?against=${first}`)).status).toBe(200);
  });

  const tail = 'tail: expected a whole number from 1 to 1000 (the last N lines)';
  const after = 'after: expected a line id (a whole number; 0 for the first line), such as the previous page’s `nextAfter`';
  const logLimit = 'limit: expected a whole number from 1 to 1000 (default 500)';

  it.each([
    ['tail=0x2', tail],
    ['tail=1e3', tail],
    ['tail=', tail],
    ['tail=%2012', tail],
    ['tail=12%20', tail],
    ['tail=%2B3', tail],
    ['tail=+3', tail],
    ['tail=1.0', tail],
    ['after=1e3', after],
    ['after=-1', after],
    ['after=', after],
    ['after=2147483648', after],
    ['after=1e300', after],
    ['limit=0x10', logLimit],
    ['limit=', logLimit],
    ['limit=0', logLimit],
    ['follow=1&tail=1e1', tail],
  ])('refuses the log query %s with 400 and the range that works', async (query, message) => {
    const res = await call(app, `/api/v1/deployments/${first}/logs?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'BAD_REQUEST', message });
  });

  it('reads the log with strictly written numbers', async () => {
    const res = await call(app, `/api/v1/deployments/${first}/logs?after=0&limit=10`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ deploymentId: first, lines: [], nextAfter: null });
  });

  const listLimit = 'limit: expected a whole number from 1 to 100 (default 20)';
  const badCursor = 'cursor: not a cursor this API gave out; pass `nextCursor` of the previous page, or none for the newest';

  it.each([
    ['limit=0x2', listLimit],
    ['limit=1e1', listLimit],
    ['limit=', listLimit],
    ['limit=%2010', listLimit],
    ['limit=1.0', listLimit],
    ['limit=%2B3', listLimit],
    [`cursor=${cursor(1e300)}`, badCursor],
    [`cursor=${cursor(2147483648)}`, badCursor],
    [`cursor=${cursor(-1)}`, badCursor],
    [`cursor=${cursor(0)}`, badCursor],
    [`cursor=${cursor(1.5)}`, badCursor],
    [`cursor=${cursor('5')}`, badCursor],
    [`cursor=${Buffer.from('null').toString('base64url')}`, badCursor],
  ])('refuses the list query %s with 400 and what would work', async (query, message) => {
    const res = await call(app, `/api/v1/deployments?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'BAD_REQUEST', message });
  });

  it('pages from a cursor at the largest id', async () => {
    const res = await call(app, `/api/v1/deployments?limit=1&cursor=${cursor(2147483647)}`);
    expect(res.status).toBe(200);
    expect((JSON.parse(res.text) as { items: { id: number }[] }).items.map((d) => d.id)).toEqual([second]);
  });

  it.each([
    ['POST', '/api/v1/deployments/1', 'GET, HEAD'],
    ['DELETE', '/api/v1/deployments/1', 'GET, HEAD'],
    ['POST', '/api/v1/deployments', 'GET, HEAD'],
    ['PUT', '/api/v1/deployments/1/logs', 'GET, HEAD'],
    ['PATCH', '/api/v1/apps/shop/environments/staging/lock', 'GET, HEAD, PUT, DELETE'],
    ['DELETE', '/healthz', 'GET, HEAD'],
    ['POST', '/readyz', 'GET, HEAD'],
  ])('answers %s %s with 405 and Allow', async (method, path, allow) => {
    const res = await call(app, path, method);
    expect(res.status).toBe(405);
    expect(res.allow).toBe(allow);
    expect(res.body.error).toEqual({ code: 'METHOD_NOT_ALLOWED', message: `${method} is not served at ${path}; it takes ${allow}` });
  });

  it('answers HEAD like GET, without a body', async () => {
    const res = await app.request('/healthz', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it.each([
    ['POST', '/api/v1/nothing'],
    ['GET', '/api/v1/deployments/1/nothing'],
    ['DELETE', '/elsewhere'],
  ])('answers an unknown path (%s %s) with 404', async (method, path) => {
    const res = await call(app, path, method);
    expect(res.status).toBe(404);
    expect(res.allow).toBeNull();
    expect(res.body.error).toEqual({ code: 'NOT_FOUND', message: `no route ${method} ${path}; see /api/v1` });
  });

  it('answers an unexpected failure with a JSON 500 that shows nothing of it', async () => {
    const failing = httpApp({
      ...api,
      getDeployment: () => Promise.reject(new Error('connection to 10.0.0.7:5432 refused by secret-host')),
    });
    const res = await call(failing, `/api/v1/deployments/${first}`);
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    expect(res.text).not.toMatch(/secret-host|at .*\.ts/);
  });
});
