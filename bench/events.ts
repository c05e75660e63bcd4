import { request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { Redis } from 'ioredis';
import { redisKeys } from '../src/jobs/redis.ts';
import { openDatabase } from '../src/store/database.ts';
import { insertDeployment, setDeploymentStatus } from '../src/store/deployments.ts';
import { newDeployment } from '../test/support/new-deployment.ts';
import { BASE_IMAGE, DOCKER_HOST, eventually, REGISTRY, startTestHoist } from '../test/support/hoist-harness.ts';
import type { Result } from './result.ts';
import { summarize } from './stats.ts';

/** One connected event-stream client: when each event id reached it. */
interface Client {
  received: Map<number, number>;
  close(): void;
}

/** Opens `count` streams on `url` (each its own connection) and resolves once every one has its first bytes. */
async function connectClients(url: string, count: number, headers: Record<string, string>): Promise<Client[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Client>((resolve, reject) => {
          const received = new Map<number, number>();
          let buffer = '';
          let ready = false;
          const req = request(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (res: IncomingMessage) => {
            if (res.statusCode !== 200) reject(new Error(`event stream answered ${res.statusCode}`));
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              const at = performance.now();
              buffer += chunk;
              const messages = buffer.split('\n\n');
              buffer = messages.pop() ?? '';
              for (const message of messages) {
                const id = /^id: (\d+)$/m.exec(message)?.[1];
                if (id !== undefined) received.set(Number(id), at);
              }
              if (!ready) {
                ready = true;
                resolve({ received, close: () => req.destroy() });
              }
            });
            res.on('error', () => {});
          });
          req.on('error', (error) => (ready ? undefined : reject(error)));
          req.end();
        }),
    ),
  );
}

