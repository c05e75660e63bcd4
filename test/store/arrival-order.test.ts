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

  it('a request that fails leaves neither its lock nor a transaction behind it', async () => {
    // A service without a name breaks the insert after the lock was taken: its statement is rolled back, and the lock goes with it.
    const broken = newDeployment({ env: 'after-failure', services: [{ name: null as unknown as string, type: 'application', version: null, previousVersion: null }] });
    await expect(insertDeployment(store.db, broken)).rejects.toThrow(/null value/);
    // Every connection of the pool takes the next requests as before (one left in a failed transaction would refuse them).
    const after = await Promise.all(Array.from({ length: 12 }, (_, i) => insertDeployment(store.db, newDeployment({ env: 'after-failure', ref: `ok${i}` }))));
    expect(after.every((one) => one.status === 'QUEUED')).toBe(true);
    const recorded = await store.db.selectFrom('deployments').select('id').where('env', '=', 'after-failure').execute();
    expect(recorded).toHaveLength(12);
  });
});
