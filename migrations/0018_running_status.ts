import { sql, type Kysely } from 'kysely';

/**
 * Running status (whether a service runs, as its target sees it). `running_watches`: one row per
 * target of hoist.yaml, naming the Hoist process that follows it (a Kubernetes watch, the Docker
 * engine's events) until `lease_until`; a process that dies or stops lets it lapse and another
 * takes over. `running_status`: each service's last status, written only by the target's holder,
 * read by every process; `announced_down` remembers that its fall was told in the chat, so the
 * fall is told once and its recovery once, whichever process follows the target.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table running_watches (
    target text primary key,
    holder text not null,
    lease_until timestamptz not null
  )`.execute(db);
  await sql`create table running_status (
    app text not null,
    env text not null,
    service text not null,
    state text not null check (state in ('RUNNING', 'DEGRADED', 'DOWN', 'STOPPED', 'UNKNOWN')),
    ready integer not null,
    desired integer not null,
    restarts integer not null,
    reason text,
    announced_down boolean not null default false,
    since timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (app, env, service)
  )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table running_status`.execute(db);
  await sql`drop table running_watches`.execute(db);
}
