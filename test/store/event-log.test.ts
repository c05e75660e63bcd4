import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { insertDeployment, type NewDeployment } from '../../src/store/deployments.ts';
import { cursorOf } from '../../src/store/event-cursors.ts';
import { boardRows } from '../../src/store/board.ts';
import { appendEvent, EVENT_LOG_LOCK, lastPosition, readEvents, sequenceEvents } from '../../src/store/events.ts';
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

  it('lets appenders commit while the log’s lock is held: only readers giving positions take it', async () => {
    const id = (await insertDeployment(store.db, request('unlocked'))).id;
    await sequenceEvents(store.db);
    const held = gate();
    const holding = gate();
    // A transaction holds the log's lock (as a reader giving positions does, until its commit).
    const holder = store.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${EVENT_LOG_LOCK})`.execute(trx);
      holding.open();
      await held.wait;
    });
    await holding.wait;
    // Appends commit meanwhile, and wait for nothing; their events have no position yet.
    await Promise.all(Array.from({ length: 5 }, () => store.db.transaction().execute((trx) => appendEvent(trx, { kind: 'queue', deploymentId: id }))));
    const unpositioned = await store.db.selectFrom('deployment_events').select('id').where('deployment_id', '=', id).where('position', 'is', null).execute();
    expect(unpositioned).toHaveLength(5);
    held.open();
    await holder;
    expect(await sequenceEvents(store.db)).toBe(5);
    expect(await sequenceEvents(store.db)).toBe(0);
  });

  it('gives positions without gaps, in id order within a batch, to appends that readers follow as they commit', async () => {
    const ids = await Promise.all(['gap-a', 'gap-b', 'gap-c'].map(async (env) => (await insertDeployment(store.db, request(env))).id));
    const start = await lastPosition(store.db);
    let done = false;
    const appends = Promise.all(
      ids.map(async (id) => {
        for (let i = 0; i < 15; i += 1) await appendEvent(store.db, { kind: 'queue', deploymentId: id });
      }),
    ).then(() => {
      done = true;
    });
    // Three readers at once, each giving positions and following the log as a consumer does.
    const follow = async () => {
      const seen: { id: number; position: number; deploymentId: number | null }[] = [];
      let cursor = start;
      for (;;) {
        const finished = done;
        const batch = await readEvents(store.db, { after: cursor });
        seen.push(...batch.map((e) => ({ id: e.id, position: e.position, deploymentId: e.deploymentId })));
        cursor = batch.at(-1)?.position ?? cursor;
        if (finished && batch.length === 0) return seen;
      }
    };
    const readers = await Promise.all([follow(), follow(), follow()]);
    await appends;
    for (const seen of readers) {
      expect(seen.map((e) => e.position)).toEqual(Array.from({ length: 45 }, (_, i) => start + i + 1));
      // Each deployment's events in the order they were appended.
      for (const id of ids) {
        const mine = seen.filter((e) => e.deploymentId === id).map((e) => e.id);
        expect(mine).toEqual([...mine].sort((x, y) => x - y));
      }
    }
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

  it('gives the board a head that names exactly the events its rows include, those without a position yet too', async () => {
    const id = (await insertDeployment(store.db, request('board'))).id;
    const before = await lastPosition(store.db);
    // Appended and committed, but not yet given positions by any reader.
    await appendEvent(store.db, { kind: 'queue', deploymentId: id });
    await appendEvent(store.db, { kind: 'queue', deploymentId: id });
    const { head } = await boardRows(store.db);
    expect(head).toBe(before + 2);
    expect(await readEvents(store.db, { after: head })).toEqual([]);
    await appendEvent(store.db, { kind: 'queue', deploymentId: id });
    expect((await readEvents(store.db, { after: head })).map((e) => e.position)).toEqual([head + 1]);
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
