import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';
import { createImageRegistry } from '../../src/engine/build/image-registry.ts';
import { createGitSource } from '../../src/engine/source/git-source.ts';
import { createHttpApp } from '../../src/http/server.ts';
import { createLogger } from '../../src/logger.ts';
import { createTokenService, hashSecret, type TokenService } from '../../src/service/api-tokens.ts';
import type { HoistService } from '../../src/service/contract.ts';
import { createHoistService } from '../../src/service/hoist-service.ts';
import { insertDeployment } from '../../src/store/deployments.ts';
import type { TokenGrant } from '../../src/domain/api-token-record.ts';
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
      production: { target: engine }
  blog:
    repo: /srv/none
    services:
      api: { type: container, image: "busybox:1", port: 8080 }
    environments:
      staging: { target: engine }
`,
  join(tmpdir(), 'api-auth-test.yaml'),
);

const grant = (name: string, more: Partial<TokenGrant> = {}): TokenGrant => ({ name, scopes: ['read'], apps: null, envs: null, actAs: null, expiresAt: null, ...more });

describe('bearer tokens on /api/v1', () => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  let cacheDir: string;
  let api: HoistService;
  let tokens: TokenService;
  let clock: Date;
  const logLines: string[] = [];
  let app: ReturnType<typeof createHttpApp>;
  let shopStaging: number;
  const secrets: Record<string, string> = {};

  const make = async (g: TokenGrant) => {
    const made = await tokens.create(g, 'cli');
    if (!made.ok) throw new Error(made.reason);
    secrets[g.name] = made.secret;
    return made.secret;
  };
  const get = async (path: string, authorization?: string) => {
    const res = await app.request(path, { headers: authorization === undefined ? {} : { authorization } });
    return { status: res.status, header: res.headers.get('www-authenticate'), text: await res.clone().text(), body: (await res.json()) as { error?: { code: string; message: string } } & Record<string, unknown> };
  };
  const as = (name: string) => `Bearer ${secrets[name]}`;

  beforeAll(async () => {
    store = await openTestStore('pglite');
    cacheDir = mkdtempSync(join(tmpdir(), 'hoist-api-auth-'));
    clock = new Date('2026-12-01T10:00:00Z');
    api = createHoistService({ db: store.db, config, source: createGitSource({ cacheDir }), registry: createImageRegistry(), kick: async () => {}, notify: () => {} });
    tokens = createTokenService({ db: store.db, now: () => clock, cacheMs: 0 });
    const logger = createLogger('trace', { write: (line: string) => void logLines.push(line) });
    app = createHttpApp({ api, readiness: {}, logger, authenticate: tokens.authenticate });
    shopStaging = (
      await insertDeployment(store.db, newDeployment())
    ).id;
    await make(grant('reader'));
    await make(grant('deployer', { scopes: ['deploy'] }));
    await make(grant('blog-only', { apps: ['blog'] }));
    await make(grant('prod-only', { envs: ['production'] }));
    await make(grant('admin', { scopes: ['admin'] }));
    await make(grant('short', { expiresAt: new Date(clock.getTime() + 60_000) }));
    await make(grant('gone'));
    await tokens.revoke('gone');
  });

  afterAll(async () => {
    await store?.cleanup();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('401 without a token, saying how to send one', async () => {
    const res = await get('/api/v1/apps/shop/environments/staging');
    expect(res.status).toBe(401);
    expect(res.header).toBe('Bearer realm="hoist"');
    expect(res.body.error).toEqual({ code: 'UNAUTHORIZED', message: expect.stringContaining('send "Authorization: Bearer <token>"') });
  });

  it.each(['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', secrets.reader ?? 'hoist_raw_secret_without_scheme'])('401 for a malformed Authorization header (%s)', async (header) => {
    const res = await get('/api/v1/apps/shop/environments/staging', header);
    expect(res.status).toBe(401);
    expect(res.body.error?.message).toBe('the Authorization header must be "Bearer <token>"');
  });

  it('401 for an unknown, an expired and a revoked token, each saying which', async () => {
    const unknown = await get('/api/v1/apps/shop/environments/staging', `Bearer hoist_${'x'.repeat(43)}`);
    expect(unknown.status).toBe(401);
    expect(unknown.body.error?.message).toContain('not known to Hoist');

    clock = new Date(clock.getTime() + 120_000);
    try {
      const expired = await get('/api/v1/apps/shop/environments/staging', as('short'));
      expect(expired.status).toBe(401);
      expect(expired.body.error?.message).toMatch(/^API token "short" expired at 2026-12-01T10:01:00.000Z/);
    } finally {
      clock = new Date(clock.getTime() - 120_000);
    }
    expect((await get('/api/v1/apps/shop/environments/staging', as('short'))).status).toBe(200);

    const revoked = await get('/api/v1/apps/shop/environments/staging', as('gone'));
    expect(revoked.status).toBe(401);
    expect(revoked.body.error?.message).toMatch(/^API token "gone" was revoked at /);
  });

  it('403 naming the scope the token lacks', async () => {
    const res = await get('/api/v1/apps/shop/environments/staging', as('deployer'));
    expect(res.status).toBe(403);
    expect(res.body.error).toEqual({ code: 'FORBIDDEN', message: 'token "deployer" lacks the "read" scope (it has deploy)' });
    expect((await get('/api/v1/apps/shop/environments/staging', as('admin'))).status).toBe(200);
  });

  it('403 naming the app or environment the token may not touch, and never the data', async () => {
    const app403 = await get('/api/v1/apps/shop/environments/staging', as('blog-only'));
    expect(app403).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN', message: 'token "blog-only" may not touch app "shop" (only blog)' } } });
    const env403 = await get('/api/v1/apps/shop/environments/staging/lock', as('prod-only'));
    expect(env403).toMatchObject({ status: 403, body: { error: { message: 'token "prod-only" may not touch environment "staging" (only production)' } } });
    for (const path of [`/api/v1/deployments/${shopStaging}`, `/api/v1/deployments/${shopStaging}/logs`, `/api/v1/deployments/${shopStaging}/manifests`, `/api/v1/deployments/${shopStaging}/approvals`, `/api/v1/deployments/${shopStaging}/diff?against=${shopStaging}`]) {
      const res = await get(path, as('blog-only'));
      expect(res.status, path).toBe(403);
      expect(res.text, path).not.toContain('a'.repeat(40));
      expect((await get(path, as('reader'))).status, path).toBe(200);
    }
  });

  it('lists only what the token may read: a limited token names its app and environment', async () => {
    const unfiltered = await get('/api/v1/deployments', as('blog-only'));
    expect(unfiltered).toMatchObject({ status: 403, body: { error: { message: 'token "blog-only" may read only apps blog: filter with ?app=blog' } } });
    expect((await get('/api/v1/deployments?app=blog', as('blog-only'))).status).toBe(200);
    expect((await get('/api/v1/deployments?app=shop', as('blog-only'))).status).toBe(403);
    const environments = await get('/api/v1/apps/shop/environments', as('prod-only'));
    expect(environments.status).toBe(200);
    expect((environments.body.items as { env: string }[]).map((e) => e.env)).toEqual(['production']);
  });

  it('leaves the OpenAPI document public', async () => {
    const res = await app.request('/api/v1/openapi.json');
    expect(res.status).not.toBe(401);
    expect((await app.request('/api/v1/openapi.json', { method: 'POST' })).status).toBe(401);
  });

  it('records the last use at most once a minute per token', async () => {
    const lastUsed = async () => (await store.db.selectFrom('api_tokens').select('last_used_at').where('name', '=', 'admin').executeTakeFirstOrThrow()).last_used_at;
    const first = (await lastUsed()) as Date | null;
    expect(first).not.toBeNull();
    clock = new Date(clock.getTime() + 30_000);
    await get('/api/v1/apps/shop/environments/staging', as('admin'));
    expect(new Date((await lastUsed())!).getTime()).toBe(new Date(first!).getTime());
    clock = new Date(clock.getTime() + 31_000);
    await get('/api/v1/apps/shop/environments/staging', as('admin'));
    expect(new Date((await lastUsed())!).getTime()).toBe(clock.getTime());
  });

  it('stores only the hash of a secret and never logs a token, even when a request fails', async () => {
    const rows = await store.db.selectFrom('api_tokens').selectAll().execute();
    const stored = JSON.stringify(rows);
    for (const secret of Object.values(secrets)) {
      expect(stored).not.toContain(secret);
      expect(stored).toContain(hashSecret(secret));
    }
    const failing = createHttpApp({
      api: { ...api, getDeployment: () => Promise.reject(new Error(`lookup failed for ${secrets.admin}`)) },
      readiness: {},
      logger: createLogger('trace', { write: (line: string) => void logLines.push(line) }),
      authenticate: tokens.authenticate,
    });
    const res = await failing.request(`/api/v1/deployments/${shopStaging}`, { headers: { authorization: as('admin') } });
    expect(res.status).toBe(500);
    expect(logLines.join('')).toContain('request failed');
    for (const secret of Object.values(secrets)) expect(logLines.join('')).not.toContain(secret.slice(6));
  });
});
