import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.ts';
import { createLogger } from '../../src/logger.ts';
import { startHoist } from '../../src/main.ts';
import { tokenCommand } from '../../src/main/token-command.ts';
import { DOCKER_HOST, startTestHoist, type TestHoist } from '../support/hoist-harness.ts';

const secret = () => `hoist_${randomBytes(32).toString('base64url')}`;
const CI = secret();
const BLOG = secret();

const YAML = `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
apps:
  shop:
    repo: /srv/none
    services:
      api: { type: container, image: "busybox:1", port: 8080 }
    environments:
      staging: { target: engine, deployers: [token:ci] }
`;

/** Tokens end to end: seeded from the environment, made and revoked over the API and the CLI, the local admin token file, and a log that never holds one. */
describe('API tokens in a running Hoist', () => {
  let hoist: TestHoist;
  let files: string;
  const logLines: string[] = [];
  const logger = createLogger('trace', { write: (line: string) => void logLines.push(line) });
  const created: string[] = [];
  const as = (token: string, init: RequestInit = {}) => ({ ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` } });
  const call = (path: string, init?: RequestInit) => fetch(`${hoist.baseUrl}/api/v1${path}`, init);

  beforeAll(async () => {
    files = mkdtempSync(join(tmpdir(), 'hoist-admin-token-'));
    hoist = await startTestHoist({
      yaml: YAML,
      logger,
      env: { HOIST_API_TOKENS: `ci:read+deploy:${CI},blog-reader:read:apps=blog:${BLOG}`, HOIST_ADMIN_TOKEN_FILE: join(files, 'admin-token') },
    });
  });
  afterAll(async () => {
    await hoist?.stop();
    rmSync(files, { recursive: true, force: true });
  });

  it('accepts the tokens of HOIST_API_TOKENS with their scopes and apps', async () => {
    expect((await call('/apps/shop/environments/staging', as(CI))).status).toBe(200);
    const blog = await call('/apps/shop/environments/staging', as(BLOG));
    expect(blog.status).toBe(403);
    expect(((await blog.json()) as { error: { message: string } }).error.message).toBe('token "blog-reader" may not touch app "shop" (only blog)');
  });

  it('writes the local admin token once, readable by its owner only, and it works', async () => {
    expect(hoist.hoist.localAdmin).toEqual({ file: join(files, 'admin-token'), created: true });
    expect(statSync(join(files, 'admin-token')).mode & 0o777).toBe(0o600);
    const local = readFileSync(join(files, 'admin-token'), 'utf8').trim();
    created.push(local);
    expect((await call('/tokens', as(local))).status).toBe(200);
  });

  it('makes, lists and revokes tokens over the API, for admin tokens only', async () => {
    const denied = await call('/tokens', as(CI));
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { message: string } }).error.message).toBe('token "ci" lacks the "admin" scope (it has read, deploy)');

    const bad = await hoist.api('/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', scopes: ['push'] }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('scopes: unknown scope "push"');

    const made = await hoist.api('/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'nightly', scopes: ['read'], envs: ['staging'], expiresIn: '7d' }) });
    expect(made.status).toBe(201);
    expect(made.headers.get('cache-control')).toBe('no-store');
    const body = (await made.json()) as { secret: string; token: Record<string, unknown> };
    expect(body.secret).toMatch(/^hoist_[A-Za-z0-9_-]{43}$/);
    created.push(body.secret);
    expect(body.token).toMatchObject({ name: 'nightly', scopes: ['read'], apps: null, envs: ['staging'], actAs: null, origin: 'api', revokedAt: null });
    expect((await call('/apps/shop/environments/staging', as(body.secret))).status).toBe(200);

    const again = await hoist.api('/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'nightly', scopes: ['read'] }) });
    expect(again.status).toBe(409);

    const listed = await (await hoist.api('/tokens')).text();
    expect(listed).not.toContain(body.secret);
    expect((JSON.parse(listed) as { items: { name: string }[] }).items.map((t) => t.name)).toEqual(['blog-reader', 'ci', 'local-admin', 'nightly', 'test-admin']);

    expect((await hoist.api('/tokens/nightly', { method: 'DELETE' })).status).toBe(200);
    const after = await call('/apps/shop/environments/staging', as(body.secret));
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { message: string } }).error.message).toMatch(/^API token "nightly" was revoked at /);
    expect((await hoist.api('/tokens/nightly', { method: 'DELETE' })).status).toBe(404);
  });

  it('hoist token works through the API of a running Hoist', async () => {
    let out = '';
    const sink = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
    const env = parseEnv({});
    expect(await tokenCommand(['create', '--name', 'from-cli', '--scopes', 'read', '--server', hoist.baseUrl, '--token', hoist.apiToken!], env, sink, sink)).toBe(0);
    const made = out.trim().split('\n').at(-1)!;
    created.push(made);
    expect((await call('/apps/shop/environments/staging', as(made))).status).toBe(200);
    out = '';
    expect(await tokenCommand(['list', '--server', hoist.baseUrl, '--token', hoist.apiToken!], env, sink, sink)).toBe(0);
    expect(out).toMatch(/\nfrom-cli\s+read\s+\*\s+\*\s+itself \(token:from-cli\)\s+never\s+20\S+\s+-\s+api\n/);
    out = '';
    expect(await tokenCommand(['list', '--server', hoist.baseUrl, '--token', CI], env, sink, sink)).toBe(1);
    expect(out).toBe('hoist token: token "ci" lacks the "admin" scope (it has read, deploy)\n');
  });

  it('at a restart: the same local admin token; a token no longer in HOIST_API_TOKENS is revoked', async () => {
    const local = readFileSync(join(files, 'admin-token'), 'utf8').trim();
    await hoist.halt();
    const restarted = await startHoist({ env: parseEnv({ ...hoist.vars, HOIST_API_TOKENS: `test-admin:admin:${hoist.apiToken}` }), mode: 'start', shell: null, logger });
    try {
      expect(restarted.localAdmin).toEqual({ file: join(files, 'admin-token'), created: false });
      expect(readFileSync(join(files, 'admin-token'), 'utf8').trim()).toBe(local);
      const base = `http://127.0.0.1:${restarted.port}/api/v1`;
      expect((await fetch(`${base}/tokens`, as(local))).status).toBe(200);
      const ci = await fetch(`${base}/apps/shop/environments/staging`, as(CI));
      expect(ci.status).toBe(401);
      expect(((await ci.json()) as { error: { message: string } }).error.message).toMatch(/^API token "ci" was revoked at /);
      expect((await fetch(`${base}/apps/shop/environments/staging`, as(hoist.apiToken!))).status).toBe(200);
    } finally {
      await restarted.stop();
    }
    await hoist.resume();
  });

  it('never writes a token to its log', () => {
    const log = logLines.join('');
    expect(log).toContain('http listening');
    expect(log).toContain('API tokens no longer in HOIST_API_TOKENS revoked');
    for (const token of [CI, BLOG, hoist.apiToken!, ...created]) expect(log).not.toContain(token.slice('hoist_'.length));
  });
});
