import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allWebhooks, parseHoistConfig } from '../../src/config/hoist-config.ts';
import type { DeploymentStatus } from '../../src/domain/status.ts';
import { createWebhookSender } from '../../src/engine/webhooks/sender.ts';
import { createRedisHealth } from '../../src/jobs/redis-health.ts';
import { createWebhookFeeds } from '../../src/jobs/webhook-feeds.ts';
import { createWebhookDeliveries } from '../../src/service/webhook-deliveries.ts';
import { insertDeployment } from '../../src/store/deployments.ts';
import { cursorOf, heldEvents, undeliveredEvents } from '../../src/store/event-cursors.ts';
import { appendEvent } from '../../src/store/events.ts';
import { openTestStore, uniquePrefix } from '../support/databases.ts';
import { newDeployment } from '../support/new-deployment.ts';
import { startWebhookReceiver, type Answer } from '../support/webhook-receiver.ts';

const HOUR = 60 * 60 * 1000;
const SECRETS = { CI_SECRET: 'ci-s3cret-value', PROD_SECRET: 'prod-s3cret-value', PICKY_SECRET: 'picky-s3cret' };

/** 500 for the first `n` requests, then 200. */
const failFirst = (n: number, how: 500 | 'drop' = 500): Answer => (i) => (i <= n ? (how === 'drop' ? 'drop' : { status: 500 }) : { status: 200 });

