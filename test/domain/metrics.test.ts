import { describe, expect, it } from 'vitest';
import { consumerGroup, DURATION_BUCKETS, QUEUE_WAIT_BUCKETS, SNAPSHOT_FAMILIES, type DeploymentTally, type MetricsSnapshot } from '../../src/domain/metrics.ts';

const family = (name: string) => SNAPSHOT_FAMILIES.find((f) => f.name === name)!;
const observed = (count: number, sum: number, bounds: readonly number[], upTo: (bound: number) => number) => ({ count, sum, buckets: bounds.map(upTo) });
const tally = (over: Partial<DeploymentTally>): DeploymentTally => ({
  app: 'shop',
  env: 'staging',
  action: 'deploy',
  status: 'DEPLOYED',
  finished: 1,
  duration: observed(1, 12, DURATION_BUCKETS, (b) => (b >= 15 ? 1 : 0)),
  queueWait: observed(1, 0.3, QUEUE_WAIT_BUCKETS, () => 1),
  ...over,
});
const empty: MetricsSnapshot = { deployments: [], environments: [], locked: [], consumers: [], webhookDeliveries: { pending: 0, failed: 0 } };

describe('metric families from a snapshot', () => {
  it.each([
    ['chat', 'chat'],
    ['webhook:shop:1a2b', 'webhooks'],
    ['webhook:shop/production:3c4d', 'webhooks'],
    ['github:acme', 'github'],
  ])('consumer %s counts as %s', (consumer, group) => {
    expect(consumerGroup(consumer)).toBe(group);
  });

  it('counts finished deployments by final status only; one still running is not counted', () => {
    const snapshot = { ...empty, deployments: [tally({ finished: 2 }), tally({ status: 'DEPLOYING', finished: 0 })] };
    expect(family('hoist_deployments_total').samples(snapshot, [])).toEqual([{ labels: { app: 'shop', env: 'staging', action: 'deploy', status: 'DEPLOYED' }, value: 2 }]);
  });

  it('sums a histogram over statuses: cumulative buckets, +Inf, _sum and _count per app, environment and action', () => {
    const failed = tally({ status: 'DEPLOYMENT_ERROR', duration: observed(1, 2, DURATION_BUCKETS, () => 1) });
    const samples = family('hoist_deployment_duration_seconds').samples({ ...empty, deployments: [tally({}), failed] }, []);
    const labels = { app: 'shop', env: 'staging', action: 'deploy' };
    expect(samples.filter((s) => s.metricName === 'hoist_deployment_duration_seconds_bucket').map((s) => [s.labels.le, s.value])).toEqual([
      [5, 1], [15, 2], [30, 2], [60, 2], [120, 2], [300, 2], [600, 2], [1800, 2], [3600, 2], ['+Inf', 2],
    ]);
    expect(samples.filter((s) => s.metricName !== 'hoist_deployment_duration_seconds_bucket')).toEqual([
      { metricName: 'hoist_deployment_duration_seconds_sum', labels, value: 14 },
      { metricName: 'hoist_deployment_duration_seconds_count', labels, value: 2 },
    ]);
  });

  it('sums the queue wait per app and environment, the actions together', () => {
    const samples = family('hoist_deployment_queue_wait_seconds').samples({ ...empty, deployments: [tally({}), tally({ action: 'restart' })] }, []);
    expect(samples.filter((s) => s.metricName === 'hoist_deployment_queue_wait_seconds_count')).toEqual([
      { metricName: 'hoist_deployment_queue_wait_seconds_count', labels: { app: 'shop', env: 'staging' }, value: 2 },
    ]);
  });

  it('gives every configured environment its gauges, and one only the database names (removed from the configuration) too', () => {
    const snapshot = { ...empty, environments: [{ app: 'old', env: 'qa', waiting: 2, awaitingApproval: 0, awaitingChecks: 0, running: 1 }], locked: [{ app: 'shop', env: 'production' }] };
    const environments = [{ app: 'shop', env: 'staging' }, { app: 'shop', env: 'production' }];
    expect(family('hoist_deployments_waiting').samples(snapshot, environments)).toEqual([
      { labels: { app: 'old', env: 'qa' }, value: 2 },
      { labels: { app: 'shop', env: 'production' }, value: 0 },
      { labels: { app: 'shop', env: 'staging' }, value: 0 },
    ]);
    expect(family('hoist_environment_locked').samples(snapshot, environments).map((s) => s.value)).toEqual([1, 0]);
  });

  it('sums webhooks’ consumers into one group, the oldest pending the oldest of any, and always shows chat and webhooks', () => {
    const consumers = [
      { consumer: 'webhook:shop:1', pending: 3, oldestPendingSeconds: 40, failed: 1 },
      { consumer: 'webhook:shop/qa:2', pending: 1, oldestPendingSeconds: 90, failed: 2 },
    ];
    const snapshot = { ...empty, consumers };
    expect(family('hoist_outbox_events_pending').samples(snapshot, [])).toEqual([
      { labels: { consumer: 'chat' }, value: 0 },
      { labels: { consumer: 'webhooks' }, value: 4 },
    ]);
    expect(family('hoist_outbox_oldest_pending_age_seconds').samples(snapshot, [])[1]?.value).toBe(90);
    expect(family('hoist_outbox_events_failed_total').samples(snapshot, [])[1]).toEqual({ labels: { consumer: 'webhooks' }, value: 3 });
  });

  it('counts webhook deliveries being retried and given up on from the deliveries recorded', () => {
    const snapshot = { ...empty, webhookDeliveries: { pending: 2, failed: 5 } };
    expect(family('hoist_webhook_deliveries_pending').samples(snapshot, [])).toEqual([{ labels: {}, value: 2 }]);
    expect(family('hoist_webhook_deliveries_failed_total').samples(snapshot, [])).toEqual([{ labels: {}, value: 5 }]);
    expect(family('hoist_webhook_deliveries_failed_total').samples(empty, [])).toEqual([{ labels: {}, value: 0 }]);
  });
});
