import { createImageRegistry } from '../../src/engine/build/image-registry.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';
import { createGitSource } from '../../src/engine/source/git-source.ts';
import type { ActionCommand, HoistService } from '../../src/service/contract.ts';
import { createHoistService } from '../../src/service/hoist-service.ts';
import { openDatabase, type Db } from '../../src/store/database.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { openTestStore } from '../support/databases.ts';
import { freePort } from '../support/hoist-harness.ts';

const deploy: ActionCommand = { verb: 'deploy', scope: { app: 'shop', services: null }, env: 'staging', ref: null };
const asker = { requester: { id: 'U1', name: 'ada' }, origin: { kind: 'none' as const }, trigger: 'chat' as const };
const actor = { requester: asker.requester, origin: asker.origin };

/**
 * What the service answers when one of its peers is away: a deployment recorded while the
 * queue service (Redis) fails says it waits for it; one the database never took says so.
 */
describe('the service during an outage', () => {
  let repo: GitFixture;
  let cacheDir: string;
  let store: Awaited<ReturnType<typeof openTestStore>>;
  let kick: (app: string, env: string) => Promise<void>;
  let api: HoistService;

  beforeAll(() => {
    repo = createGitFixture('hoist-outage-service');
    repo.commit('v1', { Dockerfile: 'FROM scratch\n' });
    cacheDir = mkdtempSync(join(tmpdir(), 'hoist-outage-git-'));
  });
  afterAll(() => {
    repo.remove();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  function serviceOn(db: Db): HoistService {
    const config = parseHoistConfig(
      `targets:\n  engine: { kind: docker }\nregistry: { url: 127.0.0.1:5000/x }\napps:\n  shop:\n    repo: ${repo.dir}\n    services:\n      web: { type: application, build: { context: . }, port: 8080 }\n    environments:\n      staging: { target: engine }\n`,
      'hoist.yaml',
    );
    return createHoistService({
      db,
      config,
      source: createGitSource({ cacheDir, log: pino({ level: 'silent' }) }),
      registry: createImageRegistry(),
      kick: (app, env) => kick(app, env),
      notify: () => undefined,
    });
  }

  beforeEach(async () => {
    store = await openTestStore('postgres');
    api = serviceOn(store.db);
  });
  afterEach(async () => {
    await store.cleanup();
  });

  it('a kick that fails: the deployment is recorded, QUEUED, and the answer says it waits for the queue service', async () => {
    kick = () => Promise.reject(new Error('Reached the max retries per request limit (which is 3).'));
    const result = await api.request(deploy, asker);
    expect(result).toMatchObject({ ok: true, duplicate: false, waitsForQueue: true, deployment: { id: 1, status: 'QUEUED' } });
  });

  it('a kick that does not answer: after its budget, the same', async () => {
    kick = () => new Promise(() => undefined);
    const started = Date.now();
    expect(await api.request(deploy, asker)).toMatchObject({ ok: true, waitsForQueue: true, deployment: { id: 1 } });
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it('a kick that answers: nothing waits', async () => {
    kick = () => Promise.resolve();
    expect(await api.request(deploy, asker)).toMatchObject({ ok: true, waitsForQueue: false });
  });

  it('a cancel of a waiting deployment stands when the kick for the next one fails', async () => {
    kick = () => Promise.reject(new Error('Connection is closed.'));
    await api.request(deploy, asker);
    expect(await api.cancel({ kind: 'deployment', id: 1 }, actor)).toMatchObject({ ok: true, outcome: 'removed', deployment: { status: 'CANCELED' } });
  });

  it('a database that does not answer: request, cancel, lock and unlock each say nothing was recorded', async () => {
    kick = () => Promise.resolve();
    const closed = await openDatabase({ url: `postgres://postgres@127.0.0.1:${await freePort()}/hoist`, dataDir: cacheDir });
    const api = serviceOn(closed.db);
    const unavailable = (what: string, outcome: string) => ({
      ok: false,
      code: 'UNAVAILABLE',
      reason: `Hoist could not record this ${what}: its database does not answer; ${outcome}. Try again once it answers`,
    });
    expect(await api.request(deploy, asker)).toEqual(unavailable('request', 'nothing will run'));
    expect(await api.cancel({ kind: 'deployment', id: 1 }, actor)).toEqual(unavailable('cancel', 'nothing was canceled'));
    expect(await api.lockEnvironment({ app: 'shop', env: 'staging', reason: null }, actor)).toEqual(unavailable('lock', 'nothing was locked'));
    expect(await api.unlockEnvironment({ app: 'shop', env: 'staging', force: false }, actor)).toEqual(unavailable('unlock', 'the lock stays'));
    await closed.close();
  });
});