/** Waits until every client has `id`, or `timeoutMs`; the delivery times from `sentAt`, and how many never got it. */
async function deliveries(clients: Client[], id: number, sentAt: number, timeoutMs: number): Promise<{ latencies: number[]; missing: number }> {
  const deadline = performance.now() + timeoutMs;
  while (clients.some((c) => !c.received.has(id)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const latencies = clients.flatMap((c) => {
    const at = c.received.get(id);
    return at === undefined ? [] : [at - sentAt];
  });
  return { latencies, missing: clients.length - latencies.length };
}

/** A bare Hono SSE route: every connected stream gets what `broadcast` sends; nothing else. */
function startBareSse(): Promise<{ url: string; broadcast(id: number): void; close(): Promise<void> }> {
  const writers = new Set<(text: string) => void>();
  const app = new Hono();
  app.get('/events', (c) => {
    c.header('Content-Type', 'text/event-stream');
    return stream(c, async (out) => {
      await out.write(': connected\n\n');
      await new Promise<void>((resolve) => {
        const write = (text: string) => void out.write(text);
        writers.add(write);
        out.onAbort(() => {
          writers.delete(write);
          resolve();
        });
      });
    });
  });
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}/events`,
        broadcast: (id) => {
          const text = `id: ${id}\nevent: status\ndata: ${JSON.stringify({ id, kind: 'status', status: 'DEPLOYING' })}\n\n`;
          for (const write of writers) write(text);
        },
        close: () =>
          new Promise<void>((done) => {
            (server as Server).close(() => done());
            (server as Server).closeAllConnections();
          }),
      });
    }) as unknown as Server & { address(): AddressInfo };
  });
}

/**
 * `--scenarios events`: `clients` event-stream clients on one Hoist, then one status change
 * at a time (`rounds` of them): the time from the append (its transaction and the events
 * signal, as the engine does it) to each client's receipt. Beside it, the same clients on a
 * bare Hono SSE route fed by a timer, in the same run.
 */
export async function runEventsBench(options: { clients: number; rounds: number }, say: (line: string) => void): Promise<{ results: Result[]; lines: string[] }> {
  const load = `${options.clients} event-stream clients, ${options.rounds} status changes one at a time`;
  const bareSamples: number[] = [];
  let bareMissing = 0;
  say(`… ${options.clients} clients on a bare Hono SSE route`);
  const bare = await startBareSse();
  try {
    const clients = await connectClients(bare.url, options.clients, {});
    for (let round = 1; round <= options.rounds; round++) {
      await new Promise((r) => setTimeout(r, 100));
      const sentAt = performance.now();
      bare.broadcast(round);
      const got = await deliveries(clients, round, sentAt, 10_000);
      bareSamples.push(...got.latencies);
      bareMissing += got.missing;
    }
    for (const c of clients) c.close();
  } finally {
    await bare.close();
  }

  say(`… ${options.clients} clients on Hoist's /api/v1/events`);
  const hoist = await startTestHoist({
    mode: 'server',
    yaml: `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
  shop:
    repo: https://example.invalid/shop.git
    services:
      web: { type: container, image: "${BASE_IMAGE}" }
    environments:
      staging: { target: engine }
`,
  });
  const database = await openDatabase({ url: hoist.databaseUrl, dataDir: hoist.dir });
  const redis = new Redis(hoist.vars.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const samples: number[] = [];
  const appends: number[] = [];
  let missing = 0;
  try {
    const headers: Record<string, string> = hoist.apiToken === null ? {} : { authorization: `Bearer ${hoist.apiToken}` };
    const clients = await connectClients(`${hoist.baseUrl}/api/v1/events?app=shop`, options.clients, headers);
    const channel = redisKeys(hoist.vars.HOIST_REDIS_PREFIX ?? '').eventsChannel;
    const { id } = await insertDeployment(database.db, newDeployment({ ref: 'main', requestedBy: { id: 'U0BENCH', name: 'bench' }, trigger: 'chat', services: [] }));
    let last = 0;
    for (let round = 1; round <= options.rounds; round++) {
      await new Promise((r) => setTimeout(r, 100));
      const sentAt = performance.now();
      await setDeploymentStatus(database.db, id, { status: round % 2 === 0 ? 'BUILDING' : 'DEPLOYING', announce: true });
      await redis.publish(channel, '1');
      appends.push(performance.now() - sentAt);
      // Positions are given after the commit, by the server's reader of the log: waited for here
      // (the clients' receive times are taken as messages arrive, so the wait adds nothing to them).
      const position = await eventually(
        async () => {
          const row = await database.db.selectFrom('deployment_events').select((eb) => eb.fn.max('position').as('p')).where('deployment_id', '=', id).executeTakeFirstOrThrow();
          const max = Number(row.p ?? 0);
          return max > last ? max : null;
        },
        10_000,
        'the status change to get its position',
      );
      last = position;
      const got = await deliveries(clients, position, sentAt, 10_000);
      samples.push(...got.latencies);
      missing += got.missing;
    }
    for (const c of clients) c.close();
  } finally {
    redis.disconnect();
    await database.close();
    await hoist.stop();
  }

  const base: Result = { id: 'events-bare-sse-baseline', scenario: `event delivery, ${options.clients} clients, bare Hono SSE (baseline)`, app: 'hono-baseline', measure: 'deliver', load, ...summarize(bareSamples, bareMissing) };
  const ours: Result = {
    id: 'events-hoist',
    scenario: `event delivery, ${options.clients} clients (Hoist)`,
    app: 'hoist',
    measure: 'deliver',
    load,
    ...summarize(samples, missing),
    // Of the delivery time, what the append itself took (its transaction and the signal).
    notes: { appendP50Ms: summarize(appends, 0).p50Ms, appendMaxMs: summarize(appends, 0).maxMs },
  };
  return {
    results: [base, ours],
    lines: [
      `Event stream: ${options.clients} clients, status change → receipt p99 ${String(ours.p99Ms)} ms (Hoist) beside ${String(base.p99Ms)} ms (bare Hono SSE fed by a timer); ` +
        `the append itself p50 ${String(ours.notes?.appendP50Ms)} ms; ${missing} receipts missing`,
    ],
  };
}
