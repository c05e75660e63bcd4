import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { insertDeployment, type NewDeployment } from '../../src/store/deployments.ts';
import { cursorOf } from '../../src/store/event-cursors.ts';
import { appendEvent, readEvents } from '../../src/store/events.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { createTestDatabase, openTestStore, type StoreKind } from '../support/databases.ts';
import { pendingEvents, pendingNotices } from '../support/event-log.ts';
import { newDeployment } from '../support/new-deployment.ts';

const request = (env: string): NewDeployment => newDeployment({ env, ref: 'main', chat: { kind: 'shell' }, services: [] });

/** A promise and the function that resolves it. */
function gate(): { wait: Promise<void>; open(): void } {
  let open = () => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

describe('the event log on postgres, under concurrent appends', () => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  beforeAll(async () => {
    store = await openTestStore('postgres');
  });
  afterAll(async () => {
    await store.cleanup();
  });

  it('never lets a reader skip an event that a slower transaction commits later', async () => {
    const slow = (await insertDeployment(store.db, request('slow'))).id;
    const fast = (await insertDeployment(store.db, request('fast'))).id;
    const start = (await readEvents(store.db, { after: 0 })).at(-1)?.position ?? 0;

    const appended = gate();
    const release = gate();
    // The slow transaction appends first (the lower id), and commits last.
    const slowTx = store.db.transaction().execute(async (trx) => {
      await appendEvent(trx, { kind: 'queue', deploymentId: slow });
      appended.open();
      await release.wait;
    });
    await appended.wait;
    await store.db.transaction().execute((trx) => appendEvent(trx, { kind: 'queue', deploymentId: fast }));

    // A reader now sees the fast one, and moves its cursor past it.
    const first = await readEvents(store.db, { after: start });
    expect(first.map((e) => e.deploymentId)).toEqual([fast]);
    const cursor = first[0]!.position;

    release.open();
    await slowTx;
    // The slow one, committed later, still comes after the cursor: nothing was skipped.
    const next = await readEvents(store.db, { after: cursor });
    expect(next.map((e) => e.deploymentId)).toEqual([slow]);
    const ids = [...first, ...next].map((e) => e.id);
    expect(ids[1]).toBeLessThan(ids[0]!); // inserted first, yet positioned after: positions follow commits
  });

  it('gives many concurrent appenders distinct positions in commit order, each seen once', async () => {
    const id = (await insertDeployment(store.db, request('many'))).id;
    const start = (await readEvents(store.db, { after: 0, limit: 10_000 })).at(-1)?.position ?? 0;
    const seen: number[] = [];
    let cursor = start;
    const appends = Promise.all(Array.from({ length: 40 }, () => store.db.transaction().execute((trx) => appendEvent(trx, { kind: 'queue', deploymentId: id }))));
    let done = false;
    void appends.then(() => {
      done = true;
    });
    // Read while they commit, as a consumer would.
    while (!done) {
      const batch = await readEvents(store.db, { after: cursor, app: 'shop', env: 'many' });
      for (const e of batch) seen.push(e.id);
      cursor = batch.at(-1)?.position ?? cursor;
    }
    for (const e of await readEvents(store.db, { after: cursor, app: 'shop', env: 'many' })) seen.push(e.id);
    const all = (await readEvents(store.db, { after: start, app: 'shop', env: 'many', limit: 1_000 })).map((e) => e.id);
    expect(all).toHaveLength(40);
    expect(seen).toEqual(all);
  });
});

describe.each<StoreKind>(['postgres', 'pglite'])('the event log on %s', (kind) => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  beforeAll(async () => {
    store = await openTestStore(kind);
  });
  afterAll(async () => {
    await store.cleanup();
  });

  it('gives each event its deployment app and environment, and filters by them', async () => {
    const a = (await insertDeployment(store.db, request('one'))).id;
    await insertDeployment(store.db, request('two'));
    const mine = await readEvents(store.db, { after: 0, app: 'shop', env: 'one' });
    expect(mine.map((e) => [e.app, e.env, e.deploymentId, e.entry.kind])).toEqual([['shop', 'one', a, 'requested']]);
    expect(mine[0]!.position).toBeGreaterThan(0);
  });
});

/** Migrates a fresh database to just before the event log, leaves rows as the old schema had them, then migrates on. */
describe.each<StoreKind>(['postgres', 'pglite'])('migrating to the event log on %s', (kind) => {
  it('keeps undelivered events and pending notices for the chat, and nothing it delivered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoist-migrate-'));
    const database = kind === 'postgres' ? await createTestDatabase() : null;
    const handle = await openDatabase({ url: database?.url ?? null, dataDir: dir });
    try {
      const { db } = handle;
      const migrator = new Migrator({ db, provider: { getMigrations: async () => (await import('../../src/store/migrator.ts')).migrationsIn() } });
      const before = await migrator.migrateTo('0008_approval_reminders');
      expect(before.error).toBeUndefined();
      const inserted = await sql<{ id: number }>`
        insert into deployments (app, env, action, status, requested_by, requested_by_name, trigger, chat)
        values ('shop', 'old', 'deploy', 'QUEUED', 'U1', 'alice', 'chat', '{"kind":"shell"}') returning id`.execute(db);
      const id = inserted.rows[0]!.id;
      // The requested event was delivered; a queue event was not.
      await sql`insert into deployment_events (deployment_id, payload, delivered_at) values (${id}, ${JSON.stringify({ kind: 'requested', deploymentId: id })}, now())`.execute(db);
      await sql`insert into deployment_events (deployment_id, payload) values (${id}, ${JSON.stringify({ kind: 'queue', deploymentId: id })})`.execute(db);
      const lock = { app: 'shop', env: 'old', kind: 'manual', owner: { id: 'U1', name: 'alice' }, reason: null, since: new Date().toISOString(), expiresAt: null, chat: { kind: 'shell' } };
      await sql`insert into environment_notices (app, env, payload, delivered_at) values ('shop', 'old', ${JSON.stringify({ kind: 'lock-expired', lock })}, now())`.execute(db);
      await sql`insert into environment_notices (app, env, payload) values ('shop', 'old', ${JSON.stringify({ kind: 'lock-reminder', lock })})`.execute(db);

      await migrateToLatest(db);
      expect((await pendingEvents(db)).map((e) => [e.deploymentId, e.event.kind])).toEqual([[id, 'queue']]);
      expect((await pendingNotices(db)).map((n) => n.notice.kind)).toEqual(['lock-reminder']);
      expect(await cursorOf(db, 'chat')).toBe(1);
      // New events come after the migrated ones.
      await appendEvent(db, { kind: 'queue', deploymentId: id });
      expect((await readEvents(db, { after: 0 })).map((e) => e.position)).toEqual([1, 2, 3, 4]);
    } finally {
      await handle.close();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
