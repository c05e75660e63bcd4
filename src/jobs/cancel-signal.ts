import type { RedisConnection } from './redis.ts';
import type { Logger } from 'pino';
import type { Db } from '../store/database.ts';
import { requestCancel } from '../store/fence.ts';
import { redisKeys } from './redis.ts';
import type { RedisHealth } from './redis-health.ts';

/**
 * Asks whichever worker executes a deployment to stop it: recorded in Postgres (the
 * executor's heartbeat reads it within a second, whatever happens to Redis) and
 * published on Redis so the executor hears it at once.
 */
export function createCancelSignal(deps: { db: Db; redis: RedisConnection; prefix: string; health: RedisHealth }) {
  const channel = redisKeys(deps.prefix).cancelChannel;
  return async (deploymentId: number): Promise<void> => {
    await requestCancel(deps.db, deploymentId);
    // Unheard, the cancel still stands: the executor reads it from Postgres with its next heartbeat.
    await deps.redis.publish(channel, String(deploymentId)).catch((error: unknown) => {
      if (!deps.health.absorbs(error, 'cancel signal')) throw error;
    });
  };
}

/** The worker side: aborts the local run of a deployment when its cancel is published. */
export function createCancelListener(deps: { subscriber: RedisConnection; prefix: string; logger: Logger }) {
  const channel = redisKeys(deps.prefix).cancelChannel;
  const running = new Map<number, AbortController>();
  const onMessage = (from: string, message: string) => {
    if (from !== channel) return;
    const controller = running.get(Number(message));
    if (controller && !controller.signal.aborted) {
      deps.logger.info({ deploymentId: Number(message) }, 'cancel requested');
      controller.abort(new Error('canceled'));
    }
  };
  deps.subscriber.on('message', onMessage);
  const ready = deps.subscriber.subscribe(channel);
  return {
    ready,
    track(deploymentId: number, controller: AbortController): () => void {
      running.set(deploymentId, controller);
      return () => {
        if (running.get(deploymentId) === controller) running.delete(deploymentId);
      };
    },
    /** Tells every run of this worker to stop now, for `reason` (it ends CANCELED with it, the in-flight service reverted). */
    stopAll(reason: string): number {
      const live = [...running.values()].filter((c) => !c.signal.aborted);
      for (const controller of live) controller.abort(new Error(reason));
      return live.length;
    },
    close() {
      deps.subscriber.off('message', onMessage);
    },
  };
}

export type CancelListener = ReturnType<typeof createCancelListener>;
