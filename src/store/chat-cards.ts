import type { Db } from './database.ts';
import { parseJson } from './json-columns.ts';

/** Where each deployment's chat card lives: the opaque reference the chat edge gave. */
export function createCardStore(db: Db) {
  return {
    async get(deploymentId: number): Promise<Record<string, string> | null> {
      const row = await db.selectFrom('chat_cards').select('ref').where('deployment_id', '=', deploymentId).executeTakeFirst();
      if (!row) return null;
      return parseJson(row.ref) as Record<string, string>;
    },
    async save(deploymentId: number, ref: Record<string, string>): Promise<void> {
      await db
        .insertInto('chat_cards')
        .values({ deployment_id: deploymentId, ref: JSON.stringify(ref) })
        .onConflict((oc) => oc.column('deployment_id').doUpdateSet({ ref: JSON.stringify(ref) }))
        .execute();
    },
  };
}
