import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DURATION_BUCKETS, QUEUE_WAIT_BUCKETS, type DeploymentTally, type MetricsRead } from '../../src/domain/metrics.ts';
import { CALL_ERROR_KINDS, CALL_SYSTEMS } from '../../src/domain/call-errors.ts';
import { createMetrics } from '../../src/service/metrics.ts';
import { parseExposition, valueOf } from '../support/prometheus-text.ts';

const snapshot: MetricsRead = {
  settledUpTo: 0,
  settled: [],
  recent: [],
  environments: [{ app: 'shop', env: 'staging', waiting: 2, awaitingApproval: 0, awaitingChecks: 0, running: 1 }],
  locked: [],
  consumers: [{ consumer: 'chat', pending: 5, oldestPendingSeconds: 12.5, failed: 0 }],
  webhookDeliveries: { pending: 0, failed: 0 },
};

/** A logger whose lines the test reads. */
function recordingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as { level: number; msg: string }) });
  return { logger, lines };
}

describe('the metrics registry', () => {
  it('reads Postgres once per scrape for every family, and a scrape arriving meanwhile shares that read', async () => {
    let reads = 0;
    const metrics = createMetrics({ read: async () => (reads++, snapshot), environments: [{ app: 'shop', env: 'staging' }], logger: pino({ level: 'silent' }) });
    const families = parseExposition(await metrics.scrape());
    expect(reads).toBe(1);
    expect(valueOf(families, 'hoist_deployments_waiting', { app: 'shop', env: 'staging' })).toBe(2);
    expect(valueOf(families, 'hoist_outbox_oldest_pending_age_seconds', { consumer: 'chat' })).toBe(12.5);
    expect(valueOf(families, 'hoist_metrics_postgres_up')).toBe(1);
    await Promise.all([metrics.scrape(), metrics.scrape()]);
    expect(reads).toBe(2);
    await metrics.scrape();
    expect(reads).toBe(3);
    expect(metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    metrics.close();
  });

  it('keeps the settled deployments from read to read, adding those settled since, and reads the recent ones whole each time', async () => {
    const tally = (finished: number): DeploymentTally => ({
      app: 'shop',
      env: 'staging',
      action: 'deploy',
      status: 'DEPLOYED',
      finished,
      duration: { count: finished, sum: 10 * finished, buckets: DURATION_BUCKETS.map(() => finished) },
      queueWait: { count: finished, sum: finished, buckets: QUEUE_WAIT_BUCKETS.map(() => finished) },
    });
    const asked: number[] = [];
    const reads: MetricsRead[] = [
      { ...snapshot, settledUpTo: 40, settled: [tally(40)], recent: [tally(2)] },
      { ...snapshot, settledUpTo: 42, settled: [tally(2)], recent: [tally(1)] },
    ];
    const metrics = createMetrics({ read: async (upTo) => (asked.push(upTo), reads[asked.length - 1]!), environments: [], logger: pino({ level: 'silent' }) });
    const deployed = { app: 'shop', env: 'staging', action: 'deploy', status: 'DEPLOYED' };
    expect(valueOf(parseExposition(await metrics.scrape()), 'hoist_deployments_total', deployed)).toBe(42);
    const second = parseExposition(await metrics.scrape());
    expect(valueOf(second, 'hoist_deployments_total', deployed)).toBe(43);
    expect(valueOf(second, 'hoist_deployment_duration_seconds_sum', { app: 'shop', env: 'staging', action: 'deploy' })).toBe(430);
    expect(asked).toEqual([0, 40]);
    metrics.close();
  });

  it('still answers when Postgres does not: its families empty, up 0, said once in the log and once when it is back', async () => {
    let failing = true;
    const { logger, lines } = recordingLogger();
    const metrics = createMetrics({
      read: async () => {
        if (failing) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
        return snapshot;
      },
      environments: [{ app: 'shop', env: 'staging' }],
      logger,
    });
    const down = parseExposition(await metrics.scrape());
    await metrics.scrape();
    expect(valueOf(down, 'hoist_metrics_postgres_up')).toBe(0);
    expect(down.get('hoist_deployments_waiting')).toMatchObject({ type: 'gauge', samples: [] });
    expect(down.get('hoist_process_cpu_user_seconds_total')?.samples.length).toBe(1);
    failing = false;
    const up = parseExposition(await metrics.scrape());
    expect(valueOf(up, 'hoist_metrics_postgres_up')).toBe(1);
    expect(lines.map((l) => l.msg)).toEqual(['metrics: could not read Postgres; its families stay empty until it answers', 'metrics: Postgres answers again']);
    metrics.close();
  });

  it('counts failed calls per peer and kind, every pair shown from the start', async () => {
    const metrics = createMetrics({ read: async () => snapshot, environments: [], logger: pino({ level: 'silent' }) });
    metrics.callErrors('kubernetes', 'rate_limited');
    metrics.callErrors('kubernetes', 'rate_limited');
    metrics.callErrors('slack', 'rejected');
    const families = parseExposition(await metrics.scrape());
    expect(valueOf(families, 'hoist_call_errors_total', { system: 'kubernetes', kind: 'rate_limited' })).toBe(2);
    expect(valueOf(families, 'hoist_call_errors_total', { system: 'slack', kind: 'rejected' })).toBe(1);
    expect(valueOf(families, 'hoist_call_errors_total', { system: 'registry', kind: 'timeout' })).toBe(0);
    // Every pair of peer (Slack, Kubernetes, the registry, GitHub) and kind.
    expect(families.get('hoist_call_errors_total')?.samples.length).toBe(CALL_SYSTEMS.length * CALL_ERROR_KINDS.length);
    expect(CALL_SYSTEMS.length * CALL_ERROR_KINDS.length).toBe(24);
    metrics.close();
  });
});
