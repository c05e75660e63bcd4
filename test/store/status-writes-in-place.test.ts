import { CompiledQuery, sql, type Kysely, type KyselyPlugin, type RootOperationNode } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimExpired, claimReminders, nextApprovalDue } from '../../src/store/approval-timers.ts';
import { checksChanged, claimDueChecks, claimTimedOutChecks, nextChecksDue } from '../../src/store/check-waits.ts';
import { insertDeployment, setServiceStatus } from '../../src/store/deployments.ts';
import { withFence } from '../../src/store/fence.ts';
import type { Database } from '../../src/store/schema.ts';
import { pickUp } from '../../src/store/waiting-deployments.ts';
import { openTestStore } from '../support/databases.ts';
import { newDeployment } from '../support/new-deployment.ts';

/** The table's updates so far, and how many of them were written in place (heap-only: no index touched), as this session sees them. */
async function updates(session: Kysely<Database>): Promise<{ all: number; inPlace: number }> {
  // The session's own counts reach the shared statistics when it next goes idle: after this statement.
  await sql`select pg_stat_force_next_flush()`.execute(session);
  const { rows } = await sql<{ all: string; in_place: string }>`
    select n_tup_upd as all, n_tup_hot_upd as in_place from pg_stat_user_tables where relname = 'deployments'`.execute(session);
  return { all: Number(rows[0]?.all ?? 0), inPlace: Number(rows[0]?.in_place ?? 0) };
}

/** Every statement `run` sends through `db`, as Postgres receives it (text and parameters). */
async function statementsOf(db: Kysely<Database>, run: (db: Kysely<Database>) => Promise<unknown>): Promise<CompiledQuery[]> {
  const nodes: { node: RootOperationNode; queryId: { queryId: string } }[] = [];
  const capture: KyselyPlugin = {
    transformQuery: (args) => {
      nodes.push({ node: args.node, queryId: args.queryId });
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  await run(db.withPlugin(capture));
  return nodes.map(({ node, queryId }) => db.getExecutor().compileQuery(node, queryId));
}

/** The indexes Postgres' plan for `statement` reads (names, as `explain` gives them). */
async function indexesRead(db: Kysely<Database>, statement: CompiledQuery): Promise<string[]> {
  const { rows } = await db.executeQuery<{ 'QUERY PLAN': unknown }>(CompiledQuery.raw(`explain (format json) ${statement.sql}`, [...statement.parameters]));
  return [...JSON.stringify(rows[0]?.['QUERY PLAN']).matchAll(/"Index Name":"([^"]+)"/g)].map((m) => m[1] as string);
}

describe('status writes on postgres', () => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  beforeAll(async () => {
    store = await openTestStore('postgres');
  });
  afterAll(async () => {
    await store.cleanup();
  });

  it('a deployment that starts deploying is written in place: no index of the table gets an entry', async () => {
    await store.db.connection().execute(async (session) => {
      const { id } = await insertDeployment(session, newDeployment({ env: 'in-place' }));
      // The rows recorded after it fill its page as far as the table lets inserts fill one.
      for (let n = 0; n < 60; n++) await insertDeployment(session, newDeployment({ env: `filler-${n % 20}` }));
      const picked = await pickUp(session, id, { fenced: true });
      expect(picked.outcome).toBe('picked');
      const before = await updates(session);
      // The run's first step, as a deploy's rollout records it (engine/actions/apply-service.ts).
      await withFence(id, picked.fence as number, () =>
        setServiceStatus(
          session,
          id,
          'api',
          { status: 'DEPLOYING', version: 'a'.repeat(40), image: 'registry.local/shop/api:a', environment: { status: 'DEPLOYING' } },
          { deployment: { status: 'DEPLOYING' }, state: { key: { app: 'shop', env: 'in-place', service: 'api' }, state: { status: 'DEPLOYING', deploymentId: id } } },
        ),
      );
      const after = await updates(session);
      expect(after.all - before.all).toBe(1);
      expect(after.inPlace - before.inPlace).toBe(1);
      const { rows } = await sql<{ status: string }>`select status from deployments where id = ${id}`.execute(session);
      expect(rows[0]?.status).toBe('DEPLOYING');
    });
  });

  it("the sweeps read what waits for approval or checks through those waits' own indexes, not the table's history", async () => {
    const db = store.db;
    const now = new Date();
    const later = new Date(now.getTime() + 3_600_000);
    // History: finished deployments, many; and one waiting of each kind.
    for (let n = 0; n < 200; n++) await insertDeployment(db, newDeployment({ env: `history-${n % 10}` }));
    await sql`update deployments set finished_at = now(), status = 'DEPLOYED' where finished_at is null`.execute(db);
    await insertDeployment(db, newDeployment({ env: 'approvals', awaitsApprovalUntil: later, approvalRemindAt: later }));
    await insertDeployment(db, newDeployment({ env: 'checks', awaitsChecks: { until: later, nextAt: later, waitingFor: ['ci'] } }));
    await sql`analyze deployments`.execute(db);

    const approvalReads = await statementsOf(db, async (d) => {
      await d.transaction().execute(async (trx) => {
        await claimExpired(trx, now);
        await claimReminders(trx, now);
      });
      await nextApprovalDue(d, now);
    });
    const checksReads = await statementsOf(db, async (d) => {
      await claimDueChecks(d, now, later);
      await d.transaction().execute((trx) => claimTimedOutChecks(trx, now));
      await checksChanged(d, 'b'.repeat(40), ['shop']);
      await nextChecksDue(d, now);
    });
    const reads = (statements: CompiledQuery[]) => statements.filter((s) => /deployments/.test(s.sql));
    expect(reads(approvalReads)).toHaveLength(3);
    expect(reads(checksReads)).toHaveLength(4);
    for (const statement of reads(approvalReads)) expect(await indexesRead(db, statement), statement.sql).toContain('deployments_awaiting_idx');
    for (const statement of reads(checksReads)) expect(await indexesRead(db, statement), statement.sql).toContain('deployments_awaiting_checks');
  });
});
