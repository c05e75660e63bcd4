import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';

/** What `/metrics` serves (the service's metrics registry). */
export interface MetricsSource {
  readonly contentType: string;
  scrape(): Promise<string>;
}

export const METRICS_PATH = '/metrics';

function refuse(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { code, message } }));
}

/**
 * `GET /metrics`: the Prometheus text exposition, no token (what it says is counts by app,
 * environment, action, status and peer, never a secret). Mounted on the HTTP server beside
 * the API rather than inside it: the API's masking of answers would take metric names for
 * Hoist's API tokens (`hoist_` and 32 characters) and mangle them.
 */
export function metricsListener(source: MetricsSource, logger: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      refuse(res, 405, 'METHOD_NOT_ALLOWED', `${req.method ?? '?'} is not served at ${METRICS_PATH}; it takes GET, HEAD`, { allow: 'GET, HEAD' });
      return;
    }
    source.scrape().then(
      (text) => {
        res.writeHead(200, { 'content-type': source.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'metrics scrape failed');
        refuse(res, 500, 'INTERNAL', 'internal error');
      },
    );
  };
}

/** A server of its own for `/metrics` (HOIST_METRICS_PORT): every other path is 404. */
export function createMetricsServer(source: MetricsSource, logger: Logger): Server {
  const listener = metricsListener(source, logger);
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === METRICS_PATH) listener(req, res);
    else refuse(res, 404, 'NOT_FOUND', `no route ${req.method ?? '?'} ${path ?? '/'}; this port serves ${METRICS_PATH} only`);
  });
}
