/**
 * What Hoist's metrics say about deployments, environments and the event log, computed from
 * what Postgres holds at a scrape (a snapshot): the same answer from any process. Label sets
 * stay bounded: apps, environments, actions, statuses and consumer groups, never a
 * deployment's id or a commit.
 */

/**
 * Upper bounds (seconds) of the buckets of a deployment's duration: started → finished. Few
 * on purpose: each app, environment and action has a series per bucket.
 */
export const DURATION_BUCKETS: readonly number[] = [5, 15, 30, 60, 120, 300, 600, 1800, 3600];
/** Upper bounds (seconds) of the buckets of a deployment's wait: requested → started (an approval's wait included). */
export const QUEUE_WAIT_BUCKETS: readonly number[] = [1, 5, 15, 60, 300, 900, 3600, 14400];

/** Observations of one histogram for one label set: `buckets` are cumulative, one per bound. */
export interface Observed {
  count: number;
  sum: number;
  buckets: number[];
}

/** The deployments of one app, environment, action and status. */
export interface DeploymentTally {
  app: string;
  env: string;
  action: string;
  status: string;
  /** How many have finished (their status is final). */
  finished: number;
  /** Those that started and finished: started → finished, in DURATION_BUCKETS. */
  duration: Observed;
  /** Those that started (running or finished): requested → started, in QUEUE_WAIT_BUCKETS. */
  queueWait: Observed;
}

/** An environment's unfinished deployments. */
export interface EnvironmentBacklog {
  app: string;
  env: string;
  /** In the environment's queue, not started. */
  waiting: number;
  awaitingApproval: number;
  /** Waiting for their commit's CI checks (not in the queue). */
  awaitingChecks: number;
  running: number;
}

/** One consumer of the event log. */
export interface ConsumerBacklog {
  consumer: string;
  /** Events it has not delivered yet: past its cursor, and held for a retry (or behind one). */
  pending: number;
  /** How old the oldest of them is; null when none is pending. */
  oldestPendingSeconds: number | null;
  /** Events it gave up on after trying for a day. */
  failed: number;
}

export interface MetricsSnapshot {
  deployments: DeploymentTally[];
  environments: EnvironmentBacklog[];
  /** Environments with a lock (a person's, or a rollback's pin). */
  locked: { app: string; env: string }[];
  consumers: ConsumerBacklog[];
  /** Webhook deliveries recorded: still being tried (`pending`) and given up on (`failed`: refused by the receiver, or tried for a day). */
  webhookDeliveries: { pending: number; failed: number };
}

/**
 * What one scrape reads. A finished deployment never changes again, so the deployments are
 * read in two parts: `settled` are those with ids in (the last read's `settledUpTo`, this
 * one's], all finished, which a reader adds to what it has kept; `recent` are those above it,
 * read whole each time. A scrape then costs what happened since the oldest unfinished
 * deployment, not the whole history.
 */
export interface MetricsRead extends Omit<MetricsSnapshot, 'deployments'> {
  settledUpTo: number;
  settled: DeploymentTally[];
  recent: DeploymentTally[];
}

const addObserved = (a: Observed, b: Observed): Observed => ({ count: a.count + b.count, sum: a.sum + b.sum, buckets: a.buckets.map((n, i) => n + (b.buckets[i] ?? 0)) });

/** Tallies of the same app, environment, action and status added up. */
export function mergeTallies(...lists: readonly DeploymentTally[][]): DeploymentTally[] {
  const merged = new Map<string, DeploymentTally>();
  for (const tally of lists.flat()) {
    const key = keyOf(tally.app, tally.env, tally.action, tally.status);
    const known = merged.get(key);
    merged.set(
      key,
      known === undefined
        ? tally
        : { ...known, finished: known.finished + tally.finished, duration: addObserved(known.duration, tally.duration), queueWait: addObserved(known.queueWait, tally.queueWait) },
    );
  }
  return [...merged.values()];
}

export type Labels = Record<string, string | number>;

