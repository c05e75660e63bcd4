import type { Selectable } from 'kysely';
import type { Scope } from '../domain/api-token.ts';
import type { ApiTokenRecord, TokenGrant, TokenOrigin } from '../domain/api-token-record.ts';
import type { Db } from './database.ts';
import { parseJson } from './json-columns.ts';
import type { ApiTokensTable } from './schema.ts';

export type StoredToken = ApiTokenRecord & { secretHash: string };

const date = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

function toToken(row: Selectable<ApiTokensTable>): StoredToken {
  return {
    name: row.name,
    secretHash: row.secret_hash,
    scopes: parseJson(row.scopes) as Scope[],
    apps: (parseJson(row.apps) as string[] | null) ?? null,
    envs: (parseJson(row.envs) as string[] | null) ?? null,
    actAs: row.act_as,
    origin: row.origin as TokenOrigin,
    expiresAt: date(row.expires_at),
    createdAt: new Date(row.created_at),
    lastUsedAt: date(row.last_used_at),
    revokedAt: date(row.revoked_at),
  };
}

const columns = (grant: TokenGrant, secretHash: string, origin: TokenOrigin) => ({
  secret_hash: secretHash,
  scopes: JSON.stringify(grant.scopes),
  apps: grant.apps === null ? null : JSON.stringify(grant.apps),
  envs: grant.envs === null ? null : JSON.stringify(grant.envs),
  act_as: grant.actAs,
  origin,
  expires_at: grant.expiresAt,
});

export async function findTokenByHash(db: Db, secretHash: string): Promise<StoredToken | null> {
  const row = await db.selectFrom('api_tokens').selectAll().where('secret_hash', '=', secretHash).executeTakeFirst();
  return row ? toToken(row) : null;
}

export async function findToken(db: Db, name: string): Promise<StoredToken | null> {
  const row = await db.selectFrom('api_tokens').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? toToken(row) : null;
}

export async function listTokens(db: Db): Promise<StoredToken[]> {
  return (await db.selectFrom('api_tokens').selectAll().orderBy('name').execute()).map(toToken);
}

/**
 * A new token: false when a token of that name is in use. A revoked token of the same name
 * is replaced (a name can be given again once its token is revoked).
 */
export async function insertToken(db: Db, grant: TokenGrant, secretHash: string, origin: TokenOrigin): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('api_tokens').where('name', '=', grant.name).where('revoked_at', 'is not', null).execute();
    const inserted = await trx
      .insertInto('api_tokens')
      .values({ name: grant.name, ...columns(grant, secretHash, origin) })
      .onConflict((oc) => oc.column('name').doNothing())
      .returning('name')
      .executeTakeFirst();
    return inserted !== undefined;
  });
}

/** Sets a token's every field (its secret, what it may do, where it came from), created again and no longer revoked. */
export async function replaceToken(db: Db, grant: TokenGrant, secretHash: string, origin: TokenOrigin): Promise<void> {
  const values = columns(grant, secretHash, origin);
  await db
    .insertInto('api_tokens')
    .values({ name: grant.name, ...values })
    .onConflict((oc) => oc.column('name').doUpdateSet({ ...values, created_at: new Date(), last_used_at: null, revoked_at: null }))
    .execute();
}

/** Revokes a token in use; false when there is none of that name (or it is revoked already). */
export async function revokeToken(db: Db, name: string, at: Date): Promise<boolean> {
  const result = await db.updateTable('api_tokens').set({ revoked_at: at }).where('name', '=', name).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Revokes the tokens from `origin` that are in use and not named in `keep`; returns their names. */
export async function revokeOtherTokens(db: Db, origin: TokenOrigin, keep: readonly string[], at: Date): Promise<string[]> {
  let query = db.updateTable('api_tokens').set({ revoked_at: at }).where('origin', '=', origin).where('revoked_at', 'is', null);
  if (keep.length > 0) query = query.where('name', 'not in', keep);
  return (await query.returning('name').execute()).map((r) => r.name);
}

export async function touchToken(db: Db, name: string, at: Date): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: at }).where('name', '=', name).execute();
}
