import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvironmentBoard } from '../../src/service/environment-board.ts';
import type { Db } from '../../src/store/database.ts';
import { lastPosition, readEvents, sequenceEvents } from '../../src/store/events.ts';
import { releaseLock, takeLock } from '../../src/store/locks.ts';
import { eventually } from '../support/hoist-harness.ts';
import { alice, asking, bob, command, openServiceFixture, type ServiceFixture } from './service-fixture.ts';

/**
 * A database handle that counts the statements sent through it and can hold back the
 * answer of the next one (until `release`), so a refresh can be caught in the middle.
 */
function countingDb(db: Db) {
  let hold: { arrived: () => void; release: Promise<void> } | null = null;
  const probe = {
    statements: 0,
    /** The next statement's answer waits for the returned release(); `arrived` resolves once the database answered it. */
    holdNext(): { arrived: Promise<void>; release: () => void } {
      let arrived!: () => void;
      let release!: () => void;
      const arrivedP = new Promise<void>((r) => (arrived = r));
      hold = { arrived, release: new Promise<void>((r) => (release = r)) };
      return { arrived: arrivedP, release };
    },
  };
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      probe.statements += 1;
      return args.node;
    },
    async transformResult(args) {
      const held = hold;
      if (held !== null) {
        hold = null;
        held.arrived();
        await held.release;
      }
      return args.result;
    },
  };
  return { db: db.withPlugin(plugin), probe };
}