/** One line of a family (prom-client's MetricValue shape). */
export interface MetricSample {
  labels: Labels;
  value: number;
  /** A histogram's `_bucket`, `_sum` and `_count` lines. */
  metricName?: string;
}

/** A metric family as read from a snapshot. */
export interface SnapshotFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples(snapshot: MetricsSnapshot, environments: readonly EnvironmentKey[]): MetricSample[];
}

export interface EnvironmentKey {
  app: string;
  env: string;
}

/** Consumers of the event log by group: every webhook's consumer (`webhook:<…>`) counts as `webhooks`. */
export function consumerGroup(consumer: string): string {
  if (consumer.startsWith('webhook:')) return 'webhooks';
  const colon = consumer.indexOf(':');
  return colon < 0 ? consumer : consumer.slice(0, colon);
}

/** The groups every scrape shows, pending or not. */
export const CONSUMER_GROUPS: readonly string[] = ['chat', 'webhooks'];

const keyOf = (...parts: string[]) => JSON.stringify(parts);

/** Every environment of the configuration, and any other that the rows name (one removed from it since). */
function everyEnvironment(environments: readonly EnvironmentKey[], rows: readonly EnvironmentKey[]): EnvironmentKey[] {
  const seen = new Map<string, EnvironmentKey>();
  for (const e of [...environments, ...rows]) seen.set(keyOf(e.app, e.env), { app: e.app, env: e.env });
  return [...seen.values()].sort((a, b) => a.app.localeCompare(b.app) || a.env.localeCompare(b.env));
}

function environmentGauge(pick: (row: EnvironmentBacklog) => number) {
  return (snapshot: MetricsSnapshot, environments: readonly EnvironmentKey[]): MetricSample[] => {
    const rows = new Map(snapshot.environments.map((r) => [keyOf(r.app, r.env), r]));
    return everyEnvironment(environments, snapshot.environments).map(({ app, env }) => {
      const row = rows.get(keyOf(app, env));
      return { labels: { app, env }, value: row === undefined ? 0 : pick(row) };
    });
  };
}

/** A histogram's lines per label set (`labelsOf`), the tallies of each summed. */
function histogram(name: string, bounds: readonly number[], labelsOf: (tally: DeploymentTally) => Record<string, string>, pick: (tally: DeploymentTally) => Observed) {
  return (snapshot: MetricsSnapshot): MetricSample[] => {
    const sums = new Map<string, { labels: Labels; observed: Observed }>();
    for (const tally of snapshot.deployments) {
      const observed = pick(tally);
      if (observed.count === 0) continue;
      const labels = labelsOf(tally);
      const key = keyOf(...Object.values(labels));
      const sum = sums.get(key) ?? { labels, observed: { count: 0, sum: 0, buckets: bounds.map(() => 0) } };
      sums.set(key, { ...sum, observed: addObserved(sum.observed, observed) });
    }
    return [...sums.values()].flatMap(({ labels, observed }) => [
      ...bounds.map((le, i) => ({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: observed.buckets[i] ?? 0 })),
      { metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: observed.count },
      { metricName: `${name}_sum`, labels, value: observed.sum },
      { metricName: `${name}_count`, labels, value: observed.count },
    ]);
  };
}

/** The event log's consumers by group: pending and failed summed, the oldest pending the oldest of any. */
function consumerGroups(snapshot: MetricsSnapshot): Map<string, { pending: number; oldest: number; failed: number }> {
  const groups = new Map(CONSUMER_GROUPS.map((g) => [g, { pending: 0, oldest: 0, failed: 0 }]));
  for (const c of snapshot.consumers) {
    const name = consumerGroup(c.consumer);
    const group = groups.get(name) ?? { pending: 0, oldest: 0, failed: 0 };
    group.pending += c.pending;
    group.failed += c.failed;
    group.oldest = Math.max(group.oldest, c.oldestPendingSeconds ?? 0);
    groups.set(name, group);
  }
  return groups;
}

