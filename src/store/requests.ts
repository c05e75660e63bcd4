import { sql } from 'kysely';
import { parseJson } from './json-columns.ts';
import type { Db } from './database.ts';

/** A request's identity as the store saw it: new (claimed now), answered before, or claimed and not answered yet. */
export type StoredClaim = { state: 'claimed' } | { state: 'answered'; answer: unknown } | { state: 'pending'; claimedAt: Date };

/**
 * Claims `key` for whoever carries the request out. A claim left unanswered since
 * before `staleBefore` (its process died mid-way) is taken over.
 */
export async function claimRequest(db: Db, key: string, staleBefore: Date): Promise<StoredClaim> {
  const inserted = await db.insertInto('requests').values({ key }).onConflict((oc) => oc.column('key').doNothing()).returning('key').executeTakeFirst();
  if (inserted) return { state: 'claimed' };
  const taken = await db
    .updateTable('requests')
    .set({ claimed_at: sql<Date>`now()` })
    .where('key', '=', key)
    .where('answer', 'is', null)
    .where('claimed_at', '<', staleBefore)
    .returning('key')
    .executeTakeFirst();
  if (taken) return { state: 'claimed' };
  return readClaim(db, key);
}

/** What is known of `key` now; a claim released meanwhile reads as pending, and the next claim takes it. */
async function readClaim(db: Db, key: string): Promise<StoredClaim> {
  const row = await db.selectFrom('requests').select(['answer', 'claimed_at']).where('key', '=', key).executeTakeFirst();
  if (row === undefined) return { state: 'pending', claimedAt: new Date(0) };
  if (row.answer !== null) return { state: 'answered', answer: parseJson(row.answer) };
  return { state: 'pending', claimedAt: new Date(row.claimed_at) };
}

/** Keeps the first answer to `key`; replays get it again. */
export async function answerRequest(db: Db, key: string, answer: unknown): Promise<void> {
  await db.updateTable('requests').set({ answer: JSON.stringify(answer) }).where('key', '=', key).where('answer', 'is', null).execute();
}

/** Gives `key` up unanswered (carrying it out failed), so that a retry carries it out. */
export async function releaseRequest(db: Db, key: string): Promise<void> {
  await db.deleteFrom('requests').where('key', '=', key).where('answer', 'is', null).execute();
}

/** Forgets requests claimed before `before`; returns how many. */
export async function sweepRequests(db: Db, before: Date): Promise<number> {
  const result = await db.deleteFrom('requests').where('claimed_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
