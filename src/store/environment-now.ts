import { sql, type RawBuilder } from 'kysely';
import type { Deployment } from '../domain/deployment.ts';
import type { EnvironmentLock } from '../domain/lock.ts';
import type { Db } from './database.ts';
import { deploymentsWithServices, toDeployment } from './deployments.ts';
import { parseJson } from './json-columns.ts';
import { toLock, type LockRow } from './locks.ts';
import { serviceRowsJson } from './deployment-insert.ts';
import { toStateRow, type ServiceStateRow } from './service-state.ts';
import { pickingUp } from './waiting-deployments.ts';

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

/** A deployment a worker picked up in one statement: as picked (started, fenced), its token, and what runs in its environment. */
export interface PickedToRun {
  deployment: Deployment;
  fence: number;
  states: ServiceStateRow[];
}

/**
 * Picks a deployment up and reads what its run starts from, in one statement, when nothing can
 * hold it back: it is QUEUED and not started, its environment has no lock in force, and its
 * environment asks for no approval (`approvalEnvironments`: `app/env` of those that do). The
 * pick-up is pickUp's (this process becomes its executor with a new fence; a `queue` event for
 * each one behind it). Null when not picked: the worker then reads and checks it step by step.
 */
export async function pickUpToRun(db: Db, id: number, approvalEnvironments: readonly string[]): Promise<PickedToRun | null> {
  const free = sql`status = 'QUEUED'
    and (deployments.app || '/' || deployments.env) not in (select jsonb_array_elements_text(${JSON.stringify(approvalEnvironments)}::jsonb))
    and ${lockJson(sql.ref('deployments.app'), sql.ref('deployments.env'))} is null`;
  const { rows } = await sql<Parameters<typeof toDeployment>[0] & { environment_states: unknown }>`
    ${pickingUp(id, { fenced: true, onlyIf: free, returning: sql`*` })}
    select p.*,
      ${serviceRowsJson(sql`deployment_services s where s.deployment_id = p.id`)} as service_rows,
      ${statesJson(sql.ref('p.app'), sql.ref('p.env'))} as environment_states
    from picked p`.execute(db);
  const row = rows[0];
  if (!row || row.fence === null) return null;
  const { environment_states: states, ...deployment } = row;
  return { deployment: toDeployment(deployment), fence: Number(row.fence), states: environmentOf(null, states).states };
}
