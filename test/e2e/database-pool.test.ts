import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/service/contract.ts';
import { containerAppYaml, randomName, startTestHoist, type TestHoist } from '../support/hoist-harness.ts';

const alice: Actor = { requester: { id: 'U0ALICE', name: 'alice' }, origin: { kind: 'none' } };
const ENVS = Array.from({ length: 12 }, (_, i) => `e${i + 1}`);

const yaml = (app: string) => containerAppYaml({ app, environments: `${ENVS.map((e) => `      ${e}: { target: engine }`).join('\n')}\n` });

/**
 * DATABASE_POOL_SIZE: however much work comes at once, a Hoist process holds at most that many
 * connections to Postgres (what a team sizes against its server's max_connections).
 */
describe.each([
  { size: '2', most: 2 },
  { size: null, most: 10 },
])('connections to Postgres, DATABASE_POOL_SIZE=$size', ({ size, most }) => {
  const app = randomName('pool');
  let hoist: TestHoist;
  let admin: pg.Client;

  beforeAll(async () => {
    hoist = await startTestHoist({ yaml: yaml(app), mode: 'server', ...(size === null ? {} : { env: { DATABASE_POOL_SIZE: size } }) });
    admin = new pg.Client({ connectionString: hoist.databaseUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await hoist?.stop();
  });

  /** Hoist's connections to its database now (the pool keeps them open for a while once made). */
  const hoistConnections = async (): Promise<number> =>
    (await admin.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')).rows[0]?.n ?? 0;

  it(`holds at most ${most} while ${ENVS.length} environments are locked at once, and every lock is taken`, async () => {
    const taken = await Promise.all(ENVS.map((env) => hoist.hoist.api.lockEnvironment({ app, env, reason: 'pool' }, alice)));
    expect(taken.filter((t) => !t.ok)).toEqual([]);
    const connections = await hoistConnections();
    expect(connections).toBeGreaterThan(0);
    expect(connections).toBeLessThanOrEqual(most);
    if (size === null) expect(connections, 'the burst needs more than two at once').toBeGreaterThan(2);
  });
});