function perConsumer(pick: (group: { pending: number; oldest: number; failed: number }) => number) {
  return (snapshot: MetricsSnapshot): MetricSample[] => [...consumerGroups(snapshot)].map(([consumer, group]) => ({ labels: { consumer }, value: pick(group) }));
}

function webhooks(pick: (deliveries: { pending: number; failed: number }) => number) {
  return (snapshot: MetricsSnapshot): MetricSample[] => [{ labels: {}, value: pick(snapshot.webhookDeliveries) }];
}

/** The families read from Postgres at each scrape. */
export const SNAPSHOT_FAMILIES: readonly SnapshotFamily[] = [
  {
    name: 'hoist_deployments_total',
    help: 'Deployments that have finished, by app, environment, action and final status.',
    type: 'counter',
    samples: (snapshot) =>
      snapshot.deployments.filter((t) => t.finished > 0).map((t) => ({ labels: { app: t.app, env: t.env, action: t.action, status: t.status }, value: t.finished })),
  },
  {
    name: 'hoist_deployment_duration_seconds',
    help: 'How long finished deployments ran, from their start to their final status, by app, environment and action.',
    type: 'histogram',
    samples: histogram('hoist_deployment_duration_seconds', DURATION_BUCKETS, (t) => ({ app: t.app, env: t.env, action: t.action }), (t) => t.duration),
  },
  {
    name: 'hoist_deployment_queue_wait_seconds',
    help: 'How long started deployments waited, from their request to their start (in the queue, and for approval), by app and environment.',
    type: 'histogram',
    samples: histogram('hoist_deployment_queue_wait_seconds', QUEUE_WAIT_BUCKETS, (t) => ({ app: t.app, env: t.env }), (t) => t.queueWait),
  },
  { name: 'hoist_deployments_waiting', help: "Deployments in an environment's queue, not started yet.", type: 'gauge', samples: environmentGauge((r) => r.waiting) },
  { name: 'hoist_deployments_awaiting_approval', help: 'Deployments waiting for approval.', type: 'gauge', samples: environmentGauge((r) => r.awaitingApproval) },
  { name: 'hoist_deployments_awaiting_checks', help: "Deployments waiting for their commit's CI checks.", type: 'gauge', samples: environmentGauge((r) => r.awaitingChecks) },
  { name: 'hoist_deployments_running', help: 'Deployments started and not finished (at most one per environment).', type: 'gauge', samples: environmentGauge((r) => r.running) },
  {
    name: 'hoist_environment_locked',
    help: 'Whether an environment is locked (1), by a person or pinned by a rollback, or not (0).',
    type: 'gauge',
    samples: (snapshot, environments) => {
      const locked = new Set(snapshot.locked.map((l) => keyOf(l.app, l.env)));
      return everyEnvironment(environments, snapshot.locked).map(({ app, env }) => ({ labels: { app, env }, value: locked.has(keyOf(app, env)) ? 1 : 0 }));
    },
  },
  { name: 'hoist_outbox_events_pending', help: 'Events of the event log a consumer has not delivered yet (webhooks: every webhook summed).', type: 'gauge', samples: perConsumer((g) => g.pending) },
  { name: 'hoist_outbox_oldest_pending_age_seconds', help: 'Age of the oldest event a consumer has not delivered yet; 0 when none is pending.', type: 'gauge', samples: perConsumer((g) => g.oldest) },
  { name: 'hoist_outbox_events_failed_total', help: 'Events a consumer gave up on after trying for a day.', type: 'counter', samples: perConsumer((g) => g.failed) },
  { name: 'hoist_webhook_deliveries_pending', help: 'Webhook deliveries being tried again (network errors, 5xx, 429).', type: 'gauge', samples: webhooks((d) => d.pending) },
  { name: 'hoist_webhook_deliveries_failed_total', help: 'Webhook deliveries given up on: refused by the receiver (4xx), or not delivered for a day.', type: 'counter', samples: webhooks((d) => d.failed) },
];