describe.each(['pglite', 'postgres'] as const)('the environments kept in memory (%s)', (store) => {
  let f: ServiceFixture;
  beforeAll(async () => {
    f = await openServiceFixture({ store, environments: { staging: '{ target: engine }', qa: '{ target: engine }', perf: '{ target: engine }', dev: '{ target: engine }' } });
  });
  afterAll(async () => {
    await f?.close();
  });

  const lockIn = (env: string, ttlMs: number | null = null) =>
    takeLock(f.db, { app: 'shop', env, kind: 'manual', owner: { id: 'U0OTHER', name: 'other' }, reason: 'elsewhere', ttlMs, chat: { kind: 'shell' } });
  /** The log's readers (the event consumers, woken by the events signal) give the events appended so far their positions. */
  const positioned = () => sequenceEvents(f.db);
  const unlock = (env: string) => releaseLock(f.db, { app: 'shop', env, expectedOwner: 'U0OTHER', actor: { id: 'U0OTHER', name: 'other' }, forced: false });

  it('tells whether the view it keeps showed a lock, without reading: nothing kept, locked, unlocked, lapsed', async () => {
    const { db, probe } = countingDb(f.db);
    let at = 0;
    const board = createEnvironmentBoard({ db, config: f.config, clock: () => at });
    expect(board.lockedAsLastSeen('shop', 'dev')).toBeNull();
    expect(probe.statements).toBe(0);
    await lockIn('dev');
    await board.view('shop', 'dev');
    expect(board.lockedAsLastSeen('shop', 'dev')).toBe(true);
    expect(board.lockedAsLastSeen('shop', 'nowhere')).toBeNull();
    await unlock('dev');
    // What it keeps, however old: still the lock, until a read refreshes it.
    at = 10_000;
    const statements = probe.statements;
    expect(board.lockedAsLastSeen('shop', 'dev')).toBe(true);
    expect(probe.statements).toBe(statements);
    await board.view('shop', 'dev');
    expect(board.lockedAsLastSeen('shop', 'dev')).toBe(false);
    await lockIn('dev', 1);
    at = 20_000;
    await board.view('shop', 'dev');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(board.lockedAsLastSeen('shop', 'dev')).toBe(false);
    await unlock('dev');
  });

  it("a caller's own request, lock and cancel are in its next read", async () => {
    expect((await f.view('staging')).queue).toEqual([]);
    const d = await f.request(command.deploy('staging', { services: ['db'] }), asking(alice));
    expect((await f.view('staging')).queue).toMatchObject([{ id: d.id, action: 'deploy', position: 1, requestedBy: { id: 'U0ALICE' } }]);

    const locked = await f.service.lockEnvironment({ app: 'shop', env: 'staging', reason: 'freeze' }, bob);
    expect(locked.ok).toBe(true);
    expect((await f.view('staging')).lock).toMatchObject({ owner: { id: 'U0BOB' }, reason: 'freeze' });

    expect(await f.service.cancel({ kind: 'deployment', id: d.id }, alice)).toMatchObject({ ok: true, outcome: 'removed' });
    expect((await f.view('staging')).queue).toEqual([]);
    expect(await f.service.unlockEnvironment({ app: 'shop', env: 'staging', force: false }, bob)).toMatchObject({ ok: true });
    expect((await f.view('staging')).lock).toBeNull();
  });

  it('reads are served from memory: one statement for every environment, none while what is kept is current', async () => {
    const { db, probe } = countingDb(f.db);
    let at = 0;
    const board = createEnvironmentBoard({ db, config: f.config, clock: () => at });
    const first = await board.view('shop', 'qa');
    expect(first).toMatchObject({ app: 'shop', env: 'qa', status: 'NEVER_DEPLOYED', queue: [], lock: null });
    expect(probe.statements).toBe(1);
    at = 100;
    for (const env of ['qa', 'perf', 'dev', 'staging']) expect(await board.view('shop', env)).toMatchObject({ env });
    expect(await board.view('shop', 'nowhere')).toBeNull();
    expect(probe.statements).toBe(1);
  });

  it('concurrent reads during a refresh share it (single flight)', async () => {
    const { db, probe } = countingDb(f.db);
    const board = createEnvironmentBoard({ db, config: f.config, clock: () => 0 });
    const views = await Promise.all(Array.from({ length: 200 }, (_, i) => board.view('shop', i % 2 === 0 ? 'qa' : 'perf')));
    expect(views.every((v) => v !== null)).toBe(true);
    expect(probe.statements).toBe(1);
    board.invalidate();
    await Promise.all(Array.from({ length: 200 }, () => board.view('shop', 'qa')));
    expect(probe.statements).toBe(2);
  });

  it('a write made while a refresh runs is in the next read: that read waits for a refresh of its own, and the older one does not overwrite it', async () => {
    const { db, probe } = countingDb(f.db);
    const board = createEnvironmentBoard({ db, config: f.config, clock: () => 0 });
    const held = probe.holdNext();
    const before = board.view('shop', 'perf');
    await held.arrived; // the first refresh has its rows (no lock yet), held back
    expect((await lockIn('perf')).ok).toBe(true);
    await positioned();
    board.invalidate();
    expect((await board.view('shop', 'perf'))?.lock).toMatchObject({ owner: { id: 'U0OTHER' } });
    expect(probe.statements).toBe(2);
    held.release();
    expect((await before)?.lock).toBeNull();
    expect((await board.view('shop', 'perf'))?.lock).toMatchObject({ owner: { id: 'U0OTHER' } });
    expect(probe.statements).toBe(2);
    await unlock('perf');
  });

  it("another process's write, announced, is read well within a second, and unannounced once what is kept is a second old", async () => {
    const { db, probe } = countingDb(f.db);
    let at = 0;
    const board = createEnvironmentBoard({ db, config: f.config, clock: () => at });
    expect((await board.view('shop', 'dev'))?.lock).toBeNull();
    // Unannounced: served from memory until it is a second old.
    expect((await lockIn('dev')).ok).toBe(true);
    await positioned();
    at = 400;
    expect((await board.view('shop', 'dev'))?.lock).toBeNull();
    at = 1_000;
    expect((await board.view('shop', 'dev'))?.lock).toMatchObject({ reason: 'elsewhere' });
    const afterAge = probe.statements;

    // Announced (the events signal): the read that follows starts a refresh, reads go on meanwhile.
    await unlock('dev');
    await positioned();
    const announcedAt = Date.now();
    board.changed();
    await eventually(async () => (await board.view('shop', 'dev'))?.lock === null, 1_000, 'the unlock of another process');
    expect(Date.now() - announcedAt).toBeLessThan(1_000);
    expect(probe.statements).toBe(afterAge + 1);
  });

  it('a refresh while events wait for their positions gives them theirs under the log’s lock: the view still names exactly the events it includes', async () => {
    const { db, probe } = countingDb(f.db);
    const board = createEnvironmentBoard({ db, config: f.config, clock: () => 0 });
    await positioned();
    expect((await board.view('shop', 'perf'))?.lock).toBeNull();
    expect(probe.statements).toBe(1);
    expect((await lockIn('perf')).ok).toBe(true);
    const before = await f.db.selectFrom('deployment_events').select('id').where('position', 'is', null).execute();
    expect(before.length).toBeGreaterThan(0);
    board.invalidate();
    const view = (await board.view('shop', 'perf'))!;
    expect(view.lock).toMatchObject({ owner: { id: 'U0OTHER' } });
    // The read, then the lock and the read that gives positions.
    expect(probe.statements).toBe(4);
    expect(await f.db.selectFrom('deployment_events').select('id').where('position', 'is', null).execute()).toEqual([]);
    expect(view.eventId).toBe(await lastPosition(f.db));
    await unlock('perf');
  });

  it('a lock whose time is up is not shown, before any sweep released it', async () => {
    let wall = new Date();
    const board = createEnvironmentBoard({ db: f.db, config: f.config, clock: () => 0, now: () => wall });
    expect((await lockIn('qa', 60_000)).ok).toBe(true);
    expect((await board.view('shop', 'qa'))?.lock).toMatchObject({ owner: { id: 'U0OTHER' } });
    wall = new Date(wall.getTime() + 61_000);
    expect((await board.view('shop', 'qa'))?.lock).toBeNull();
    await unlock('qa');
  });

  it('a view names the last event it includes: its own request is in it, the next change after it', async () => {
    const board = createEnvironmentBoard({ db: f.db, config: f.config, maxAgeMs: 0 });
    const before = (await board.view('shop', 'dev'))!;
    expect(before.eventId).toBe(await lastPosition(f.db));
    const d = await f.request(command.deploy('dev', { services: ['db'] }), asking(bob));
    const after = (await board.view('shop', 'dev'))!;
    expect(after.queue.map((q) => q.id)).toEqual([d.id]);
    // Its requested event is at or below the view's event id; nothing after it was left out.
    const requested = (await readEvents(f.db, { after: before.eventId, app: 'shop', env: 'dev' })).find((e) => e.deploymentId === d.id && e.entry.kind === 'requested');
    expect(requested?.position).toBeGreaterThan(before.eventId);
    expect(requested!.position).toBeLessThanOrEqual(after.eventId);
    expect(after.eventId).toBe(await lastPosition(f.db));
    expect(requested?.entry).toMatchObject({ kind: 'requested', action: 'deploy', status: 'QUEUED', requestedBy: { id: 'U0BOB' } });
    await f.service.cancel({ kind: 'deployment', id: d.id }, bob);
  });
});
