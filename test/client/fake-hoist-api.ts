import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A deployment as the API shows it. */
export interface FakeDeployment {
  id: number;
  app: string;
  env: string;
  action: string;
  status: string;
  reason: string | null;
  ref: string | null;
  sha: string | null;
  requestedBy: { id: string; name: string };
  trigger: string;
  requestedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  services: unknown[];
}

export function fakeDeployment(fields: Partial<FakeDeployment> = {}): FakeDeployment {
  return {
    id: 12,
    app: 'shop',
    env: 'staging',
    action: 'deploy',
    status: 'QUEUED',
    reason: null,
    ref: null,
    sha: 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0',
    requestedBy: { id: 'token:ci', name: 'ci' },
    trigger: 'api',
    requestedAt: '2026-12-04T10:00:00.000Z',
    startedAt: null,
    finishedAt: null,
    services: [],
    ...fields,
  };
}

type Handler = (req: IncomingMessage, body: unknown, fake: FakeHoistApi) => { status: number; body: unknown } | Promise<{ status: number; body: unknown }>;

/**
 * The part of Hoist's HTTP API the command line uses, as a real server: bearer token, the
 * POST routes answered by handlers the test sets, GET /deployments/:id from `deployment`, and
 * GET /events as Server-Sent Events the test sends with `emit` (each with an increasing id).
 */
export interface FakeHoistApi {
  url: string;
  token: string;
  deployment: FakeDeployment;
  approvals: unknown;
  routes: Map<string, Handler>;
  /** Every request: method, path and the Last-Event-ID / Idempotency-Key headers. */
  requests: { method: string; path: string; lastEventId: string | null; idempotencyKey: string | null; body: unknown }[];
  /** Open event streams. */
  streams: Set<ServerResponse>;
  /** Sends an event to every open stream: `{ id, kind, app, env, deploymentId, at, ...fields }`. */
  emit(kind: string, fields: Record<string, unknown>): number;
  /** Ends every open stream (as a proxy dropping the connection would). */
  dropStreams(): void;
  /** The next `n` event streams answer 200 and end at once, before they say where they start. */
  endStreamsAtOnce(n: number): void;
  /** Resolves when `n` event streams have been opened in all. */
  streamOpened(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeHoistApi(): Promise<FakeHoistApi> {
  let position = 0;
  let opened = 0;
  let endAtOnce = 0;
  const sent: { position: number; message: string }[] = [];
  const openWaiters: { n: number; resolve: () => void }[] = [];
  const fake: FakeHoistApi = {
    url: '',
    token: 'secret-token',
    deployment: fakeDeployment(),
    approvals: null,
    routes: new Map(),
    requests: [],
    streams: new Set(),
    emit(kind, fields) {
      position += 1;
      const data = { id: position, kind, app: fake.deployment.app, env: fake.deployment.env, deploymentId: fake.deployment.id, at: new Date().toISOString(), ...fields };
      const message = `id: ${position}\nevent: ${kind}\ndata: ${JSON.stringify(data)}\n\n`;
      sent.push({ position, message });
      for (const stream of fake.streams) stream.write(message);
      return position;
    },
    dropStreams() {
      for (const stream of fake.streams) stream.end();
      fake.streams.clear();
    },
    endStreamsAtOnce(n) {
      endAtOnce = n;
    },
    streamOpened(n) {
      return new Promise((resolve) => (opened >= n ? resolve() : openWaiters.push({ n, resolve })));
    },
    close: () =>
      new Promise((resolve) => {
        fake.dropStreams();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const body = text === '' ? null : (JSON.parse(text) as unknown);
        fake.requests.push({
          method: req.method ?? '',
          path: url.pathname + url.search,
          lastEventId: (req.headers['last-event-id'] as string | undefined) ?? null,
          idempotencyKey: (req.headers['idempotency-key'] as string | undefined) ?? null,
          body,
        });
        const json = (status: number, value: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(value));
        };
        if (req.headers.authorization !== `Bearer ${fake.token}`) return json(401, { error: { code: 'UNAUTHORIZED', message: 'a valid API token is needed' } });
        const path = url.pathname.replace(/^\/api\/v1/, '');
        if (req.method === 'GET' && path === '/events') {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
          if (endAtOnce > 0) {
            endAtOnce -= 1;
            opened += 1;
            return res.end();
          }
          // As Hoist does: the position the stream starts after, as an id without an event.
          const after = req.headers['last-event-id'] as string | undefined;
          res.write(`id: ${after ?? position}\n: connected\n\n`);
          // As Hoist does: what came after Last-Event-ID first.
          if (after !== undefined) for (const m of sent.filter((e) => e.position > Number(after))) res.write(m.message);
          fake.streams.add(res);
          res.on('close', () => fake.streams.delete(res));
          opened += 1;
          for (const waiter of openWaiters.filter((w) => opened >= w.n)) waiter.resolve();
          return;
        }
        if (req.method === 'GET' && path === `/deployments/${fake.deployment.id}`) return json(200, fake.deployment);
        if (req.method === 'GET' && path === `/deployments/${fake.deployment.id}/approvals`) return json(fake.approvals === null ? 404 : 200, fake.approvals);
        const handler = fake.routes.get(`${req.method} ${path}`);
        if (handler === undefined) return json(404, { error: { code: 'NOT_FOUND', message: `no route ${req.method} ${path}` } });
        const answer = await handler(req, body, fake);
        json(answer.status, answer.body);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
