import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Registry, type Metric } from 'prom-client';
import { CALL_ERROR_KINDS, CALL_SYSTEMS, type CallErrors } from '../domain/call-errors.ts';
import {
  mergeTallies,
  SNAPSHOT_FAMILIES,
  type DeploymentTally,
  type EnvironmentKey,
  type MetricSample,
  type MetricsRead,
  type MetricsSnapshot,
  type SnapshotFamily,
} from '../domain/metrics.ts';

/** What `/metrics` serves: the Prometheus text exposition of this process's registry. */
export interface Metrics {
  /** `text/plain; version=0.0.4; charset=utf-8` */
  readonly contentType: string;
  scrape(): Promise<string>;
  /** Counts a failed call to a peer (`hoist_call_errors_total`): this process's own calls. */
  callErrors: CallErrors;
  close(): void;
}

export interface MetricsDeps {
  /**
   * Reads what Postgres holds (deployments, locks, the event log): once per scrape, shared by
   * every family; the deployments above `settledUpTo` only (MetricsRead).
   */
  read(settledUpTo: number): Promise<MetricsRead>;
  /** The configured environments: each has its gauges, 0 or not. */
  environments: readonly EnvironmentKey[];
  logger: Logger;
}

type Read = { ok: true; snapshot: MetricsSnapshot; seconds: number } | { ok: false; seconds: number };

/**
 * One registry per Hoist (not prom-client's global one: tests run several in one process):
 * the process's own metrics (`hoist_` + prom-client's defaults), its failed calls to Slack,
 * Kubernetes and registries, and the families read from Postgres at each scrape, which say
 * the same from every process.
 */
export function createMetrics(deps: MetricsDeps): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hoist_' });
  const calls = new Counter({
    name: 'hoist_call_errors_total',
    help: 'Failed calls of this process to Slack, Kubernetes and image registries (each attempt), by what went wrong.',
    labelNames: ['system', 'kind'] as const,
    registers: [registry],
  });
  // Every pair from the start: a rate over a series that appears with its first error misses that error.
  for (const system of CALL_SYSTEMS) for (const kind of CALL_ERROR_KINDS) calls.inc({ system, kind }, 0);

  const snapshot = sharedRead(deps);
  const register = (family: Omit<SnapshotFamily, 'samples'>, samples: (read: Read) => MetricSample[]) => {
    const metric = { ...family, aggregator: 'sum' as const, get: async () => ({ ...family, aggregator: 'sum' as const, values: samples(await snapshot()) }), reset: () => undefined };
    // prom-client's registry asks a metric for its name, help, type and get() only; its types name its own classes.
    registry.registerMetric(metric as unknown as Metric);
  };
  for (const family of SNAPSHOT_FAMILIES) register(family, (read) => (read.ok ? family.samples(read.snapshot, deps.environments) : []));
  register({ name: 'hoist_metrics_postgres_up', help: 'Whether this scrape could read the deployments and the event log from Postgres (1) or not (0, their families are empty).', type: 'gauge' }, (read) => [
    { labels: {}, value: read.ok ? 1 : 0 },
  ]);
  register({ name: 'hoist_metrics_postgres_read_seconds', help: 'How long this scrape took to read the deployments and the event log from Postgres.', type: 'gauge' }, (read) => [
    { labels: {}, value: read.seconds },
  ]);

  return {
    contentType: registry.contentType,
    scrape: () => registry.metrics(),
    callErrors: (system, kind) => calls.inc({ system, kind }),
    close: () => registry.clear(),
  };
}

/**
 * The snapshot of the scrape under way: the families of one scrape ask for it at once and
 * share one read (and a scrape arriving meanwhile shares it too), so reads never overlap.
 * The settled deployments are kept from read to read (they never change), each read adding
 * those settled since. A failed read is logged when Postgres stops answering and when it is
 * back, not at every scrape.
 */
function sharedRead(deps: MetricsDeps): () => Promise<Read> {
  let inFlight: Promise<Read> | null = null;
  let failing = false;
  let settled: { upTo: number; tallies: DeploymentTally[] } = { upTo: 0, tallies: [] };
  const readOnce = async (): Promise<Read> => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const read = await deps.read(settled.upTo);
      settled = { upTo: read.settledUpTo, tallies: mergeTallies(settled.tallies, read.settled) };
      const snapshot: MetricsSnapshot = { deployments: mergeTallies(settled.tallies, read.recent), environments: read.environments, locked: read.locked, consumers: read.consumers, webhookDeliveries: read.webhookDeliveries };
      if (failing) deps.logger.info('metrics: Postgres answers again');
      failing = false;
      return { ok: true, snapshot, seconds: seconds() };
    } catch (error) {
      if (!failing) deps.logger.warn({ err: error }, 'metrics: could not read Postgres; its families stay empty until it answers');
      failing = true;
      return { ok: false, seconds: seconds() };
    }
  };
  return () => {
    if (inFlight === null) {
      const read = readOnce();
      inFlight = read;
      // Settled: the next scrape reads again (then() runs later, never before this assignment).
      void read.then(() => {
        if (inFlight === read) inFlight = null;
      });
    }
    return inFlight;
  };
}
