import { afterEach, describe, expect, it } from 'vitest';
import { listenForEvents } from '../../src/jobs/event-signal.ts';
import { closeRedis, connectRedis } from '../../src/jobs/redis.ts';
import { uniquePrefix } from '../support/databases.ts';
import { eventually } from '../support/hoist-harness.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const REDIS_URL = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

/** A promise rejected with nobody to hear it ends a Node process: none may come from a connection Hoist closes. */
function unheardRejections(): { reasons: unknown[]; stop(): void } {
  const reasons: unknown[] = [];
  const listener = (reason: unknown) => reasons.push(reason);
  process.on('unhandledRejection', listener);
  return { reasons, stop: () => process.off('unhandledRejection', listener) };
}

/** Node reports a rejection nobody heard once the turn that rejected it is over. */
const turnsPass = async () => {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('a subscriber connection that Redis dropped', () => {
  let proxy: TcpProxy | null = null;
  afterEach(async () => {
    await proxy?.close();
    proxy = null;
  });

  it('closed while it subscribes again after reconnecting (a stop during a Redis outage) leaves no rejection unheard', async () => {
    const unheard = unheardRejections();
    try {
      proxy = await startTcpProxy({ host: REDIS_URL.hostname, port: Number(REDIS_URL.port || 6379) });
      const subscriber = connectRedis(`redis://127.0.0.1:${proxy.port}`, { name: 'test-listener' });
      subscriber.on('error', () => undefined);
      const listening = listenForEvents(subscriber, uniquePrefix(), () => undefined);
      await listening.ready;
      expect(subscriber.status).toBe('ready');

      // The connection is cut; the one it makes again gets as far as subscribing, and Redis never answers that.
      proxy.holdFrom(/\r\nsubscribe\r\n/i);
      proxy.cut();
      await eventually(() => subscriber.status === 'ready' && proxy !== null && proxy.held > 0, 10_000, 'the subscription asked again and held');

      // Stopping now: QUIT waits behind the unanswered SUBSCRIBE, so the connection is dropped.
      await closeRedis(subscriber, 200);
      await eventually(() => subscriber.status === 'end', 5_000, 'the connection ended');
      await turnsPass();
      listening.stop();
      expect(unheard.reasons.map(String)).toEqual([]);
    } finally {
      unheard.stop();
    }
  });
});
