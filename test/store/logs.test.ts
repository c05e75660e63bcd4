import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';
import { createGitSource } from '../../src/engine/source/git-source.ts';
import type { HoistService, LogQuery } from '../../src/service/contract.ts';
import { createImageRegistry } from '../../src/engine/build/image-registry.ts';
import { createHoistService } from '../../src/service/hoist-service.ts';
import { appendLogLines, lastLogLines, logLines } from '../../src/store/deployment-logs.ts';
import { insertDeployment, type NewDeployment } from '../../src/store/deployments.ts';
import { openTestStore, type StoreKind } from '../support/databases.ts';

const deployment = (over: Partial<NewDeployment> = {}): NewDeployment => ({
  app: 'shop',
  env: 'staging',
  action: 'deploy',
  ref: null,
  sha: 'a'.repeat(40),
  scope: null,
  requestedBy: { id: 'U1', name: 'alice' },
  trigger: 'chat',
  chat: { kind: 'none' },
  requestKey: null,
  services: [
    { name: 'db', type: 'database', version: 'postgres:16', previousVersion: null },
    { name: 'api', type: 'application', version: 'a'.repeat(40), previousVersion: null },
  ],
  deploymentSet: null,
  ...over,
});

const config = parseHoistConfig(
  `
targets: { engine: { kind: docker } }
apps:
  shop:
    repo: /srv/none
    services:
      db: { type: database, image: postgres:16, port: 5432 }
      api: { type: container, image: "busybox:1", port: 8080 }
    environments:
      staging: { target: engine }
`,
  join(tmpdir(), 'logs-test.yaml'),
);

describe.each<StoreKind>(['postgres', 'pglite'])("a deployment's log on %s", (kind) => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  let cacheDir: string;
  let api: HoistService;
  let id: number;
  /** Lines as written, in order: `db 1`, `api 1`, `db 2`, … and a note about the deployment. */
  const written: { service: string | null; line: string }[] = [];

  beforeAll(async () => {
    store = await openTestStore(kind);
    cacheDir = mkdtempSync(join(tmpdir(), 'hoist-logs-'));
    api = createHoistService({ db: store.db, config, source: createGitSource({ cacheDir }), registry: createImageRegistry(), kick: async () => {}, notify: () => {} });
    id = (await insertDeployment(store.db, deployment())).id;
    const other = (await insertDeployment(store.db, deployment())).id;
    for (let i = 1; i <= 6; i++) written.push({ service: 'db', line: `db ${i}` }, { service: 'api', line: `api ${i}` });
    written.push({ service: null, line: 'note about the whole deployment' });
    // Written in several batches, interleaved with another deployment's, as the engine does.
    await appendLogLines(store.db, id, written.slice(0, 5));
    await appendLogLines(store.db, other, [{ service: 'api', line: 'not this one' }]);
    await appendLogLines(store.db, id, written.slice(5));
  });

  afterAll(async () => {
    await store?.cleanup();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  const texts = (lines: { line: string }[]) => lines.map((l) => l.line);

  it('reads the last lines oldest first, of all services or of one', async () => {
    expect(texts(await lastLogLines(store.db, id, 3))).toEqual(['db 6', 'api 6', 'note about the whole deployment']);
    expect(texts(await lastLogLines(store.db, id, 3, { service: 'api' }))).toEqual(['api 4', 'api 5', 'api 6']);
    expect(texts(await lastLogLines(store.db, id, 100))).toEqual(written.map((w) => w.line));
    const [line] = await lastLogLines(store.db, id, 1);
    expect(line!.at).toBeInstanceOf(Date);
    expect(line!.service).toBeNull();
  });

  it('reads forward from a line id, of all services or of one', async () => {
    const all = await logLines(store.db, id);
    expect(texts(all)).toEqual(written.map((w) => w.line));
    expect(texts(await logLines(store.db, id, { afterId: all[3]!.id, limit: 2 }))).toEqual(['db 3', 'api 3']);
    expect(texts(await logLines(store.db, id, { afterId: all[3]!.id, limit: 2, service: 'db' }))).toEqual(['db 3', 'db 4']);
  });

  it('answers the last N lines through the service, with nothing after them', async () => {
    const result = await api.deploymentLogs(id, { tail: 2 });
    expect(result).toMatchObject({ ok: true, deploymentId: id, app: 'shop', env: 'staging', status: 'QUEUED', nextAfter: null });
    if (!result.ok) return;
    expect(texts(result.lines)).toEqual(['api 6', 'note about the whole deployment']);
    const db = await api.deploymentLogs(id, { tail: 2, service: 'db' });
    expect(db.ok && texts(db.lines)).toEqual(['db 5', 'db 6']);
  });

  it('pages forward until `nextAfter` is null, a full last page included', async () => {
    const seen: string[] = [];
    const pages: number[] = [];
    let after: number | null = null;
    do {
      const page = await api.deploymentLogs(id, { after, limit: 5 });
      if (!page.ok) throw new Error(page.reason);
      seen.push(...texts(page.lines));
      pages.push(page.lines.length);
      after = page.nextAfter;
      if (after !== null) expect(after).toBe(page.lines.at(-1)!.id);
    } while (after !== null);
    expect(pages).toEqual([5, 5, 3]);
    expect(seen).toEqual(written.map((w) => w.line));
    // 13 lines in pages of 13: one page, and it says there is no other.
    const whole = await api.deploymentLogs(id, { limit: 13 });
    expect(whole.ok && [whole.lines.length, whole.nextAfter]).toEqual([13, null]);
    const apiOnly = await api.deploymentLogs(id, { service: 'api', limit: 4 });
    expect(apiOnly.ok && texts(apiOnly.lines)).toEqual(['api 1', 'api 2', 'api 3', 'api 4']);
    const rest = await api.deploymentLogs(id, { service: 'api', after: apiOnly.ok ? apiOnly.nextAfter : null, limit: 4 });
    expect(rest.ok && [texts(rest.lines), rest.nextAfter]).toEqual([['api 5', 'api 6'], null]);
  });

  it('has no lines for a deployment that logged nothing yet', async () => {
    const quiet = (await insertDeployment(store.db, deployment())).id;
    expect(await api.deploymentLogs(quiet, { tail: 30 })).toMatchObject({ ok: true, lines: [], nextAfter: null, status: 'QUEUED' });
  });

  it.each<[string, number, LogQuery, string, RegExp]>([
    ['an unknown deployment', 999_999, {}, 'NOT_FOUND', /^there is no deployment #999999$/],
    ['a service the deployment does not have', 0, { service: 'web' }, 'UNKNOWN_SERVICE', /has no service "web"; its services: db, api$/],
    ['a tail of 0', 0, { tail: 0 }, 'BAD_REQUEST', /^tail: expected a whole number from 1 to 1000/],
    ['a tail over 1000', 0, { tail: 1001 }, 'BAD_REQUEST', /^tail: expected a whole number from 1 to 1000/],
    ['a tail and a page', 0, { tail: 5, after: 3 }, 'BAD_REQUEST', /^tail: give either `tail` \(the last N lines\) or `after`\/`limit`/],
    ['a limit that is not a number', 0, { limit: Number.NaN }, 'BAD_REQUEST', /^limit: expected a whole number from 1 to 1000 \(default 500\)$/],
    ['a negative line id', 0, { after: -1 }, 'BAD_REQUEST', /^after: expected a line id/],
  ])('refuses %s, saying what would work', async (_what, given, query, code, reason) => {
    const result = await api.deploymentLogs(given === 0 ? id : given, query);
    expect(result).toMatchObject({ ok: false, code });
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});
