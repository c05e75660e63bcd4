import { sql, type Selectable } from 'kysely';
import type { ChatOrigin } from '../domain/deployment.ts';
import { reminderAt, type EnvironmentLock, type EnvironmentNotice, type LockAction, type LockHistoryEntry, type LockKind } from '../domain/lock.ts';
import type { Person } from '../domain/person.ts';
import type { Db } from './database.ts';
import { appendEnvironmentEntry } from './events.ts';
import { readChatOrigin } from './json-columns.ts';
import type { EnvironmentLocksTable } from './schema.ts';

type Where = { app: string; env: string };

/** A stored lock; its times as Dates, or as text where it was read through json (the board). */
export type LockRow = Pick<Selectable<EnvironmentLocksTable>, 'app' | 'env' | 'kind' | 'owner_id' | 'owner_name' | 'reason' | 'chat'> & {
  taken_at: Date | string;
  expires_at: Date | string | null;
};

export function toLock(row: LockRow): EnvironmentLock {
  return {
    app: row.app,
    env: row.env,
    kind: row.kind as LockKind,
    owner: { id: row.owner_id, name: row.owner_name },
    reason: row.reason,
    since: new Date(row.taken_at),
    expiresAt: row.expires_at ? new Date(row.expires_at) : null,
    chat: readChatOrigin(row.chat),
  };
}

async function addHistory(trx: Db, lock: EnvironmentLock, action: LockAction, actor: Person | null): Promise<void> {
  await trx
    .insertInto('lock_history')
    .values({
      app: lock.app,
      env: lock.env,
      action,
      kind: lock.kind,
      owner_id: lock.owner.id,
      owner_name: lock.owner.name,
      actor_id: actor?.id ?? null,
      actor_name: actor?.name ?? null,
      reason: lock.reason,
    })
    .execute();
  // Every change of a lock is an event too (stream clients see locks come and go).
  await appendEnvironmentEntry(trx, lock, { kind: 'lock', action, lock, actor });
}

async function databaseNow(trx: Db): Promise<Date> {
  const row = await trx.selectNoFrom(sql<Date | string>`now()`.as('now')).executeTakeFirstOrThrow();
  return new Date(row.now);
}

/** Records a notice in the event log; the chat's consumer of the log delivers it. */
export async function recordNotice(db: Db, notice: EnvironmentNotice): Promise<void> {
  await appendEnvironmentEntry(db, notice.lock, { kind: 'notice', notice });
}

/** Locks whose time is up are released (history `expired`) and announced; scoped to one environment when given. */
async function expireLapsed(trx: Db, where: Where | null): Promise<EnvironmentLock[]> {
  let query = trx.deleteFrom('environment_locks').where('expires_at', '<=', sql<Date>`now()`);
  if (where) query = query.where('app', '=', where.app).where('env', '=', where.env);
  const rows = await query.returningAll().execute();
  const locks = rows.map(toLock);
  for (const lock of locks) {
    await addHistory(trx, lock, 'expired', null);
    await recordNotice(trx, { kind: 'lock-expired', lock });
  }
  return locks;
}

/** The environment's lock, unless there is none or its time is up. */
export async function currentLock(db: Db, app: string, env: string): Promise<EnvironmentLock | null> {
  const row = await db
    .selectFrom('environment_locks')
    .selectAll()
    .where('app', '=', app)
    .where('env', '=', env)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
    .executeTakeFirst();
  return row ? toLock(row) : null;
}

export interface TakeLock {
  app: string;
  env: string;
  kind: LockKind;
  owner: Person;
  reason: string | null;
  /** null: until unlocked. */
  ttlMs: number | null;
  chat: ChatOrigin;
}

export type TakeLockResult = { ok: true; lock: EnvironmentLock; renewed: boolean; replaced: EnvironmentLock | null } | { ok: false; heldBy: EnvironmentLock };

/**
 * Takes the environment's lock for `owner`. The owner taking it again renews it
 * (new reason and end). Someone else's lock is left alone, except by a pin, which
 * replaces whatever lock there was (history `replaced`).
 */
