import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';
import { createImageRegistry } from '../../src/engine/build/image-registry.ts';
import { createGitSource } from '../../src/engine/source/git-source.ts';
import type { HoistService } from '../../src/service/contract.ts';
import { createHoistService } from '../../src/service/hoist-service.ts';
import { openDatabase } from '../../src/store/database.ts';
import { appendLogLines } from '../../src/store/deployment-logs.ts';
import { insertDeployment, type NewDeployment } from '../../src/store/deployments.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { fingerprinter, secretKey } from '../../src/store/secret-key.ts';
import { createTestDatabase, openTestStore, type StoreKind } from '../support/databases.ts';

const config = parseHoistConfig(
  `
targets: { engine: { kind: docker } }
apps:
  shop:
    repo: /srv/none
    services:
      web: { type: container, image: "busybox:1", port: 8080, env: { DB_PASSWORD: hunter2, GREETING: hello }, publicEnv: [GREETING] }
    environments:
      staging: { target: engine }
`,
  join(tmpdir(), 'secrets-test.yaml'),
);

const spec = (password: string) => ({
  name: 'web', type: 'container', version: 'busybox:1', image: 'busybox:1', build: null, port: 8080, expose: null,
  env: { DB_PASSWORD: password, GREETING: 'hello' }, command: null, replicas: 1, health: null, schedule: null, storage: null,
});

const deployment = (password: string): NewDeployment => ({
  app: 'shop', env: 'staging', action: 'deploy', ref: null, sha: null, scope: null,
  requestedBy: { id: 'U1', name: 'alice' }, trigger: 'chat', chat: { kind: 'none' }, requestKey: null,
  services: [{ name: 'web', type: 'container', version: 'busybox:1', previousVersion: null }],
  deploymentSet: { target: 'engine', namespace: 'shop-staging', services: [spec(password)] },
});

describe.each<StoreKind>(['postgres', 'pglite'])('secrets in the service’s answers on %s', (kind) => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  let cacheDir: string;
  let api: HoistService;
  let before: number;
  let after: number;
  let hide: (value: string) => string;

  beforeAll(async () => {
    store = await openTestStore(kind);
    cacheDir = mkdtempSync(join(tmpdir(), 'hoist-secrets-'));
    api = createHoistService({ db: store.db, config, source: createGitSource({ cacheDir }), registry: createImageRegistry(), kick: async () => {}, notify: () => {} });
    // An earlier deployment with a password the configuration no longer holds.
    before = (await insertDeployment(store.db, deployment('oldpass1'))).id;
    after = (await insertDeployment(store.db, deployment('hunter2'))).id;
    await appendLogLines(store.db, before, [{ service: 'web', line: 'connecting with oldpass1' }]);
    await appendLogLines(store.db, after, [
      { service: 'web', line: 'connecting with hunter2' },
      { service: 'web', line: 'GREETING=hello' },
    ]);
    await store.db.updateTable('deployments').set({ reason: 'web: login as admin/hunter2 refused' }).where('id', '=', after).execute();
    const fingerprint = fingerprinter(await secretKey(store.db));
    hide = (value) => `••••${fingerprint(value)}`;
  });

  afterAll(async () => {
    await store?.cleanup();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('the manifests show the password as its keyed hash and the public GREETING in clear', async () => {
    const result = await api.deploymentManifests(after);
    if (!result.ok) throw new Error(result.reason);
    expect((result.set as { services: { env: unknown }[] }).services[0]!.env).toEqual({ DB_PASSWORD: hide('hunter2'), GREETING: 'hello' });
  });

  it('the diff still says the password changed, without either value', async () => {
    const result = await api.diffDeployments(after, before);
    if (!result.ok) throw new Error(result.reason);
    expect(result.changes).toEqual([
      { path: 'services[web].env.DB_PASSWORD', kind: 'changed', before: hide('oldpass1'), after: hide('hunter2'), text: 'services[web].env.DB_PASSWORD changed' },
    ]);
    expect(result.unified).toContain(`-        "DB_PASSWORD": "${hide('oldpass1')}",`);
    expect(result.unified).toContain(`+        "DB_PASSWORD": "${hide('hunter2')}",`);
    const same = await api.diffDeployments(after, after);
    expect(same.ok && same.changes).toEqual([]);
  });

  it('log lines and reasons mask the values the deployment knows, an older password in its own log too', async () => {
    const logs = await api.deploymentLogs(after, { tail: 10 });
    if (!logs.ok) throw new Error(logs.reason);
    expect(logs.lines.map((l) => l.line)).toEqual([`connecting with ${hide('hunter2')}`, 'GREETING=hello']);
    expect(logs.reason).toBe(`web: login as admin/${hide('hunter2')} refused`);
    const old = await api.deploymentLogs(before, {});
    expect(old.ok && old.lines.map((l) => l.line)).toEqual([`connecting with ${hide('oldpass1')}`]);
    const shown = await api.getDeployment(after);
    expect(shown?.reason).toBe(`web: login as admin/${hide('hunter2')} refused`);
    expect(shown?.deploymentSet?.services[0]?.env).toEqual({ DB_PASSWORD: hide('hunter2'), GREETING: 'hello' });
    const page = await api.listDeployments({ app: 'shop' });
    expect(JSON.stringify(page)).not.toContain('hunter2');
    expect((await api.secretMasker(before)).text('oldpass1 and hunter2')).toBe(`${hide('oldpass1')} and ${hide('hunter2')}`);
  });
});

describe('the masking key', () => {
  it('is made once, whichever of several processes starting at once asks first, and kept', async () => {
    const database = await createTestDatabase();
    const handles = await Promise.all(Array.from({ length: 6 }, () => openDatabase({ url: database.url, dataDir: tmpdir() })));
    try {
      await migrateToLatest(handles[0]!.db);
      const keys = await Promise.all(handles.map((h) => secretKey(h.db)));
      expect(new Set(keys.map((k) => k.toString('hex'))).size).toBe(1);
      expect(keys[0]!.length).toBe(32);
      expect((await secretKey(handles[3]!.db)).equals(keys[0]!)).toBe(true);
      const rows = await handles[0]!.db.selectFrom('hoist_keys').select('name').execute();
      expect(rows).toEqual([{ name: 'secrets' }]);
    } finally {
      await Promise.all(handles.map((h) => h.close()));
      await database.drop();
    }
  });
});
