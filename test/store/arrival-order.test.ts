import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertDeployment } from '../../src/store/deployments.ts';
import { openTestStore } from '../support/databases.ts';
import { newDeployment } from '../support/new-deployment.ts';

/** Requests to one environment sent at once, as many connections would send them. */
describe('arrival order on postgres, under concurrent requests to one environment', () => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  beforeAll(async () => {
    store = await openTestStore('postgres');
  });
  afterAll(async () => {
    await store.cleanup();
  });

  it('gives ids and queue places in the order requests are recorded, and each sees every one before it', async () => {
    const inserted = await Promise.all(
      Array.from({ length: 30 }, (_, i) => insertDeployment(store.db, newDeployment({ env: 'arrivals', ref: `r${i}` }))),
    );
    const rows = await store.db.selectFrom('deployments').select(['id', 'queue_order']).where('env', '=', 'arrivals').orderBy('queue_order').execute();
    // The queue's order is the ids' order: whoever runs first arrived first.
    expect(rows.map((r) => r.id)).toEqual([...rows.map((r) => r.id)].sort((a, b) => a - b));
    // Each request's answer knew every request recorded before it (none had run yet).
    for (const one of inserted) {
      const queue = one.recorded?.queue ?? [];
      expect(queue.at(-1)).toBe(one.id);
      expect(queue, `#${one.id}'s queue`).toEqual(rows.map((r) => r.id).filter((id) => id <= one.id));
    }
  });
});
