import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';
import type { TokenGrant } from '../../src/domain/api-token-record.ts';
import { createImageRegistry } from '../../src/engine/build/image-registry.ts';
import { createGitSource } from '../../src/engine/source/git-source.ts';
import { createHttpApp } from '../../src/http/server.ts';
import { createLogger } from '../../src/logger.ts';
import { createTokenService, hashSecret, type TokenService } from '../../src/service/api-tokens.ts';
import { createDashboardSessions } from '../../src/service/dashboard-sessions.ts';
import { createHoistService } from '../../src/service/hoist-service.ts';
import { openTestStore } from '../support/databases.ts';

const config = parseHoistConfig(
  `
targets: { engine: { kind: docker } }
apps:
  shop:
    repo: https://github.com/acme/shop.git
    services:
      api: { type: container, image: "busybox:1", port: 8080 }
    environments:
      staging: { target: engine, autoDeploy: true }
  blog:
    repo: /srv/none
    services:
      api: { type: container, image: "busybox:1", port: 8080 }
    environments:
      staging: { target: engine }
`,
  join(tmpdir(), 'dashboard-session-test.yaml'),
);

const grant = (name: string, more: Partial<TokenGrant> = {}): TokenGrant => ({ name, scopes: ['read'], apps: null, envs: null, actAs: null, expiresAt: null, ...more });

/** The sign-in page's error paragraph, as the browser shows it. */
const errorOf = (html: string) => /<p class="error"[^>]*>([^<]*)<\/p>/.exec(html)?.[1] ?? '';

