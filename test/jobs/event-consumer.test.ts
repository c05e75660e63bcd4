import { Redis } from 'ioredis';
import type { KyselyPlugin } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoggedEvent } from '../../src/domain/event-log.ts';
import { chatGroupOf } from '../../src/jobs/chat-feed.ts';
import { createEventConsumer } from '../../src/jobs/event-consumer.ts';
import { createRedisHealth } from '../../src/jobs/redis-health.ts';
import { insertDeployment, type NewDeployment } from '../../src/store/deployments.ts';
import { cursorOf, moveCursor, undeliveredCounts, undeliveredEvents } from '../../src/store/event-cursors.ts';
import { appendEvent } from '../../src/store/events.ts';
import { openTestStore, uniquePrefix, type StoreKind } from '../support/databases.ts';
import { newDeployment } from '../support/new-deployment.ts';

const HOUR = 60 * 60 * 1000;

const request = (env: string): NewDeployment => newDeployment({ env, ref: 'main', chat: { kind: 'shell' }, services: [] });

describe.each<StoreKind>(['postgres', 'pglite'])('a consumer of the event log on %s', (kind) => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  let redis: Redis;
  const logger = pino({ level: 'silent' });
  beforeAll(async () => {
    store = await openTestStore(kind);
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
  });
  afterAll(async () => {
    redis.disconnect();
    await store.cleanup();
  });

  /** A consumer of its own name, on a clock the test moves, delivering to `handle`. */
  function consumerWith(name: string, handle: (event: LoggedEvent) => Promise<void>, startAt?: 'beginning' | 'end') {
    let clock = Date.now();
    const consumer = createEventConsumer(
      { db: store.db, redis, subscriber: redis, prefix: uniquePrefix(), logger, health: createRedisHealth(logger), now: () => new Date(clock) },
      { name, groupOf: chatGroupOf, ...(startAt === undefined ? {} : { startAt }) },
    );
    return {
      pass: () => consumer.passWith(handle),
      advance: (ms: number) => {
        clock += ms;
      },
      close: () => consumer.close(),
    };
  }

  it('retries a failed event with back-off, holding that deployment back while the others go on', async () => {
    const a = (await insertDeployment(store.db, request('retry-a'))).id;
    const b = (await insertDeployment(store.db, request('retry-b'))).id;
    await appendEvent(store.db, { kind: 'queue', deploymentId: a });
    await appendEvent(store.db, { kind: 'queue', deploymentId: b });
    const got: string[] = [];
    let failing = true;
    const c = consumerWith('retry', async (event) => {
      if (event.deploymentId === a && event.entry.kind === 'requested' && failing) throw new Error('chat is down');
      got.push(`${event.deploymentId === a ? 'a' : 'b'}:${event.entry.kind}`);
    });
    await c.pass();
    expect(got.filter((g) => g.startsWith('b'))).toEqual(['b:requested', 'b:queue']);
    expect(got.filter((g) => g.startsWith('a'))).toEqual([]);
    // Not yet due: the next pass leaves it alone.
    failing = false;
    await c.pass();
    expect(got.filter((g) => g.startsWith('a'))).toEqual([]);
    c.advance(1_000);
    await c.pass();
    expect(got.filter((g) => g.startsWith('a'))).toEqual(['a:requested', 'a:queue']);
    // Done: nothing delivered twice.
    await c.pass();
    expect(got).toHaveLength(4);
    await c.close();
  });

  it('tries for a day, then records the event as undeliverable (counted), and the deployment moves on', async () => {
    const a = (await insertDeployment(store.db, request('day'))).id;
    await appendEvent(store.db, { kind: 'queue', deploymentId: a });
    const got: string[] = [];
    let tries = 0;
    const c = consumerWith('day', async (event) => {
      if (event.deploymentId !== a) return;
      if (event.entry.kind === 'requested') {
        tries += 1;
        throw new Error(`chat refused (${tries})`);
      }
      got.push(event.entry.kind);
    });
    // Every hour for 23 hours: still held, never given up.
    for (let hour = 0; hour < 23; hour++) {
      await c.pass();
      c.advance(HOUR);
    }
    expect(got).toEqual([]);
    expect(await undeliveredEvents(store.db, 'day')).toEqual([]);
    const triesBefore = tries;
    c.advance(HOUR);
    await c.pass();
    expect(tries).toBe(triesBefore + 1);
    const [failure] = await undeliveredEvents(store.db, 'day');
    expect(failure).toMatchObject({ consumer: 'day', attempts: tries, lastError: `chat refused (${tries})` });
    expect((await undeliveredCounts(store.db)).day).toBe(1);
    expect(got).toEqual(['queue']);
    await c.pass();
    expect(got).toEqual(['queue']);
    await c.close();
  });

  it('keeps its place in a cursor of its own: another consumer still gets everything', async () => {
    const a = (await insertDeployment(store.db, request('cursor'))).id;
    const first: number[] = [];
    const one = consumerWith('one', async (event) => void first.push(event.id));
    await one.pass();
    // A quick pass leaves its cursor to the next pass's read, or to close.
    expect(await cursorOf(store.db, 'one')).toBe(0);
    await one.close();
    const position = await cursorOf(store.db, 'one');
    expect(position).toBeGreaterThan(0);
    await appendEvent(store.db, { kind: 'queue', deploymentId: a });
    const again = consumerWith('one', async (event) => void first.push(event.id));
    await again.pass();
    expect(first.length).toBe(new Set(first).size);
    const other: number[] = [];
    const two = consumerWith('two', async (event) => void other.push(event.id));
    await two.pass();
    // Deployments are delivered in parallel: the same events, each deployment's in order.
    expect([...other].sort()).toEqual([...first].sort());
    await Promise.all([again.close(), two.close()]);
  });

  it('starts a new consumer at the log’s end when asked: it gets what happens from then on, and keeps its place', async () => {
    const a = (await insertDeployment(store.db, request('late'))).id;
    const got: number[] = [];
    const late = consumerWith('late', async (event) => void got.push(event.id), 'end');
    await late.pass();
    expect(got).toEqual([]);
    expect(await cursorOf(store.db, 'late')).toBeGreaterThan(0);
    await appendEvent(store.db, { kind: 'queue', deploymentId: a });
    await late.pass();
    expect(got).toHaveLength(1);
    // Its place is kept: starting again (after a stop) does not jump over what it has not read.
    await late.close();
    await appendEvent(store.db, { kind: 'queue', deploymentId: a });
    const again = consumerWith('late', async (event) => void got.push(event.id), 'end');
    await again.pass();
    expect(got).toHaveLength(2);
    await again.close();
  });

  it('writes where a pass left off in the next pass’s read, one statement for both, and never moves the cursor back', async () => {
    // A pass is two statements: the events committed up to now get their positions, then the read.
    let statements = 0;
    const counting: KyselyPlugin = {
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        statements += 1;
        return args.result;
      },
    };
    const consumer = createEventConsumer(
      { db: store.db.withPlugin(counting), redis, subscriber: redis, prefix: uniquePrefix(), logger, health: createRedisHealth(logger) },
      { name: 'folded', groupOf: chatGroupOf, startAt: 'end' },
    );
    const got: number[] = [];
    const handle = async (event: LoggedEvent) => void got.push(event.position);
    await consumer.passWith(handle);
    const a = (await insertDeployment(store.db, request('folded'))).id;
    await appendEvent(store.db, { kind: 'queue', deploymentId: a });
    await consumer.passWith(handle);
    expect(got).toHaveLength(2);
    const last = got.at(-1)!;
    expect(await cursorOf(store.db, 'folded')).toBeLessThan(last);
    statements = 0;
    await consumer.passWith(handle);
    expect(statements).toBe(2);
    expect(await cursorOf(store.db, 'folded')).toBe(last);
    // Another process took the cursor further meanwhile: this one's write does not take it back.
    await appendEvent(store.db, { kind: 'queue', deploymentId: a });
    await consumer.passWith(handle);
    expect(got).toHaveLength(3);
    await moveCursor(store.db, 'folded', got.at(-1)! + 50);
    await consumer.passWith(handle);
    expect(await cursorOf(store.db, 'folded')).toBe(got.at(-1)! + 50);
    await consumer.close();
    expect(await cursorOf(store.db, 'folded')).toBe(got.at(-1)! + 50);
  });

  it('an idle pass is two statements (positions to give: none, no lock; the read); events held for a retry are read only while some may be', async () => {
    let statements = 0;
    const counting: KyselyPlugin = {
      transformQuery: (args) => args.node,
      // Called once per statement run (a builder nested in another runs as part of it).
      transformResult: async (args) => {
        statements += 1;
        return args.result;
      },
    };
    const a = (await insertDeployment(store.db, request('idle-a'))).id;
    let failing = true;
    let clock = Date.now();
    const consumer = createEventConsumer(
      { db: store.db.withPlugin(counting), redis, subscriber: redis, prefix: uniquePrefix(), logger, health: createRedisHealth(logger), now: () => new Date(clock) },
      { name: 'idle', groupOf: chatGroupOf, startAt: 'end' },
    );
    const handle = async (event: LoggedEvent) => {
      if (event.deploymentId === a && failing) throw new Error('receiver down');
    };
    const countPass = async () => {
      statements = 0;
      await consumer.passWith(handle);
      return statements;
    };
    // The first pass makes the cursor and reads what may be held: four statements, then two each.
    expect(await countPass()).toBe(4);
    expect(await countPass()).toBe(2);
    expect(await countPass()).toBe(2);
    // An event that fails is held: the passes after it read what is held too, until it is delivered.
    await appendEvent(store.db, { kind: 'queue', deploymentId: a });
    await countPass();
    expect(await countPass()).toBe(3);
    failing = false;
    clock += 2_000;
    // This pass delivers it (reading what is held, delivering, releasing); none is held after.
    expect(await countPass()).toBeGreaterThan(3);
    expect(await countPass()).toBe(2);
    await consumer.close();
  });
});