describe('webhook deliveries from the event log', () => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  let redis: Redis;
  const logger = pino({ level: 'silent' });
  beforeAll(async () => {
    store = await openTestStore('postgres');
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
  });
  afterAll(async () => {
    redis.disconnect();
    await store.cleanup();
  });

  /** A Hoist configuration of app `app` (environments staging and production) with these webhook lines, its feeds on a clock the test moves. */
  function setUp(app: string, hooks: { app?: string; production?: string }) {
    const yaml = `targets:
  edge: { kind: docker }
apps:
  ${app}:
    repo: /srv/shop
    services:
      web: { type: container, image: "nginx:1" }
      worker: { type: container, image: "nginx:1" }
    webhooks: [${hooks.app ?? ''}]
    environments:
      staging: { target: edge }
      production: { target: edge, webhooks: [${hooks.production ?? ''}] }
`;
    const config = parseHoistConfig(yaml, '/etc/hoist.yaml', (name) => SECRETS[name as keyof typeof SECRETS]);
    let clock = Date.now();
    const now = () => new Date(clock);
    const send = createWebhookSender({ now });
    const feeds = createWebhookFeeds({
      db: store.db,
      redis,
      subscriber: redis,
      prefix: uniquePrefix(),
      logger,
      health: createRedisHealth(logger),
      now,
      webhooks: allWebhooks(config),
      send,
      publicUrl: 'https://hoist.example.com',
      mask: async (_deployment, payload) => payload,
    });
    const deliveries = createWebhookDeliveries({ db: store.db, config, send, now });
    return {
      feeds,
      deliveries,
      advance: (ms: number) => {
        clock += ms;
      },
      /** A deployment of `app` in `env` that runs its two services and ends `end` (a status line per step, as the engine writes them). */
      async deploy(env: string, end: DeploymentStatus): Promise<number> {
        const { id } = await insertDeployment(store.db, newDeployment({ app, env, services: [] }));
        for (const [status, service] of [['BUILDING', 'web'], ['DEPLOYING', 'web'], ['DEPLOYED', 'web'], ['DEPLOYING', 'worker'], [end, null]] as const) {
          await appendEvent(store.db, { kind: 'status', deploymentId: id, status, service, reason: end === 'DEPLOYMENT_ERROR' && service === null ? 'worker crashed' : null });
        }
        return id;
      },
    };
  }

  it('retries a failing receiver with back-off and the same delivery id, in order per deployment, each attempt recorded and signed', async () => {
    const receiver = await startWebhookReceiver({ '/ci': { secret: SECRETS.CI_SECRET, answer: failFirst(2) } });
    const t = setUp('retrying', { app: `{ url: "${receiver.url('/ci')}", events: [started, succeeded], secretEnv: CI_SECRET }` });
    await t.feeds.ready();
    const id = await t.deploy('staging', 'DEPLOYED');

    await t.feeds.pass();
    expect(receiver.received.map((r) => [r.event, r.answered])).toEqual([['started', 500]]);
    // Not due yet: nothing is sent, and `succeeded` waits behind `started`.
    await t.feeds.pass();
    expect(receiver.received).toHaveLength(1);
    t.advance(1_000);
    await t.feeds.pass();
    t.advance(2_000);
    await t.feeds.pass();
    expect(receiver.received.map((r) => [r.event, r.answered])).toEqual([['started', 500], ['started', 500], ['started', 200], ['succeeded', 200]]);

    const started = receiver.received.filter((r) => r.event === 'started');
    expect(new Set(started.map((r) => r.deliveryId)).size).toBe(1);
    expect(started.every((r) => r.body.deliveryId === r.deliveryId)).toBe(true);
    expect(receiver.received.every((r) => r.signed)).toBe(true);
    // Each attempt carries its own time: the receiver can refuse old ones.
    expect(started[2]!.timestamp - started[0]!.timestamp).toBeGreaterThanOrEqual(3);
    expect(receiver.received[3]!.body).toMatchObject({ event: 'succeeded', deployment: { id, status: 'DEPLOYED', app: 'retrying', env: 'staging' } });
    expect(receiver.received[3]!.deliveryId).not.toBe(started[0]!.deliveryId);

    const recorded = await t.deliveries.list(id);
    expect(recorded.map((d) => [d.event, d.state, d.attempts.map((a) => [a.statusCode, a.outcome])])).toEqual([
      ['started', 'delivered', [[500, 'retry'], [500, 'retry'], [200, 'delivered']]],
      ['succeeded', 'delivered', [[200, 'delivered']]],
    ]);
    expect(recorded[0]!.id).toBe(started[0]!.deliveryId);
    expect(recorded[0]!.attempts[0]!.error).toBe('the receiver answered 500; tried again later');
    expect(JSON.parse(recorded[0]!.body)).toMatchObject({ deployment: { url: `https://hoist.example.com/dashboard/deployments/${id}` } });
    // Done: nothing is sent twice.
    t.advance(HOUR);
    await t.feeds.pass();
    expect(receiver.received).toHaveLength(4);
    await t.feeds.close();
    await receiver.close();
  });

  it('retries a dropped connection; a 4xx is recorded as failed and not retried; redelivery sends the same delivery again', async () => {
    const receiver = await startWebhookReceiver({
      '/drops': { secret: SECRETS.CI_SECRET, answer: failFirst(1, 'drop') },
      '/picky': { secret: SECRETS.PICKY_SECRET, answer: (n) => ({ status: n === 1 ? 400 : 200 }) },
    });
    const t = setUp('refusing', {
      app: `{ url: "${receiver.url('/drops')}", events: [failed], secretEnv: CI_SECRET }, { url: "${receiver.url('/picky')}", events: [failed], secretEnv: PICKY_SECRET }`,
    });
    await t.feeds.ready();
    const id = await t.deploy('staging', 'DEPLOYMENT_ERROR');
    await t.feeds.pass();
    t.advance(1_000);
    await t.feeds.pass();
    t.advance(HOUR);
    await t.feeds.pass();
    expect(receiver.on('/drops').map((r) => r.answered)).toEqual(['dropped', 200]);
    expect(receiver.on('/picky').map((r) => r.answered)).toEqual([400]);
    expect(receiver.on('/picky')[0]!.body.deployment).toMatchObject({ status: 'DEPLOYMENT_ERROR' });

    const all = await t.deliveries.list(id);
    const drops = all.find((d) => d.url.endsWith('/drops'))!;
    const picky = all.find((d) => d.url.endsWith('/picky'))!;
    expect(drops.attempts.map((a) => [a.statusCode, a.outcome])).toEqual([[null, 'retry'], [200, 'delivered']]);
    expect(drops.attempts[0]!.error).toMatch(/^could not reach the receiver: .+; tried again later$/);
    expect(picky.state).toBe('failed');
    expect(picky.attempts).toEqual([expect.objectContaining({ statusCode: 400, outcome: 'failed', error: expect.stringContaining('not retried') })]);

    const again = await t.deliveries.redeliver(id, picky.id);
    expect(again).toMatchObject({ ok: true, attempt: { statusCode: 200, outcome: 'delivered', redelivery: true }, delivery: { id: picky.id, state: 'delivered' } });
    expect(receiver.on('/picky').map((r) => [r.deliveryId, r.signed])).toEqual([
      [picky.id, true],
      [picky.id, true],
    ]);
    expect(await t.deliveries.redeliver(id, 'no-such-delivery')).toMatchObject({ ok: false, code: 'NOT_FOUND', reason: expect.stringContaining(`GET /api/v1/deployments/${id}/webhooks`) });
    await t.feeds.close();
    await receiver.close();
  });

  it("sends only the events a webhook lists, an environment's webhooks besides the app's, and nothing from before it existed", async () => {
    const receiver = await startWebhookReceiver({ '/all': { secret: SECRETS.CI_SECRET }, '/prod': { secret: SECRETS.PROD_SECRET } });
    const t = setUp('scoped', {
      app: `{ url: "${receiver.url('/all')}", events: [succeeded], secretEnv: CI_SECRET }`,
      production: `{ url: "${receiver.url('/prod')}", events: [started, failed], secretEnv: PROD_SECRET }`,
    });
    // Before the webhooks were configured: not their business.
    await t.deploy('production', 'DEPLOYED');
    await t.feeds.ready();
    const staging = await t.deploy('staging', 'DEPLOYED');
    const production = await t.deploy('production', 'DEPLOYED');
    const failing = await t.deploy('production', 'DEPLOYMENT_ERROR');
    await t.feeds.pass();
    // In order within a deployment; deployments do not wait on each other (stable sort keeps each one's order).
    const seen = (path: string) => receiver.on(path).map((r) => [r.body.deployment.id, r.event]).sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(seen('/all')).toEqual([
      [staging, 'succeeded'],
      [production, 'succeeded'],
    ]);
    // Started once per deployment however many services go to work; succeeded not listed.
    expect(seen('/prod')).toEqual([
      [production, 'started'],
      [failing, 'started'],
      [failing, 'failed'],
    ]);
    expect(receiver.on('/prod').find((r) => r.event === 'failed')!.body.deployment).toMatchObject({ status: 'DEPLOYMENT_ERROR' });
    await t.feeds.close();
    await receiver.close();
  });

  it("honours a 429's Retry-After, and after a day records the delivery as failed and the event as undeliverable", async () => {
    const receiver = await startWebhookReceiver({
      '/busy': { secret: SECRETS.CI_SECRET, answer: (n) => (n === 1 ? { status: 429, headers: { 'retry-after': '120' } } : { status: 200 }) },
      '/down': { secret: SECRETS.PROD_SECRET, answer: () => ({ status: 503 }) },
    });
    const t = setUp('patient', {
      app: `{ url: "${receiver.url('/busy')}", events: [succeeded], secretEnv: CI_SECRET }, { url: "${receiver.url('/down')}", events: [succeeded], secretEnv: PROD_SECRET }`,
    });
    await t.feeds.ready();
    const id = await t.deploy('staging', 'DEPLOYED');
    await t.feeds.pass();
    t.advance(60_000);
    await t.feeds.pass();
    expect(receiver.on('/busy').map((r) => r.answered)).toEqual([429]);
    t.advance(60_000);
    await t.feeds.pass();
    expect(receiver.on('/busy').map((r) => r.answered)).toEqual([429, 200]);

    t.advance(25 * HOUR);
    await t.feeds.pass();
    const down = (await t.deliveries.list(id)).find((d) => d.url.endsWith('/down'))!;
    expect(down.attempts.at(-1)).toMatchObject({ statusCode: 503, outcome: 'failed', error: 'the receiver answered 503; given up after trying for a day' });
    expect((await undeliveredEvents(store.db, down.webhook)).map((u) => u.lastError)).toEqual([expect.stringContaining('503')]);
    const tries = receiver.on('/down').length;
    t.advance(HOUR);
    await t.feeds.pass();
    expect(receiver.on('/down')).toHaveLength(tries);
    await t.feeds.close();
    await receiver.close();
  });

  it('forgets a webhook gone from the configuration, with what it still held', async () => {
    const receiver = await startWebhookReceiver({ '/gone': { secret: SECRETS.CI_SECRET, answer: () => ({ status: 503 }) } });
    const before = setUp('forgotten', { app: `{ url: "${receiver.url('/gone')}", events: [started, succeeded], secretEnv: CI_SECRET }` });
    await before.feeds.ready();
    await before.deploy('staging', 'DEPLOYED');
    await before.feeds.pass();
    await before.feeds.close();
    const [id] = (await store.db.selectFrom('event_cursors').select('consumer').where('consumer', 'like', 'webhook:forgotten:%').execute()).map((r) => r.consumer);
    expect((await heldEvents(store.db, id!)).length).toBeGreaterThan(0);

    const after = setUp('forgotten', {});
    await after.feeds.ready();
    expect(await heldEvents(store.db, id!)).toEqual([]);
    expect(await cursorOf(store.db, id!)).toBe(0);
    await after.feeds.close();
    await receiver.close();
  });
});
