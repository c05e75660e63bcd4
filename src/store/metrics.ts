import { sql, type RawBuilder } from 'kysely';
import {
  DURATION_BUCKETS,
  QUEUE_WAIT_BUCKETS,
  type ConsumerBacklog,
  type DeploymentTally,
  type EnvironmentBacklog,
  type MetricsRead,
} from '../domain/metrics.ts';
import type { Db } from './database.ts';

/** `array[count(*) filter (where <column> <= b1), …]`: a histogram's cumulative buckets. */
function bucketCounts(column: 'ran' | 'waited', bounds: readonly number[]): RawBuilder<number[]> {
  const counts = bounds.map((bound) => sql`count(*) filter (where ${sql.ref(column)} <= ${sql.lit(bound)})`);
  return sql<number[]>`array[${sql.join(counts)}]::int8[]`;
}

interface TallyRow {
  settled: boolean;
  app: string;
  env: string;
  action: string;
  status: string;
  finished: number;
  ran: number;
  ran_seconds: number;
  ran_buckets: number[];
  waited: number;
  waited_seconds: number;
  waited_buckets: number[];
}

interface ConsumerRow {
  consumer: string;
  pending: number;
  oldest_seconds: number | null;
  failed: number;
}

/**
 * No transaction that records a deployment stays open this long, so every deployment
 * requested before it is visible: the ids at or below one so old can be settled.
 */
const SETTLE_AFTER = sql.raw(`interval '1 minute'`);

/**
 * Everything the metrics read from Postgres, in one statement (one snapshot of the database,
 * one round trip, however many environments there are):
 *
 * - the deployments above `settledUpTo` (see MetricsRead) per app, environment, action and
 *   status: how many finished, and the buckets of their durations (started → finished) and
 *   waits (requested → started). The new `settledUpTo` is the id below the oldest unfinished
 *   deployment (or the last id), no higher than the last id requested a minute ago: every
 *   deployment at or below it is visible and finished;
 * - every environment's unfinished deployments: waiting in its queue, awaiting approval, running;
 * - the locked environments (a lock whose time is up counts as released, as the board says);
 * - each consumer of the event log: events past its cursor plus those it holds for a retry,
 *   the oldest of them, and those it gave up on;
 * - the webhook deliveries still being tried and those given up on.
 */
export async function readMetrics(db: Db, settledUpTo: number): Promise<MetricsRead> {
  const { rows } = await sql<{ settled_up_to: number; deployments: TallyRow[]; environments: EnvironmentBacklog[]; locked: { app: string; env: string }[]; consumers: ConsumerRow[]; webhook_deliveries: { pending: number; failed: number } }>`
    with settle as (
      select greatest(${settledUpTo}::int8, least(
        coalesce((select min(id) from deployments where finished_at is null) - 1, (select max(id) from deployments)),
        (select max(id) from deployments where requested_at < now() - ${SETTLE_AFTER})
      )) as up_to
    )
    select
      (select up_to from settle) as settled_up_to,
      (select coalesce(json_agg(t), '[]') from (
        select settled, app, env, action, status,
          count(*) filter (where finished) as finished,
          count(ran) as ran,
          coalesce(sum(ran), 0) as ran_seconds,
          ${bucketCounts('ran', DURATION_BUCKETS)} as ran_buckets,
          count(waited) as waited,
          coalesce(sum(waited), 0) as waited_seconds,
          ${bucketCounts('waited', QUEUE_WAIT_BUCKETS)} as waited_buckets
        from (
          select id <= (select up_to from settle) as settled, app, env, action, status, finished_at is not null as finished,
            extract(epoch from finished_at - started_at)::float8 as ran,
            extract(epoch from started_at - requested_at)::float8 as waited
          from deployments
          where id > ${settledUpTo} and (started_at is not null or finished_at is not null)
        ) d
        group by settled, app, env, action, status
      ) t) as deployments,
      (select coalesce(json_agg(t), '[]') from (
        select app, env,
          count(*) filter (where queue_order is not null and started_at is null) as waiting,
          count(*) filter (where status = 'AWAITING_APPROVAL') as "awaitingApproval",
          count(*) filter (where status = 'AWAITING_CHECKS') as "awaitingChecks",
          count(*) filter (where started_at is not null) as running
        from deployments
        where finished_at is null
        group by app, env
      ) t) as environments,
      (select coalesce(json_agg(t), '[]') from (
        select app, env from environment_locks where expires_at is null or expires_at > now()
      ) t) as locked,
      (select coalesce(json_agg(t), '[]') from (
        select c.consumer,
          (select count(*) from deployment_events e where e.position > c.position)
            + (select count(*) from deployment_events e where e.position is null)
            + (select count(*) from event_retries r where r.consumer = c.consumer) as pending,
          extract(epoch from now() - least(
            (select e.created_at from deployment_events e where e.position > c.position order by e.position limit 1),
            (select min(e.created_at) from deployment_events e where e.position is null),
            (select min(e.created_at) from event_retries r join deployment_events e on e.id = r.event_id where r.consumer = c.consumer)
          ))::float8 as oldest_seconds,
          (select count(*) from event_failures f where f.consumer = c.consumer) as failed
        from event_cursors c
      ) t) as consumers,
      (select json_build_object('pending', count(*) filter (where state = 'pending'), 'failed', count(*) filter (where state = 'failed'))
        from webhook_deliveries) as webhook_deliveries
  `.execute(db);
  const row = rows[0];
  if (row === undefined) throw new Error('the metrics statement returned no row');
  return {
    settledUpTo: Number(row.settled_up_to),
    settled: row.deployments.filter((t) => t.settled).map(toTally),
    recent: row.deployments.filter((t) => !t.settled).map(toTally),
    environments: row.environments.map((e) => ({ app: e.app, env: e.env, waiting: Number(e.waiting), awaitingApproval: Number(e.awaitingApproval), awaitingChecks: Number(e.awaitingChecks), running: Number(e.running) })),
    locked: row.locked.map((l) => ({ app: l.app, env: l.env })),
    consumers: row.consumers.map(toConsumer),
    webhookDeliveries: { pending: Number(row.webhook_deliveries.pending), failed: Number(row.webhook_deliveries.failed) },
  };
}

function toTally(r: TallyRow): DeploymentTally {
  return {
    app: r.app,
    env: r.env,
    action: r.action,
    status: r.status,
    finished: Number(r.finished),
    duration: { count: Number(r.ran), sum: Number(r.ran_seconds), buckets: r.ran_buckets.map(Number) },
    queueWait: { count: Number(r.waited), sum: Number(r.waited_seconds), buckets: r.waited_buckets.map(Number) },
  };
}

function toConsumer(r: ConsumerRow): ConsumerBacklog {
  // A clock a little behind the database's can make a fresh event's age negative.
  const oldest = r.oldest_seconds === null ? null : Math.max(0, Number(r.oldest_seconds));
  return { consumer: r.consumer, pending: Number(r.pending), oldestPendingSeconds: oldest, failed: Number(r.failed) };
}
