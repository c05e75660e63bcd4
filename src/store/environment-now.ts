import { sql, type RawBuilder } from 'kysely';
import type { Deployment } from '../domain/deployment.ts';
import type { EnvironmentLock } from '../domain/lock.ts';
import type { Db } from './database.ts';
import { deploymentsWithServices, toDeployment } from './deployments.ts';
import { parseJson } from './json-columns.ts';
import { toLock, type LockRow } from './locks.ts';
import { toStateRow, type ServiceStateRow } from './service-state.ts';

/** An environment as a request or a run starts in it: the lock in force (null: none) and what runs there, by service. */
export interface EnvironmentNow {
  lock: EnvironmentLock | null;
  states: ServiceStateRow[];
}

/** An app or environment name: a value, or a column of the row being read. */
type Name = string | RawBuilder<unknown>;

/** The environment's lock in force, as json (null: none); what currentLock reads. */
const lockJson = (app: Name, env: Name) =>
  sql<unknown>`(select row_to_json(l) from environment_locks l where l.app = ${app} and l.env = ${env} and (l.expires_at is null or l.expires_at > now()))`;

/** What runs in the environment, by service, as json; what serviceStates reads. */
const statesJson = (app: Name, env: Name) =>
  sql<unknown>`(select coalesce(json_agg(s order by s.service), '[]'::json) from service_state s where s.app = ${app} and s.env = ${env})`;

function environmentOf(lock: unknown, states: unknown): EnvironmentNow {
  const held = parseJson(lock) as LockRow | null;
  return { lock: held === null ? null : toLock(held), states: (parseJson(states) as Parameters<typeof toStateRow>[0][]).map(toStateRow) };
}

/** The environment's lock and states in one statement (a request reads both before it is recorded). */
export async function environmentNow(db: Db, app: string, env: string): Promise<EnvironmentNow> {
  const row = await db.selectNoFrom([lockJson(app, env).as('lock'), statesJson(app, env).as('states')]).executeTakeFirstOrThrow();
  return environmentOf(row.lock, row.states);
}

/** A deployment with its services, and its environment's lock and states, in one statement: what a worker reads as it picks one up. */
export async function deploymentToRun(db: Db, id: number): Promise<{ deployment: Deployment; environment: EnvironmentNow } | null> {
  const app = sql.ref('deployments.app');
  const env = sql.ref('deployments.env');
  const row = await deploymentsWithServices(db)
    .select([lockJson(app, env).as('environment_lock'), statesJson(app, env).as('environment_states')])
    .where('deployments.id', '=', id)
    .executeTakeFirst();
  if (!row) return null;
  const { environment_lock: lock, environment_states: states, ...deployment } = row;
  return { deployment: toDeployment(deployment), environment: environmentOf(lock, states) };
}
