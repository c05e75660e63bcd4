import { sql } from 'kysely';
import type { SeenHeads } from '../domain/poll.ts';
import type { Db } from './database.ts';
import { parseJson } from './json-columns.ts';

export interface PollKey {
  /** SHA-256 of the repository URL. */
  key: string;
  /** The repository as people may read it (credentials masked). */
  name: string;
}

export type PollClaim = { held: true; seen: SeenHeads } | { held: false; holder: string; until: Date };

/**
 * Takes or keeps the polling of a repository: it is this process's when nobody holds it, when
 * this process already does, or when the holder's lease has lapsed (it died, or stopped). The
 * database's clock decides, so processes on machines whose clocks differ agree.
 */
export async function claimPoll(db: Db, repo: PollKey, holder: string, leaseMs: number): Promise<PollClaim> {
  const until = sql<Date>`now() + ${leaseMs} * interval '1 millisecond'`;
  const row = await db
    .insertInto('git_polls')
    .values({ repo_key: repo.key, repo_name: repo.name, holder, lease_until: until, heads: null })
    .onConflict((oc) =>
      oc
        .column('repo_key')
        .doUpdateSet({ holder, lease_until: until, repo_name: repo.name })
        .where((eb) => eb.or([eb('git_polls.holder', '=', holder), eb('git_polls.lease_until', '<', sql<Date>`now()`)])),
    )
    .returning(['heads'])
    .executeTakeFirst();
  if (row) return { held: true, seen: (parseJson(row.heads) as SeenHeads) ?? null };
  const current = await db.selectFrom('git_polls').select(['holder', 'lease_until']).where('repo_key', '=', repo.key).executeTakeFirstOrThrow();
  return { held: false, holder: current.holder, until: new Date(current.lease_until) };
}

/**
 * Remembers the heads a check saw, if this process still holds the polling and nobody
 * recorded other heads since it read them: false otherwise (another check's result stands).
 */
export async function recordHeads(db: Db, repo: PollKey, holder: string, before: SeenHeads, after: Record<string, string>): Promise<boolean> {
  const updated = await db
    .updateTable('git_polls')
    .set({ heads: JSON.stringify(after), checked_at: sql<Date>`now()` })
    .where('repo_key', '=', repo.key)
    .where('holder', '=', holder)
    .where(before === null ? sql<boolean>`heads is null` : sql<boolean>`heads = ${JSON.stringify(before)}::jsonb`)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/** Lets the lease go at once (a clean stop): another process takes over at its next check. */
export async function releasePoll(db: Db, repo: PollKey, holder: string): Promise<void> {
  await db.updateTable('git_polls').set({ lease_until: sql<Date>`now()` }).where('repo_key', '=', repo.key).where('holder', '=', holder).execute();
}

/** Who polls a repository, and the heads last seen (null: nobody has polled it yet). */
export async function pollState(db: Db, key: string): Promise<{ holder: string; until: Date; seen: SeenHeads; checkedAt: Date | null } | null> {
  const row = await db.selectFrom('git_polls').selectAll().where('repo_key', '=', key).executeTakeFirst();
  if (!row) return null;
  return { holder: row.holder, until: new Date(row.lease_until), seen: (parseJson(row.heads) as SeenHeads) ?? null, checkedAt: row.checked_at ? new Date(row.checked_at) : null };
}
