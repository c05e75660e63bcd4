import { createHmac, randomBytes } from 'node:crypto';
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

/** Hex characters of the keyed hash shown after `••••`: enough to tell two values apart, too few to test guesses offline without the key. */
const FINGERPRINT_LENGTH = 8;

/**
 * The keyed hash of a value, as shown after `••••` (HMAC-SHA256 with Hoist's key, truncated):
 * what answers show of a secret, and what a deployment set records of a value read from a
 * secrets directory.
 */
export function fingerprinter(key: Buffer): (value: string) => string {
  return (value) => createHmac('sha256', key).update(value, 'utf8').digest('hex').slice(0, FINGERPRINT_LENGTH);
}
