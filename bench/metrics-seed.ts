import { sql } from 'kysely';
import type { Db } from '../src/store/database.ts';

/** The shape of the recorded history the metrics bench scrapes over. */
export interface MetricsSeed {
  apps: number;
  envsPerApp: number;
  deployments: number;
}

export const environmentsOf = (seed: MetricsSeed) =>
  Array.from({ length: seed.apps }, (_, a) => Array.from({ length: seed.envsPerApp }, (_, e) => ({ app: `app${a}`, env: `env${e}` }))).flat();

/**
 * Records `deployments` finished deployments spread over every environment, as a year of use
 * leaves them: mostly deploys, some redeploys, restarts, rollbacks and stops; mostly DEPLOYED,
 * some failed or canceled; each with a deployment set of a realistic size (the rows the
 * metrics statement reads past) and two events (requested, final). On top: in a fifth of the
 * environments one running and one waiting, in a tenth one awaiting approval, a tenth locked;
 * the chat has delivered every event, and one webhook is 50 events behind.
 */
export async function seedHistory(db: Db, seed: MetricsSeed): Promise<void> {
  const { apps, envsPerApp, deployments } = seed;
  const environments = apps * envsPerApp;
  // A deployment set of ~2 KB: services with their rendered settings.
  const set = JSON.stringify({
    services: Array.from({ length: 4 }, (_, i) => ({ name: `svc${i}`, image: `registry.example.com/acme/app-svc${i}:${'f'.repeat(40)}`, env: { LOG_LEVEL: 'info', FEATURE: 'x'.repeat(200) }, replicas: 2 })),
  });
  await sql`
    insert into deployments (app, env, action, status, reason, ref, sha, requested_by, requested_by_name, trigger, chat, requested_at, started_at, finished_at, deployment_set)
    select 'app' || (g % ${apps}), 'env' || ((g / ${apps}) % ${envsPerApp}),
      (array['deploy','deploy','deploy','deploy','redeploy','restart','rollback','stop'])[1 + g % 8],
      (array['DEPLOYED','DEPLOYED','DEPLOYED','DEPLOYED','DEPLOYMENT_ERROR','CANCELED','BUILD_ERROR'])[1 + (g / 8) % 7],
      null, 'main', md5(g::text) || substr(md5((g + 1)::text), 1, 8), 'U0BENCH', 'bench', 'chat', '{"kind":"none"}',
      r, r + make_interval(secs => (g % 97) / 3.0), r + make_interval(secs => (g % 97) / 3.0 + 5 + (g % 613)), ${set}::jsonb
    from generate_series(1, ${deployments}) g, lateral (select now() - make_interval(mins => ${deployments} - g) - interval '1 hour' as r) t`.execute(db);
  // Unfinished work: one running and one waiting in every fifth environment, one awaiting approval in every tenth.
  await sql`
    insert into deployments (app, env, action, status, ref, requested_by, requested_by_name, trigger, chat, requested_at, started_at, queue_order)
    select 'app' || (e % ${apps}), 'env' || (e / ${apps}), 'deploy', s.status, 'main', 'U0BENCH', 'bench', 'chat', '{"kind":"none"}',
      now() - interval '2 minutes', case when s.status = 'DEPLOYING' then now() - interval '1 minute' end, nextval('deployment_queue_order')
    from generate_series(0, ${environments - 1}) e, (values ('DEPLOYING'), ('QUEUED')) s(status)
    where e % 5 = 0`.execute(db);
  await sql`
    insert into deployments (app, env, action, status, ref, requested_by, requested_by_name, trigger, chat, requested_at, approval_expires_at)
    select 'app' || (e % ${apps}), 'env' || (e / ${apps}), 'deploy', 'AWAITING_APPROVAL', 'main', 'U0BENCH', 'bench', 'chat', '{"kind":"none"}', now(), now() + interval '1 day'
    from generate_series(0, ${environments - 1}) e where e % 10 = 3`.execute(db);
  await sql`
    insert into environment_locks (app, env, kind, owner_id, owner_name, reason, chat, taken_at)
    select 'app' || (e % ${apps}), 'env' || (e / ${apps}), 'manual', 'U0BENCH', 'bench', 'freeze', '{"kind":"none"}', now()
    from generate_series(0, ${environments - 1}) e where e % 10 = 7`.execute(db);
  await sql`
    insert into deployment_events (deployment_id, kind, app, env, payload, created_at)
    select d.id, k.kind, d.app, d.env, jsonb_build_object('kind', k.kind, 'deploymentId', d.id), d.requested_at
    from deployments d, (values ('requested'), ('status')) k(kind)
    order by d.id`.execute(db);
  // Positions are given to committed events by the log's readers (migration 0022): as one would.
  await sql`select sequence_events()`.execute(db);
  await sql`
    insert into event_cursors (consumer, position)
    select c.consumer, max(e.position) - c.behind from deployment_events e, (values ('chat', 0), ('webhook:app0:bench', 50)) c(consumer, behind)
    group by c.consumer, c.behind
    on conflict (consumer) do update set position = excluded.position`.execute(db);
  await sql`analyze`.execute(db);
}
