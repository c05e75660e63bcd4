import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertDeployment, setDeploymentStatus } from '../../src/store/deployments.ts';
import { deliveredUpTo, pendingEvents, pendingNotices } from '../support/event-log.ts';
import { reminderAt } from '../../src/domain/lock.ts';
import { listDeployments } from '../../src/store/history.ts';
import {
  currentLock,
  expireLocks,
  lockHistory,
  nextLockDue,
  releaseLock,
  remindLocks,
  takeLock,
  type TakeLock,
} from '../../src/store/locks.ts';
import { cancelWaiting, pickUp, unfinishedDeployments } from '../../src/store/waiting-deployments.ts';
import { eventually } from '../support/hoist-harness.ts';
import { openTestStore, type StoreKind } from '../support/databases.ts';
import { newDeployment } from '../support/new-deployment.ts';

const ALICE = { id: 'U0ALICE', name: 'alice' };
const BOB = { id: 'U0BOB', name: 'bob' };

const lockOf = (over: Partial<TakeLock> = {}): TakeLock => ({
  app: 'shop',
  env: 'production',
  kind: 'manual',
  owner: ALICE,
  reason: 'incident 88',
  ttlMs: null,
  chat: { kind: 'slack', channel: 'C1', userId: ALICE.id, reply: null },
  ...over,
});

const deployment = newDeployment;

