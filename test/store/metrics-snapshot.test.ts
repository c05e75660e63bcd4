import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeTallies, type DeploymentTally, type MetricsRead } from '../../src/domain/metrics.ts';
import type { Db } from '../../src/store/database.ts';
import { insertDeployment } from '../../src/store/deployments.ts';
import { holdEvent, moveCursor, recordUndeliverable } from '../../src/store/event-cursors.ts';
import { sequenceEvents } from '../../src/store/events.ts';
import { takeLock } from '../../src/store/locks.ts';
import { readMetrics } from '../../src/store/metrics.ts';
import { openTestStore, type StoreKind } from '../support/databases.ts';
import { newDeployment } from '../support/new-deployment.ts';

const T0 = new Date('2026-01-01T10:00:00Z');

/** Everything read at once, from the first id on: what a process that just started sees. */
async function readMetricsSnapshot(db: Db): Promise<Omit<MetricsRead, 'settled' | 'recent'> & { deployments: DeploymentTally[] }> {
  const { settled, recent, ...rest } = await readMetrics(db, 0);
  return { ...rest, deployments: mergeTallies(settled, recent) };
}
const byKey = (t: DeploymentTally) => `${t.env}/${t.action}/${t.status}`;
const keyed = (tallies: DeploymentTally[]) => Object.fromEntries(tallies.map((t) => [byKey(t), t]));
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describe.each<StoreKind>(['postgres', 'pglite'])('the metrics snapshot on %s: one statement over deployments, locks and the event log', (kind) => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  beforeAll(async () => {
    store = await openTestStore(kind);
  });
  afterAll(async () => {
    await store?.cleanup();
  });

  /** A deployment of shop in `env` recorded, then given the status and times named (seconds after T0). */
  async function deployment(env: string, action: 'deploy' | 'restart', times: { status: string; requested: number; started: number | null; finished: number | null }): Promise<number> {
    const { id } = await insertDeployment(store.db, newDeployment({ env, action }));
    await store.db
      .updateTable('deployments')
      .set({
        status: times.status,
        requested_at: at(times.requested),
        started_at: times.started === null ? null : at(times.started),
        finished_at: times.finished === null ? null : at(times.finished),
      })
      .where('id', '=', id)
      .execute();
    return id;
  }

  it('counts finished deployments by final status, buckets their durations and waits, and counts what is unfinished', async () => {
    // staging: two deploys that took 3 s and 40 s after waiting 0.2 s and 20 s, one that failed after 700 s, a restart canceled before it started.
    await deployment('staging', 'deploy', { status: 'DEPLOYED', requested: 0, started: 0.2, finished: 3.2 });
    await deployment('staging', 'deploy', { status: 'DEPLOYED', requested: 10, started: 30, finished: 70 });
    await deployment('staging', 'deploy', { status: 'DEPLOYMENT_ERROR', requested: 100, started: 100, finished: 800 });
    await deployment('staging', 'restart', { status: 'CANCELED', requested: 200, started: null, finished: 201 });
    // production: one running (started after 2 s), one waiting behind it, one awaiting approval, one awaiting its CI checks.
    await deployment('production', 'deploy', { status: 'DEPLOYING', requested: 0, started: 2, finished: null });
    await deployment('production', 'deploy', { status: 'QUEUED', requested: 1, started: null, finished: null });
    const { id: awaiting } = await insertDeployment(store.db, newDeployment({ env: 'production', awaitsApprovalUntil: at(86_400) }));
    await insertDeployment(store.db, newDeployment({ env: 'production', awaitsChecks: { until: at(600), nextAt: at(15), waitingFor: ['lint'] } }));

    const snapshot = await readMetricsSnapshot(store.db);
    const tallies = keyed(snapshot.deployments);
    expect(Object.keys(tallies).sort()).toEqual(['production/deploy/DEPLOYING', 'staging/deploy/DEPLOYED', 'staging/deploy/DEPLOYMENT_ERROR', 'staging/restart/CANCELED']);
    // Bounds: durations 5 15 30 60 120 300 600 1800 3600; waits 1 5 15 60 300 900 3600 14400.
    expect(tallies['staging/deploy/DEPLOYED']).toEqual({
      app: 'shop',
      env: 'staging',
      action: 'deploy',
      status: 'DEPLOYED',
      finished: 2,
      duration: { count: 2, sum: 43, buckets: [1, 1, 1, 2, 2, 2, 2, 2, 2] },
      queueWait: { count: 2, sum: 20.2, buckets: [1, 1, 1, 2, 2, 2, 2, 2] },
    });
    expect(tallies['staging/deploy/DEPLOYMENT_ERROR']).toMatchObject({ finished: 1, duration: { count: 1, sum: 700, buckets: [0, 0, 0, 0, 0, 0, 0, 1, 1] }, queueWait: { count: 1, sum: 0 } });
    // Canceled before it started: counted, neither run nor waited for a start.
    expect(tallies['staging/restart/CANCELED']).toMatchObject({ finished: 1, duration: { count: 0, sum: 0 }, queueWait: { count: 0, sum: 0 } });
    // Running: not finished, but it has waited 2 s.
    expect(tallies['production/deploy/DEPLOYING']).toMatchObject({ finished: 0, duration: { count: 0 }, queueWait: { count: 1, sum: 2, buckets: [0, 1, 1, 1, 1, 1, 1, 1] } });

    expect(snapshot.environments).toEqual([{ app: 'shop', env: 'production', waiting: 1, awaitingApproval: 1, awaitingChecks: 1, running: 1 }]);
    expect(awaiting).toBeGreaterThan(0);
  });

  it('settles what has finished below the oldest unfinished deployment, and adds up from one read to the next to what one read from the start says', async () => {
    const first = await readMetrics(store.db, 0);
    // The running deployment (the oldest unfinished one) holds settling back: what finished after it stays recent.
    const running = await store.db.selectFrom('deployments').select('id').where('status', '=', 'DEPLOYING').executeTakeFirstOrThrow();
    expect(first.settledUpTo).toBe(running.id - 1);
    expect(Object.keys(keyed(first.settled)).sort()).toEqual(['staging/deploy/DEPLOYED', 'staging/deploy/DEPLOYMENT_ERROR', 'staging/restart/CANCELED']);
    // Once it ends, the rest settles too (all requested long ago), and nothing above is read twice.
    await store.db.updateTable('deployments').set({ status: 'DEPLOYED', finished_at: at(30) }).where('id', '=', running.id).execute();
    await deployment('staging', 'deploy', { status: 'DEPLOYED', requested: 300, started: 301, finished: 330 });
    const second = await readMetrics(store.db, first.settledUpTo);
    // Now the waiting one (recorded right after it) is the oldest unfinished.
    expect(second.settledUpTo).toBe(running.id);
    const kept = mergeTallies(first.settled, second.settled, second.recent);
    expect(keyed(kept)).toEqual(keyed((await readMetricsSnapshot(store.db)).deployments));
    // A deployment requested just now is never settled, finished or not: its transaction's neighbours may not be visible yet.
    await store.db.updateTable('deployments').set({ status: 'CANCELED', finished_at: new Date() }).where('finished_at', 'is', null).execute();
    const fresh = await insertDeployment(store.db, newDeployment({ env: 'staging' }));
    await store.db.updateTable('deployments').set({ status: 'CANCELED', finished_at: new Date() }).where('id', '=', fresh.id).execute();
    const third = await readMetrics(store.db, second.settledUpTo);
    expect(third.settledUpTo).toBeLessThan(fresh.id);
    expect(third.recent.some((t) => t.status === 'CANCELED')).toBe(true);
  });

  it('names locked environments, a lapsed lock not among them', async () => {
    const owner = { id: 'U1', name: 'alice' };
    expect((await takeLock(store.db, { app: 'shop', env: 'staging', kind: 'manual', owner, reason: 'freeze', ttlMs: null, chat: { kind: 'none' } })).ok).toBe(true);
    expect((await takeLock(store.db, { app: 'shop', env: 'qa', kind: 'manual', owner, reason: 'short', ttlMs: 60_000, chat: { kind: 'none' } })).ok).toBe(true);
    await store.db.updateTable('environment_locks').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('env', '=', 'qa').execute();
    expect((await readMetricsSnapshot(store.db)).locked).toEqual([{ app: 'shop', env: 'staging' }]);
  });

  it('counts each consumer’s events past its cursor and held for a retry, the oldest one’s age, and those given up on', async () => {
    await sequenceEvents(store.db);
    const events = await store.db.selectFrom('deployment_events').select(['id', 'position']).orderBy('position').execute();
    const positions = events.map((e) => Number(e.position));
    const last = Math.max(...positions);
    // The chat has delivered all but the last two; one before them waits for a retry.
    await moveCursor(store.db, 'chat', last - 2);
    const held = events.find((e) => Number(e.position) === last - 4)!;
    await holdEvent(store.db, 'chat', held.id, { attempts: 1, nextAt: at(10), lastError: 'slack down' });
    await store.db.updateTable('deployment_events').set({ created_at: sql<Date>`now() - interval '90 seconds'` }).where('id', '=', held.id).execute();
    // Two webhooks: one all delivered with one failure, one that gave up on two.
    await moveCursor(store.db, 'webhook:shop:aaaa', last);
    await recordUndeliverable(store.db, 'webhook:shop:aaaa', held.id, { attempts: 20, lastError: 'HTTP 500' });
    await moveCursor(store.db, 'webhook:shop/staging:bbbb', last);
    for (const e of events.slice(0, 2)) await recordUndeliverable(store.db, 'webhook:shop/staging:bbbb', e.id, { attempts: 20, lastError: 'HTTP 410' });

    const consumers = Object.fromEntries((await readMetricsSnapshot(store.db)).consumers.map((c) => [c.consumer, c]));
    expect(Object.keys(consumers).sort()).toEqual(['chat', 'webhook:shop/staging:bbbb', 'webhook:shop:aaaa']);
    expect(consumers.chat).toMatchObject({ pending: 3, failed: 0 });
    expect(consumers.chat!.oldestPendingSeconds).toBeGreaterThanOrEqual(90);
    expect(consumers.chat!.oldestPendingSeconds).toBeLessThan(120);
    expect(consumers['webhook:shop:aaaa']).toEqual({ consumer: 'webhook:shop:aaaa', pending: 0, oldestPendingSeconds: null, failed: 1 });
    expect(consumers['webhook:shop/staging:bbbb']).toEqual({ consumer: 'webhook:shop/staging:bbbb', pending: 0, oldestPendingSeconds: null, failed: 2 });
  });
});
