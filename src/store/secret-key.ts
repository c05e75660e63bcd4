import { randomBytes } from 'node:crypto';
import type { Db } from './database.ts';

const NAME = 'secrets';
const KEY_BYTES = 32;

/**
 * Hoist's key for masking secrets, made on first use. Every process offers a fresh key and
 * keeps whichever was stored first: the insert of all but one does nothing, and all read
 * the same row, however many start at once.
 */
export async function secretKey(db: Db): Promise<Buffer> {
  await db
    .insertInto('hoist_keys')
    .values({ name: NAME, key: randomBytes(KEY_BYTES) })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.selectFrom('hoist_keys').select('key').where('name', '=', NAME).executeTakeFirstOrThrow();
  return Buffer.from(row.key);
}
