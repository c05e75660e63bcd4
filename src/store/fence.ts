import { AsyncLocalStorage } from 'node:async_hooks';
import { hostname } from 'node:os';
import { sql } from 'kysely';
import type { Db } from './database.ts';

/**
 * Fencing of a deployment's writes. The worker executing a deployment holds a token
 * (`deployments.fence`); everything that runs inside `withFence` has every write about
 * that deployment checked against the token in the same transaction, so a worker that
 * was taken over (frozen past its lease, cut off) can no longer change the record.
 */
export class StaleFenceError extends Error {
  readonly code = 'STALE_FENCE';
  constructor(
    readonly deploymentId: number,
    readonly token: number,
  ) {
    super(`deployment #${deploymentId} was taken over by another worker (fence ${token} is stale)`);
    this.name = 'StaleFenceError';
  }
}

interface FenceContext {
  deploymentId: number;
  token: number;
}

const storage = new AsyncLocalStorage<FenceContext>();

export function withFence<T>(deploymentId: number, token: number, fn: () => Promise<T>): Promise<T> {
  return storage.run({ deploymentId, token }, fn);
}

/** Inside a write transaction: refuses the write when this process's token for the deployment is stale. */
export async function assertFence(trx: Db, deploymentId: number): Promise<void> {
  const context = storage.getStore();
  if (!context || context.deploymentId !== deploymentId) return;
  const row = await trx
    .selectFrom('deployments')
    .select('fence')
    .where('id', '=', deploymentId)
    .forUpdate()
    .executeTakeFirst();
  if (!row || Number(row.fence) !== context.token) throw new StaleFenceError(deploymentId, context.token);
}

/**
 * The token this process holds for the deployment it writes about, for writes that check the
 * fence in their own statement (`where fence = token`, the row locked by that statement):
 * null outside `withFence` or for another deployment (nothing to check).
 */
export function fenceToken(deploymentId: number): number | null {
  const context = storage.getStore();
  return context && context.deploymentId === deploymentId ? context.token : null;
}

/**
 * After a write that checked the fence in its own statement and touched no row: the token
 * was stale (or, outside a fence, there was nothing to write; that is not an error).
 */
export function staleUnlessWritten(deploymentId: number, written: boolean): void {
  const token = fenceToken(deploymentId);
  if (!written && token !== null) throw new StaleFenceError(deploymentId, token);
}

/** `write` in a transaction that first checks the fence of the deployment it writes about. */
export function fencedWrite<T>(db: Db, deploymentId: number, write: (trx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await assertFence(trx, deploymentId);
    return write(trx);
  });
}

/** How a deployment names the process that executes it (`host:pid`). */
export function executorName(): string {
  return `${hostname()}:${process.pid}`;
}

/** Makes the caller the deployment's executor: a new token, and a fresh heartbeat. */
export async function takeFence(db: Db, deploymentId: number): Promise<number> {
  const row = await db
    .updateTable('deployments')
    .set({
      fence: sql<number>`nextval('deployment_fence_seq')`,
      heartbeat_at: sql<Date>`now()`,
      executor: executorName(),
    })
    .where('id', '=', deploymentId)
    .returning('fence')
    .executeTakeFirstOrThrow();
  return Number(row.fence);
}

export type Heartbeat = { alive: true; cancelRequested: boolean } | { alive: false };

/** Proves the executor is alive; tells it whether it still holds the deployment and whether to stop. */
export async function heartbeat(db: Db, deploymentId: number, token: number): Promise<Heartbeat> {
  const row = await db
    .updateTable('deployments')
    .set({ heartbeat_at: sql<Date>`now()` })
    .where('id', '=', deploymentId)
    .where('fence', '=', token)
    .returning('cancel_requested_at')
    .executeTakeFirst();
  return row ? { alive: true, cancelRequested: row.cancel_requested_at !== null } : { alive: false };
}

/** Milliseconds since the executor's last heartbeat (null: never executed). */
export async function heartbeatAge(db: Db, deploymentId: number): Promise<number | null> {
  const row = await db
    .selectFrom('deployments')
    .select(sql<number>`extract(epoch from (now() - heartbeat_at)) * 1000`.as('age'))
    .where('id', '=', deploymentId)
    .executeTakeFirst();
  return row?.age === null || row?.age === undefined ? null : Number(row.age);
}

export async function requestCancel(db: Db, deploymentId: number): Promise<void> {
  await db
    .updateTable('deployments')
    .set({ cancel_requested_at: sql<Date>`coalesce(cancel_requested_at, now())` })
    .where('id', '=', deploymentId)
    .execute();
}
