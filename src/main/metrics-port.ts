import type { AddressInfo } from 'node:net';
import { createMetricsServer } from '../http/metrics-endpoint.ts';
import { closeServer, listen } from './listening.ts';
import type { SharedParts } from './shared-parts.ts';

/**
 * `/metrics` on a port of its own (HOIST_METRICS_PORT), in every role: a `hoist worker` has no
 * other HTTP server, and split deployments are scraped per process. Started last, so it is
 * the first part to stop. Resolves with the port bound (null: none).
 */
export async function serveMetricsPort(shared: SharedParts): Promise<number | null> {
  const { env, metrics, logger, stops } = shared;
  if (metrics === null || env.metrics?.port == null) return null;
  const server = createMetricsServer(metrics, logger);
  await listen(server, env.metrics.port, env.host, 'HOIST_METRICS_PORT');
  stops.add(() => closeServer(server), 'the metrics server');
  const port = (server.address() as AddressInfo).port;
  logger.info({ port }, 'metrics listening');
  return port;
}
