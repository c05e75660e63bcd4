import type { CardStore } from '../service/feeds.ts';
import type { Db } from './database.ts';

export function createCardStore(db: Db): CardStore {
  return {
    async get(deploymentId) {
      const row = await db.selectFrom('chat_cards').select('ref').where('deployment_id', '=', deploymentId).executeTakeFirst();
      if (!row) return null;
      return (typeof row.ref === 'string' ? JSON.parse(row.ref) : row.ref) as Record<string, string>;
    },
    async save(deploymentId, ref) {
      await db
        .insertInto('chat_cards')
        .values({ deployment_id: deploymentId, ref: JSON.stringify(ref) })
        .onConflict((oc) => oc.column('deployment_id').doUpdateSet({ ref: JSON.stringify(ref) }))
        .execute();
    },
  };
}
