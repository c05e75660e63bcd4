import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createRedisHealth } from '../../src/jobs/redis-health.ts';

function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' });
}

function setup() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  let clock = 0;
  const health = createRedisHealth(logger, { repeatMs: 30_000, now: () => clock });
  return { lines, health, advance: (ms: number) => (clock += ms), msgs: () => lines.map((l) => l.msg) };
}

describe('Redis health in the log', () => {
  it('an outage is one line when it begins, one per 30 s while it lasts (with the failures counted), one when it ends', () => {
    const { health, advance, lines, msgs } = setup();
    const a = health.watch(new EventEmitter(), 'hoist');
    const b = health.watch(new EventEmitter(), 'hoist-queue');
    // Two connections failing every half second for 50 s.
    for (let i = 0; i < 100; i++) {
      a.emit('error', refused());
      b.emit('error', refused());
      advance(500);
    }
    expect(msgs()).toEqual(['redis unreachable', 'redis still unreachable']);
    expect(lines[1]).toMatchObject({ downForMs: 30_000, failures: 121, since: 120 });
    advance(10_000);
    a.emit('ready');
    b.emit('ready');
    expect(msgs()).toEqual(['redis unreachable', 'redis still unreachable', 'redis reachable again']);
    expect(lines[2]).toMatchObject({ source: 'hoist', downForMs: 60_000, failures: 200 });
    expect(lines.every((l) => l.err === undefined)).toBe(true);
  });

  it('a client that reports an error is never left without a listener (ioredis would print it with a stack)', () => {
    const { health } = setup();
    const client = health.watch(new EventEmitter(), 'hoist');
    expect(() => client.emit('error', refused())).not.toThrow();
  });

  it('an error that is not about reaching Redis is logged at once, with its stack', () => {
    const { health, lines } = setup();
    const worker = new EventEmitter();
    health.watchEvents(worker, 'worker');
    worker.emit('error', new Error('Missing lock for job 7'));
    expect(lines).toEqual([expect.objectContaining({ msg: 'worker error', source: 'worker', err: expect.objectContaining({ message: 'Missing lock for job 7' }) })]);
  });

  it('counts a command refused because Redis is away as the outage of Redis; a bare socket error is a connection to the database (ioredis reports its own as refused commands)', () => {
    const { health, msgs } = setup();
    const maxRetries = Object.assign(new Error('Reached the max retries per request limit (which is 3). Refer to "maxRetriesPerRequest" option for details.'), {
      name: 'MaxRetriesPerRequestError',
    });
    expect(health.absorbs(maxRetries, 'reconciler')).toBe(true);
    expect(health.absorbs(new Error('Connection is closed.'), 'heartbeat')).toBe(true);
    expect(health.absorbs(refused(), 'outbox')).toBe(true);
    expect(health.absorbs(new Error('relation "deployments" does not exist'), 'outbox')).toBe(false);
    expect(msgs()).toEqual(['redis unreachable', 'database unreachable']);
  });

  it('a database outage the loops hand over is one line when it begins, one per 30 s, one when a connection is made again; an SQL error is not absorbed', () => {
    const { health, advance, lines, msgs } = setup();
    const pgRefused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    // Three loops polling every second for 40 s, each failing.
    for (let i = 0; i < 40; i++) {
      for (const loop of ['chat events', 'reconciler', 'sweeper']) expect(health.absorbs(pgRefused(), loop)).toBe(true);
      advance(1_000);
    }
    expect(health.absorbs(new Error('Connection terminated unexpectedly'), 'reconciler')).toBe(true);
    expect(msgs()).toEqual(['database unreachable', 'database still unreachable']);
    expect(lines[0]).toMatchObject({ source: 'chat events', code: 'ECONNREFUSED' });
    expect(lines[1]).toMatchObject({ downForMs: 30_000, failures: 91 });
    health.databaseAnswers('a new connection');
    health.databaseAnswers('a new connection');
    expect(msgs()).toEqual(['database unreachable', 'database still unreachable', 'database reachable again']);
    expect(lines[2]).toMatchObject({ failures: 121 });
    // An error of the statement itself is the caller's to log.
    expect(health.absorbs(Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }), 'reconciler')).toBe(false);
    expect(lines.every((l) => l.err === undefined)).toBe(true);
  });
});
