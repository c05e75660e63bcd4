import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/store/schema.ts';
import { insertDeployment } from '../../src/store/deployments.ts';
import { pickingUp } from '../../src/store/waiting-deployments.ts';
import { openTestStore } from '../support/databases.ts';
import { newDeployment } from '../support/new-deployment.ts';

interface PlanNode {
  'Subplan Name'?: string;
  'Shared Hit Blocks': number;
  'Shared Read Blocks': number;
  Plans?: PlanNode[];
}

/** `explain (analyze, buffers)` of one statement: its plan, each node with the shared buffers it touched (functions it calls included). */
async function planOf(db: Kysely<Database>, statement: ReturnType<typeof sql>): Promise<PlanNode> {
  const { rows } = await sql<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>`explain (analyze, buffers, format json) ${statement}`.execute(db);
  const plan = rows[0]?.['QUERY PLAN'][0].Plan;
  if (plan === undefined) throw new Error('no plan');
  return plan;
}

const buffers = (node: PlanNode): number => node['Shared Hit Blocks'] + node['Shared Read Blocks'];

/** The node of the plan named `name` (a common table expression is `CTE <name>`). */
function nodeNamed(node: PlanNode, name: string): PlanNode | undefined {
  if (node['Subplan Name'] === name) return node;
  for (const child of node.Plans ?? []) {
    const found = nodeNamed(child, name);
    if (found) return found;
  }
  return undefined;
}

/** `count` copies of deployment `id` in environments `hist-0` … `hist-9` of its app, finished or waiting. */
async function copies(db: Kysely<Database>, id: number, count: number, state: 'finished' | 'waiting'): Promise<void> {
  const finished = state === 'finished' ? sql`now()` : sql`null`;
  await sql`
    insert into deployments
    select (jsonb_populate_record(null::deployments, to_jsonb(d) || jsonb_build_object(
      'id', nextval(pg_get_serial_sequence('deployments', 'id')),
      'env', 'hist-' || (g % 10),
      'queue_order', nextval('deployment_queue_order'),
      'finished_at', ${finished},
      'status', ${state === 'finished' ? 'DEPLOYED' : 'QUEUED'}::text
    ))).*
    from deployments d cross join generate_series(1, ${count}) g
    where d.id = ${id}`.execute(db);
}

/**
 * An environment's queue is read through its own range of the queue index, whatever the
 * statistics say: a table never analyzed (a fresh install) and plans made while it was empty
 * (cached in the session, as a pooled connection keeps them) must not read the app's history.
 */
describe('queue reads on postgres, before the tables have statistics', () => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  beforeAll(async () => {
    store = await openTestStore('postgres');
  });
  afterAll(async () => {
    await store.cleanup();
  });

  it('a request reads the queue ahead of it, not every deployment its app ever had', async () => {
    await store.db.connection().execute(async (session) => {
      // Rounds of requests to 50 environments of one app, each round finished before the next:
      // the plans this session keeps for the function's query are made while the table is small.
      for (let round = 0; round < 20; round++) {
        for (let e = 0; e < 50; e++) await insertDeployment(session, newDeployment({ env: `round-${e}` }));
        await sql`update deployments set finished_at = now(), status = 'DEPLOYED' where finished_at is null`.execute(session);
      }
      await insertDeployment(session, newDeployment({ env: 'round-5' }));
      const touched = buffers(await planOf(session, sql`select arrival_queue_before('shop', 'round-5', 0)`));
      // The queue's range of the index and its one row: a few pages (the app's history: hundreds).
      expect(touched).toBeLessThan(30);
    });
  });

  it('a pick-up reads the queue behind the deployment, not the waiting ones of every environment', async () => {
    await store.db.connection().execute(async (session) => {
      const first = await insertDeployment(session, newDeployment({ env: 'c' }));
      await insertDeployment(session, newDeployment({ env: 'c' }));
      const { id } = await insertDeployment(session, newDeployment({ env: 'waiting-template' }));
      await copies(session, id, 3_000, 'waiting');
      const plan = await planOf(session, sql`${pickingUp(first.id, { fenced: false, returning: sql`app, env, queue_order` })} select (select count(*) from moved) as moved`);
      // What reading the ones behind touched: the `moved` part, less the update it waits for (`picked`, counted within it).
      const moving = nodeNamed(plan, 'CTE moved');
      const picking = nodeNamed(plan, 'CTE picked');
      expect(moving && picking).toBeTruthy();
      expect(buffers(moving!) - buffers(picking!)).toBeLessThan(30);
      const moved = await session.selectFrom('deployment_events').select('kind').where('app', '=', 'shop').where('env', '=', 'c').where('kind', '=', 'queue').execute();
      expect(moved).toHaveLength(1);
    });
  });
});