describe('dashboard sessions: sign in once with a token, read the API with an HttpOnly cookie', () => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  let cacheDir: string;
  let tokens: TokenService;
  let clock: Date;
  let app: ReturnType<typeof createHttpApp>;
  const secrets: Record<string, string> = {};

  const make = async (g: TokenGrant) => {
    const made = await tokens.create(g, 'cli');
    if (!made.ok) throw new Error(made.reason);
    secrets[g.name] = made.secret;
    return made.secret;
  };
  const signIn = (token: string, headers: Record<string, string> = {}, next = '/dashboard/history') =>
    app.request('/dashboard/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost', host: 'localhost', ...headers },
      body: new URLSearchParams({ token, next }).toString(),
    });
  /** Signs in and answers the cookie the browser would send back. */
  const cookieFor = async (token: string) => {
    const res = await signIn(token);
    expect(res.status).toBe(303);
    const set = res.headers.get('set-cookie') ?? '';
    return /^(hoist_session=[^;]+)/.exec(set)?.[1] ?? '';
  };
  const withCookie = (path: string, cookie: string, init: RequestInit = {}) => app.request(path, { ...init, headers: { cookie, ...(init.headers as Record<string, string>) } });

  beforeAll(async () => {
    store = await openTestStore('postgres');
    cacheDir = mkdtempSync(join(tmpdir(), 'hoist-dashboard-session-'));
    clock = new Date('2026-12-01T10:00:00Z');
    const api = createHoistService({ db: store.db, config, source: createGitSource({ cacheDir }), registry: createImageRegistry(), kick: async () => {}, notify: () => {} });
    tokens = createTokenService({ db: store.db, now: () => clock, cacheMs: 0 });
    const sessions = createDashboardSessions({ db: store.db, tokens, now: () => clock });
    app = createHttpApp({ api, readiness: {}, logger: createLogger('silent'), authenticate: tokens.authenticate, dashboard: { sessions, publicUrl: null } });
    await make(grant('reader'));
    await make(grant('deployer', { scopes: ['deploy'] }));
    await make(grant('shop-only', { apps: ['shop'] }));
    await make(grant('admin', { scopes: ['admin'] }));
    await make(grant('short', { expiresAt: new Date(clock.getTime() + 60_000) }));
    await make(grant('gone'));
    await tokens.revoke('gone');
  });

  afterAll(async () => {
    await store?.cleanup();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('sends a browser without a session to sign in, and serves pages with a strict Content-Security-Policy', async () => {
    const board = await app.request('/dashboard');
    expect(board.status).toBe(303);
    expect(board.headers.get('location')).toBe('/dashboard/sign-in?next=%2Fdashboard');
    expect((await app.request('/')).headers.get('location')).toBe('/dashboard');
    const page = await app.request('/dashboard/sign-in?next=%2Fdashboard%2Fhistory');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'; script-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('same-origin');
    const html = await page.text();
    expect(html).toContain('name="next" value="/dashboard/history"');
    // No inline script anywhere: every script is a file of the dashboard.
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)/);
    const script = await app.request('/dashboard/assets/board.js');
    expect([script.status, script.headers.get('content-type'), script.headers.get('x-content-type-options')]).toEqual([200, 'text/javascript; charset=utf-8', 'nosniff']);
    // Served as written: the answers' masking leaves the dashboard's code alone.
    expect(await script.text()).not.toContain('[redacted]');
    expect((await app.request('/dashboard/assets/nothing.js')).status).toBe(404);
    expect((await app.request('/dashboard/assets/..%2Fpages%2Fboard.html')).status).toBe(404);
  });

  it('refuses a bad, a read-less, an expired and a revoked token at sign-in, each saying why', async () => {
    const cases: [string, string][] = [
      ['', 'paste an API token'],
      [`hoist_${'x'.repeat(43)}`, 'not known to Hoist'],
      [secrets.deployer!, 'token "deployer" lacks the "read" scope (it has deploy): the dashboard needs a token with the "read" scope'],
      [secrets.gone!, 'API token "gone" was revoked'],
    ];
    for (const [token, reason] of cases) {
      const res = await signIn(token);
      expect(res.status).toBe(401);
      expect(res.headers.get('set-cookie')).toBeNull();
      const html = await res.text();
      expect(errorOf(html)).toContain(reason.replaceAll('"', '&quot;'));
      // The token typed is never written back into the page.
      if (token !== '') expect(html).not.toContain(token);
    }
    clock = new Date(clock.getTime() + 120_000);
    const expired = await signIn(secrets.short!);
    expect(errorOf(await expired.text())).toContain('API token &quot;short&quot; expired at');
  });

  it('signs in once: an HttpOnly, SameSite=Strict cookie holding a session id (stored hashed), sent back to the page asked for', async () => {
    const res = await signIn(secrets.reader!);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard/history');
    const set = res.headers.get('set-cookie') ?? '';
    expect(set).toMatch(/^hoist_session=[A-Za-z0-9_-]{43};/);
    expect(set).toContain('HttpOnly');
    expect(set).toContain('SameSite=Strict');
    expect(set).toContain('Path=/');
    expect(set).not.toContain('Secure');
    const session = /^hoist_session=([^;]+)/.exec(set)![1]!;
    expect(session).not.toContain(secrets.reader!);
    const rows = await store.db.selectFrom('dashboard_sessions').selectAll().execute();
    expect(rows.some((r) => r.session_hash === hashSecret(session) && r.token_name === 'reader')).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(session);
    // Over https (here: through a proxy that says so) the cookie is Secure.
    const secure = await signIn(secrets.reader!, { 'x-forwarded-proto': 'https' });
    expect(secure.headers.get('set-cookie')).toContain('Secure');
    // Nowhere but a dashboard page: another site, or a protocol-relative address, sends the browser to the board.
    expect((await signIn(secrets.reader!, {}, '//evil.example/x')).headers.get('location')).toBe('/dashboard');
    expect((await signIn(secrets.reader!, {}, 'https://evil.example/')).headers.get('location')).toBe('/dashboard');
  });

  it('takes the sign-in form only from its own origin', async () => {
    const res = await signIn(secrets.reader!, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('reads the API with the cookie (GET only, exactly the token’s scopes and apps) and serves the pages', async () => {
    const cookie = await cookieFor(secrets['shop-only']!);
    const board = await withCookie('/dashboard', cookie);
    expect(board.status).toBe(200);
    expect(board.headers.get('cache-control')).toBe('no-store');
    expect(await board.text()).toContain('token <strong>shop-only</strong>');
    const envs = await withCookie('/api/v1/apps/shop/environments', cookie);
    expect(envs.status).toBe(200);
    const body = (await envs.json()) as { items: { autoDeploy: boolean; commitBaseUrl: string | null; awaitingApproval: unknown[]; eventId: number }[] };
    expect(body.items[0]).toMatchObject({ autoDeploy: true, commitBaseUrl: 'https://github.com/acme/shop/commit/', awaitingApproval: [], eventId: expect.any(Number) });
    expect((await withCookie('/api/v1/apps/blog/environments', cookie)).status).toBe(403);
    // The cookie never changes anything: another site could make a browser send it.
    for (const [method, path] of [
      ['POST', '/api/v1/apps/shop/environments/staging/deployments'],
      ['PUT', '/api/v1/apps/shop/environments/staging/lock'],
      ['DELETE', '/api/v1/tokens/reader'],
    ] as const) {
      const refused = await withCookie(path, cookie, { method, headers: { 'content-type': 'application/json' }, body: '{"action":"deploy"}' });
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('session cookie only reads');
    }
    // An admin's cookie can no more: the cookie reads, whatever the token.
    const admin = await cookieFor(secrets.admin!);
    expect((await withCookie('/api/v1/tokens', admin, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x","scopes":["read"]}' })).status).toBe(401);
  });

  it('ends the session with its token (revoked), at its expiry, and at sign-out', async () => {
    await make(grant('temp'));
    const revoked = await cookieFor(secrets.temp!);
    expect((await withCookie('/api/v1/apps', revoked)).status).toBe(200);
    await tokens.revoke('temp');
    const after = await withCookie('/api/v1/apps', revoked);
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { message: string } }).error.message).toContain('this dashboard session ended with its token: API token "temp" was revoked');
    const page = await withCookie('/dashboard', revoked);
    expect([page.status, page.headers.get('location')]).toEqual([303, '/dashboard/sign-in?ended=1&next=%2Fdashboard']);

    const expiring = await cookieFor(secrets.reader!);
    clock = new Date(clock.getTime() + 13 * 60 * 60 * 1000);
    const expired = await withCookie('/api/v1/apps', expiring);
    expect(((await expired.json()) as { error: { message: string } }).error.message).toContain('this dashboard session expired at');

    const leaving = await cookieFor(secrets.reader!);
    expect((await withCookie('/api/v1/apps', leaving)).status).toBe(200);
    const out = await withCookie('/dashboard/sign-out', leaving, { method: 'POST', headers: { origin: 'http://localhost', host: 'localhost' } });
    expect([out.status, out.headers.get('location')]).toEqual([303, '/dashboard/sign-in']);
    expect(out.headers.get('set-cookie')).toMatch(/^hoist_session=;.*Max-Age=0/);
    expect((await withCookie('/api/v1/apps', leaving)).status).toBe(401);
  });
});
