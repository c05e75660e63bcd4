import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What one request to the receiver carried, as a receiver of Hoist's webhooks sees it. */
export interface Received {
  path: string;
  event: string | undefined;
  deliveryId: string | undefined;
  timestamp: number;
  /** Whether X-Hoist-Signature-256 is the HMAC-SHA256 of the raw body with the path's secret (checked by this code, not Hoist's). */
  signed: boolean;
  body: { event: string; deliveryId: string; deployment: { id: number; status: string; app: string; env: string } };
  /** What the receiver answered: a status, or `dropped` (the connection cut without an answer). */
  answered: number | 'dropped';
}

/** How a path answers its n-th request (from 1): a status, with headers, or a cut connection. */
export type Answer = (n: number) => { status: number; headers?: Record<string, string> } | 'drop';

/** The signature check every receiver should do: its own HMAC of the raw bytes, compared in constant time. */
export function verifySignature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (header === undefined || !header.startsWith('sha256=')) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(rawBody).digest('hex'), 'utf8');
  const given = Buffer.from(header.slice('sha256='.length), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const readBody = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

/**
 * A webhook receiver on a free loopback port: each path has its secret and its way of
 * answering (200 unless told); every request is recorded, and `waitFor` resolves once the
 * received ones satisfy a condition.
 */
export async function startWebhookReceiver(paths: Record<string, { secret: string; answer?: Answer }>) {
  const received: Received[] = [];
  const counts = new Map<string, number>();
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const setup = paths[path];
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      const answer = setup?.answer?.(n) ?? { status: setup === undefined ? 404 : 200 };
      received.push({
        path,
        event: req.headers['x-hoist-event'] as string | undefined,
        deliveryId: req.headers['x-hoist-delivery'] as string | undefined,
        timestamp: Number(req.headers['x-hoist-timestamp']),
        signed: setup !== undefined && verifySignature(setup.secret, raw, req.headers['x-hoist-signature-256'] as string | undefined),
        body: JSON.parse(raw.toString('utf8')) as Received['body'],
        answered: answer === 'drop' ? 'dropped' : answer.status,
      });
      for (const wake of waiters) wake();
      if (answer === 'drop') req.socket.destroy();
      else res.writeHead(answer.status, answer.headers ?? {}).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    received,
    url: (path: string) => `${base}${path}`,
    on: (path: string) => received.filter((r) => r.path === path),
    /** Resolves once `check` holds for what was received (checked at each request). */
    waitFor(check: (all: Received[]) => boolean, what: string, timeoutMs = 60_000): Promise<void> {
      if (check(received)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`the receiver did not get ${what} within ${timeoutMs} ms; got ${JSON.stringify(received.map((r) => [r.path, r.event, r.answered]))}`));
        }, timeoutMs);
        const wake = () => {
          if (!check(received)) return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        };
        waiters.add(wake);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