describe.each<StoreKind>(['postgres', 'pglite'])('locks, queue and history on %s', (kind) => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  beforeAll(async () => {
    store = await openTestStore(kind);
  });
  afterAll(async () => {
    await store.cleanup();
  });

  it('holds a lock for its owner: another owner is refused, the owner renews it, the history says so', async () => {
    const taken = await takeLock(store.db, lockOf({ env: 'p1' }));
    expect(taken).toMatchObject({ ok: true, renewed: false, lock: { owner: ALICE, reason: 'incident 88', expiresAt: null, kind: 'manual' } });
    const refused = await takeLock(store.db, lockOf({ env: 'p1', owner: BOB, reason: 'mine' }));
    expect(refused).toMatchObject({ ok: false, heldBy: { owner: ALICE, reason: 'incident 88' } });
    const renewed = await takeLock(store.db, lockOf({ env: 'p1', reason: 'incident 89', ttlMs: 3_600_000 }));
    expect(renewed).toMatchObject({ ok: true, renewed: true, lock: { reason: 'incident 89' } });
    const lock = await currentLock(store.db, 'shop', 'p1');
    expect(lock!.expiresAt!.getTime() - lock!.since.getTime()).toBe(3_600_000);
    expect((await lockHistory(store.db, 'shop', 'p1')).map((h) => [h.action, h.reason])).toEqual([
      ['renewed', 'incident 89'],
      ['taken', 'incident 88'],
    ]);
  });

  it('releases only a lock still held by the expected owner; a forced release is recorded with who, and announced', async () => {
    await takeLock(store.db, lockOf({ env: 'p2' }));
    expect(await releaseLock(store.db, { app: 'shop', env: 'p2', expectedOwner: BOB.id, actor: BOB, forced: false })).toMatchObject({
      ok: false,
      current: { owner: ALICE },
    });
    const before = (await pendingNotices(store.db)).length;
    const forced = await releaseLock(store.db, { app: 'shop', env: 'p2', expectedOwner: ALICE.id, actor: BOB, forced: true });
    expect(forced).toMatchObject({ ok: true, released: { owner: ALICE } });
    expect(await currentLock(store.db, 'shop', 'p2')).toBeNull();
    const [latest] = await lockHistory(store.db, 'shop', 'p2');
    expect(latest).toMatchObject({ action: 'forced', owner: ALICE, actor: BOB, reason: 'incident 88' });
    expect(latest?.at).toBeInstanceOf(Date);
    const notices = await pendingNotices(store.db);
    expect(notices).toHaveLength(before + 1);
    expect(notices.at(-1)?.notice).toMatchObject({ kind: 'lock-forced', by: BOB, lock: { env: 'p2', owner: ALICE } });
    expect(notices.at(-1)?.notice.lock.since).toBeInstanceOf(Date);
    await deliveredUpTo(store.db, Math.max(...notices.map((n) => n.position)));
    expect(await pendingNotices(store.db)).toEqual([]);
    expect(await releaseLock(store.db, { app: 'shop', env: 'p2', expectedOwner: ALICE.id, actor: ALICE, forced: false })).toEqual({ ok: false, current: null });
  });

  it('reminds the owner once before a lock lapses, then releases it as expired', async () => {
    await takeLock(store.db, lockOf({ env: 'p3', ttlMs: 1_500 }));
    const due = await nextLockDue(store.db);
    // The reminder is due 10% (150 ms) before the end.
    expect(due).not.toBeNull();
    expect(due!).toBeLessThanOrEqual(1_350);
    const reminded = await eventually(async () => {
      const locks = await remindLocks(store.db);
      return locks.length > 0 ? locks : null;
    }, 5_000, 'the reminder');
    expect(reminded.map((l) => l.env)).toEqual(['p3']);
    expect(await remindLocks(store.db)).toEqual([]);
    const expired = await eventually(async () => {
      const locks = await expireLocks(store.db);
      return locks.length > 0 ? locks : null;
    }, 5_000, 'the expiry');
    expect(expired.map((l) => l.env)).toEqual(['p3']);
    expect(await currentLock(store.db, 'shop', 'p3')).toBeNull();
    expect((await lockHistory(store.db, 'shop', 'p3')).map((h) => [h.action, h.actor])).toEqual([
      ['expired', null],
      ['taken', ALICE],
    ]);
    const kinds = (await pendingNotices(store.db)).filter((n) => n.notice.lock.env === 'p3').map((n) => n.notice.kind);
    expect(kinds).toEqual(['lock-reminder', 'lock-expired']);
  });

  it('times the reminder by the domain rule, from the same moment the lock is taken and ends', async () => {
    const taken = await takeLock(store.db, lockOf({ env: 'p-remind', ttlMs: 3_600_000 }));
    if (!taken.ok) throw new Error('lock not taken');
    const row = await store.db.selectFrom('environment_locks').select(['taken_at', 'expires_at', 'remind_at']).where('env', '=', 'p-remind').executeTakeFirstOrThrow();
    expect(new Date(row.expires_at!).getTime() - new Date(row.taken_at).getTime()).toBe(3_600_000);
    // An hour's lock: reminded 6 minutes (10%) before it ends.
    expect(new Date(row.remind_at!)).toEqual(reminderAt(taken.lock.since, taken.lock.expiresAt));
    expect(new Date(row.expires_at!).getTime() - new Date(row.remind_at!).getTime()).toBe(360_000);
  });

  it('a lapsed lock no longer holds, and whoever locks next finds it released', async () => {
    await takeLock(store.db, lockOf({ env: 'p4', ttlMs: 1 }));
    await eventually(async () => (await currentLock(store.db, 'shop', 'p4')) === null, 5_000, 'the lock to lapse');
    const next = await takeLock(store.db, lockOf({ env: 'p4', owner: BOB }));
    expect(next).toMatchObject({ ok: true, lock: { owner: BOB } });
    expect((await lockHistory(store.db, 'shop', 'p4')).map((h) => h.action)).toEqual(['taken', 'expired', 'taken']);
  });

  it('a pin replaces whatever lock there was', async () => {
    await takeLock(store.db, lockOf({ env: 'p5' }));
    const pinned = await takeLock(store.db, lockOf({ env: 'p5', kind: 'pin', owner: { id: 'hoist', name: 'Hoist' }, reason: 'rolled back by @bob from #12' }));
    expect(pinned).toMatchObject({ ok: true, replaced: { owner: ALICE }, lock: { kind: 'pin', reason: 'rolled back by @bob from #12' } });
    expect((await lockHistory(store.db, 'shop', 'p5')).map((h) => [h.action, h.kind])).toEqual([
      ['taken', 'pin'],
      ['replaced', 'manual'],
      ['taken', 'manual'],
    ]);
  });

  it('a waiting deployment is either picked up or canceled, never both; the ones behind get a queue event', async () => {
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await insertDeployment(store.db, deployment({ env: 'q1' }))).id);
    const [first, second, third, fourth] = ids as [number, number, number, number];
    const eventsOf = async (id: number) => (await pendingEvents(store.db, 1000)).filter((e) => e.deploymentId === id).map((e) => e.event.kind);

    expect(await pickUp(store.db, first)).toEqual({ outcome: 'picked', fence: null });
    expect(await pickUp(store.db, first)).toEqual({ outcome: 'resumed', fence: null }); // a run taken over: already out of the waiting queue
    expect(await cancelWaiting(store.db, first, 'too late')).toBe(false);
    expect(await eventsOf(second)).toEqual(['requested', 'queue']);

    const [a, b] = await Promise.all([cancelWaiting(store.db, third, 'canceled by @bob'), pickUp(store.db, third)]);
    // Exactly one wins: canceled (and then it must not run), or picked up (and then it can't be removed).
    expect(b.outcome).toBe(a ? 'gone' : 'picked');

    const queue = await unfinishedDeployments(store.db, 'shop', 'q1');
    expect(queue.map((q) => q.id)).toContain(fourth);
    expect(await eventsOf(fourth)).toEqual(['requested', 'queue', 'queue']);
    if (a) {
      expect(queue.map((q) => q.id)).not.toContain(third);
      const kinds = (await pendingEvents(store.db, 1000)).filter((e) => e.deploymentId === third).map((e) => e.event);
      expect(kinds).toContainEqual({ kind: 'status', deploymentId: third, status: 'CANCELED', service: null, reason: 'canceled by @bob' });
    }
  });

  it('lists deployments newest first, a page at a time, filtered by app, environment and status', async () => {
    const made: number[] = [];
    for (let i = 0; i < 12; i++) {
      const { id } = await insertDeployment(store.db, deployment({ app: 'paged', env: i % 3 === 0 ? 'prod' : 'qa' }));
      if (i % 4 === 0) await setDeploymentStatus(store.db, id, { status: 'BUILD_ERROR', finished: true });
      made.push(id);
    }
    const newestFirst = [...made].reverse();
    const first = await listDeployments(store.db, { app: 'paged', env: null, statuses: null, beforeId: null, limit: 5 });
    expect(first.rows.map((r) => r.id)).toEqual(newestFirst.slice(0, 5));
    expect(first.more).toBe(true);
    const second = await listDeployments(store.db, { app: 'paged', env: null, statuses: null, beforeId: first.rows.at(-1)!.id, limit: 5 });
    expect(second.rows.map((r) => r.id)).toEqual(newestFirst.slice(5, 10));
    const third = await listDeployments(store.db, { app: 'paged', env: null, statuses: null, beforeId: second.rows.at(-1)!.id, limit: 5 });
    expect(third.rows.map((r) => r.id)).toEqual(newestFirst.slice(10));
    expect(third.more).toBe(false);

    const prod = await listDeployments(store.db, { app: 'paged', env: 'prod', statuses: null, beforeId: null, limit: 50 });
    expect(prod.rows.map((r) => r.id)).toEqual(newestFirst.filter((id) => made.indexOf(id) % 3 === 0));
    const failed = await listDeployments(store.db, { app: 'paged', env: null, statuses: ['BUILD_ERROR'], beforeId: null, limit: 50 });
    expect(failed.rows.map((r) => r.id)).toEqual(newestFirst.filter((id) => made.indexOf(id) % 4 === 0));
    expect(failed.rows[0]).toMatchObject({ app: 'paged', action: 'deploy', status: 'BUILD_ERROR', requestedBy: { id: 'U1', name: 'alice' }, trigger: 'chat' });
    expect(failed.rows[0]?.finishedAt).toBeInstanceOf(Date);
  });
});
