import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { redisKeys } from '../src/jobs/redis.ts';
import { openDatabase } from '../src/store/database.ts';
import { insertDeployment, setDeploymentStatus } from '../src/store/deployments.ts';
import { newDeployment } from '../test/support/new-deployment.ts';
import { BASE_IMAGE, DOCKER_HOST, REGISTRY, startTestHoist } from '../test/support/hoist-harness.ts';
import type { Result } from './result.ts';
import { summarize } from './stats.ts';

const SECRET = 'bench-webhook-secret';
const WAIT_MS = 10_000;

/** A receiver that answers 200 at once and notes when each request arrived, by the deployment id (or bare round) it carries. */
async function startReceiver(): Promise<{ url: string; arrived: Map<string, number>; close(): Promise<void> }> {
  const arrived = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { deployment: { id: number }; bare?: boolean };
      arrived.set(`${body.bare ? 'bare' : 'hoist'}:${body.deployment.id}`, at);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    arrived,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function arrival(arrived: Map<string, number>, key: string, sentAt: number): Promise<number | null> {
  const deadline = performance.now() + WAIT_MS;
  while (!arrived.has(key) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  const at = arrived.get(key);
  return at === undefined ? null : at - sentAt;
}

/**
 * `--scenarios webhooks`: `rounds` deployments of one Hoist (`server` role) end, one at a
 * time, as the engine ends them (the final status in its transaction, then the events
 * signal); each time, from that write to a receiver that answers at once getting the
 * signed `succeeded` POST. Beside it, a bare POST of a payload of the same size (same
 * headers but the signature) from this process to the same receiver.
 */
export async function runWebhooksBench(options: { rounds: number }, say: (line: string) => void): Promise<{ results: Result[]; lines: string[] }> {
  const load = `${options.rounds} deployments ending one at a time, a receiver answering at once`;
  const receiver = await startReceiver();
  const bareSamples: number[] = [];
  let bareMissing = 0;
  const samples: number[] = [];
  const writes: number[] = [];
  let missing = 0;
  try {
    say(`… ${options.rounds} bare POSTs to the receiver`);
    for (let round = 1; round <= options.rounds; round++) {
      const body = JSON.stringify({ bare: true, event: 'succeeded', deliveryId: crypto.randomUUID(), deployment: { id: round, app: 'shop', env: 'staging', status: 'DEPLOYED', padding: 'x'.repeat(400) } });
      const sentAt = performance.now();
      await fetch(receiver.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hoist-event': 'succeeded' }, body }).then((r) => r.arrayBuffer());
      const took = await arrival(receiver.arrived, `bare:${round}`, sentAt);
      if (took === null) bareMissing += 1;
      else bareSamples.push(took);
      await new Promise((r) => setTimeout(r, 20));
    }

    say(`… ${options.rounds} deployments of Hoist ending, each told to the webhook`);
    const hoist = await startTestHoist({
      mode: 'server',
      env: { HOOK_SECRET: SECRET },
      yaml: `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
  shop:
    repo: https://example.invalid/shop.git
    webhooks:
      - { url: "${receiver.url}", events: [succeeded], secretEnv: HOOK_SECRET }
    services:
      web: { type: container, image: "${BASE_IMAGE}" }
    environments:
      staging: { target: engine }
`,
    });
    const database = await openDatabase({ url: hoist.databaseUrl, dataDir: hoist.dir });
    const redis = new Redis(hoist.vars.REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      const channel = redisKeys(hoist.vars.HOIST_REDIS_PREFIX ?? '').eventsChannel;
      for (let round = 1; round <= options.rounds; round++) {
        const { id } = await insertDeployment(database.db, newDeployment({ ref: 'main', requestedBy: { id: 'U0BENCH', name: 'bench' }, trigger: 'api', services: [] }));
        await new Promise((r) => setTimeout(r, 20));
        const sentAt = performance.now();
        await setDeploymentStatus(database.db, id, { status: 'DEPLOYED', finished: true, announce: true });
        await redis.publish(channel, '1');
        writes.push(performance.now() - sentAt);
        const took = await arrival(receiver.arrived, `hoist:${id}`, sentAt);
        if (took === null) missing += 1;
        else samples.push(took);
      }
    } finally {
      redis.disconnect();
      await database.close();
      await hoist.stop();
    }
  } finally {
    await receiver.close();
  }

  const base: Result = { id: 'webhooks-bare-post-baseline', scenario: 'webhook delivery, a bare POST to the receiver (baseline)', app: 'node-baseline', measure: 'deliver', load, ...summarize(bareSamples, bareMissing) };
  const ours: Result = {
    id: 'webhooks-hoist',
    scenario: 'webhook delivery, deployment final → receiver got it (Hoist)',
    app: 'hoist',
    measure: 'deliver',
    load,
    ...summarize(samples, missing),
    // Of the lag, what the final write itself took (its transaction and the events signal).
    notes: { finalWriteP50Ms: summarize(writes, 0).p50Ms, finalWriteMaxMs: summarize(writes, 0).maxMs },
  };
  return {
    results: [base, ours],
    lines: [
      `Webhooks: deployment final → receiver p50 ${String(ours.p50Ms)} ms / p99 ${String(ours.p99Ms)} ms (Hoist) beside a bare POST p50 ${String(base.p50Ms)} ms / p99 ${String(base.p99Ms)} ms; ` +
        `the final write itself p50 ${String(ours.notes?.finalWriteP50Ms)} ms; ${missing} not received within ${WAIT_MS / 1000} s`,
    ],
  };
}