export async function takeLock(db: Db, input: TakeLock): Promise<TakeLockResult> {
  return db.transaction().execute(async (trx) => {
    await expireLapsed(trx, input);
    const existing = await trx
      .selectFrom('environment_locks')
      .selectAll()
      .where('app', '=', input.app)
      .where('env', '=', input.env)
      .forUpdate()
      .executeTakeFirst();
    const held = existing ? toLock(existing) : null;
    if (held && held.owner.id !== input.owner.id && input.kind !== 'pin') return { ok: false, heldBy: held };
    // The database's clock, read once: the times here are compared with its now() later.
    const since = await databaseNow(trx);
    const expiresAt = input.ttlMs === null ? null : new Date(since.getTime() + input.ttlMs);
    const values = {
      kind: input.kind,
      owner_id: input.owner.id,
      owner_name: input.owner.name,
      reason: input.reason,
      chat: JSON.stringify(input.chat),
      taken_at: since,
      expires_at: expiresAt,
      remind_at: reminderAt(since, expiresAt),
      reminded_at: null,
    };
    let replaced: EnvironmentLock | null = null;
    let renewed = false;
    if (held && held.owner.id === input.owner.id) {
      renewed = true;
      await trx.updateTable('environment_locks').set(values).where('app', '=', input.app).where('env', '=', input.env).execute();
    } else {
      if (held) {
        replaced = held;
        await addHistory(trx, held, 'replaced', input.owner);
        await trx.deleteFrom('environment_locks').where('app', '=', input.app).where('env', '=', input.env).execute();
      }
      await trx.insertInto('environment_locks').values({ app: input.app, env: input.env, ...values }).execute();
    }
    const row = await trx
      .selectFrom('environment_locks')
      .selectAll()
      .where('app', '=', input.app)
      .where('env', '=', input.env)
      .executeTakeFirstOrThrow();
    const lock = toLock(row);
    await addHistory(trx, lock, renewed ? 'renewed' : 'taken', input.owner);
    return { ok: true, lock, renewed, replaced };
  });
}

export type ReleaseLockResult = { ok: true; released: EnvironmentLock } | { ok: false; current: EnvironmentLock | null };

/**
 * Releases the environment's lock if it is still held by `expectedOwner` (what
 * the caller decided on). `forced` records it as such and announces it.
 */
export async function releaseLock(
  db: Db,
  input: Where & { expectedOwner: string; actor: Person; forced: boolean },
): Promise<ReleaseLockResult> {
  return db.transaction().execute(async (trx) => {
    await expireLapsed(trx, input);
    const row = await trx
      .deleteFrom('environment_locks')
      .where('app', '=', input.app)
      .where('env', '=', input.env)
      .where('owner_id', '=', input.expectedOwner)
      .returningAll()
      .executeTakeFirst();
    if (!row) {
      const current = await trx.selectFrom('environment_locks').selectAll().where('app', '=', input.app).where('env', '=', input.env).executeTakeFirst();
      return { ok: false, current: current ? toLock(current) : null };
    }
    const released = toLock(row);
    await addHistory(trx, released, input.forced ? 'forced' : 'released', input.actor);
    if (input.forced) await recordNotice(trx, { kind: 'lock-forced', lock: released, by: input.actor });
    return { ok: true, released };
  });
}

/** Releases every lock whose time is up; each gets history `expired` and an announcement. */
export async function expireLocks(db: Db): Promise<EnvironmentLock[]> {
  return db.transaction().execute((trx) => expireLapsed(trx, null));
}

/** Locks whose reminder is due, each exactly once (across processes): the reminder is recorded with it. */
export async function remindLocks(db: Db): Promise<EnvironmentLock[]> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .updateTable('environment_locks')
      .set({ reminded_at: sql<Date>`now()` })
      .where('reminded_at', 'is', null)
      .where('remind_at', '<=', sql<Date>`now()`)
      .where('expires_at', '>', sql<Date>`now()`)
      .returningAll()
      .execute();
    const locks = rows.map(toLock);
    for (const lock of locks) await recordNotice(trx, { kind: 'lock-reminder', lock });
    return locks;
  });
}

/** Milliseconds until the next reminder or expiry is due (0: now); null when no lock has an end. */
export async function nextLockDue(db: Db): Promise<number | null> {
  const row = await db
    .selectFrom('environment_locks')
    .select(
      sql<number | null>`extract(epoch from (min(least(case when reminded_at is null then remind_at end, expires_at)) - now())) * 1000`.as('due'),
    )
    .executeTakeFirst();
  if (row?.due === null || row?.due === undefined) return null;
  return Math.max(0, Number(row.due));
}

/** The environment's lock history, newest first. */
export async function lockHistory(db: Db, app: string, env: string, limit = 20): Promise<LockHistoryEntry[]> {
  const rows = await db
    .selectFrom('lock_history')
    .selectAll()
    .where('app', '=', app)
    .where('env', '=', env)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    app: r.app,
    env: r.env,
    action: r.action as LockAction,
    kind: r.kind as LockKind,
    owner: { id: r.owner_id, name: r.owner_name },
    actor: r.actor_id === null ? null : { id: r.actor_id, name: r.actor_name ?? r.actor_id },
    reason: r.reason,
    at: new Date(r.at),
  }));
}
