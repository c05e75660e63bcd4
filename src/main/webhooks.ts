import type { RedisConnection } from '../jobs/redis.ts';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { allWebhooks } from '../config/hoist-config.ts';
import { createWebhookSender } from '../engine/webhooks/sender.ts';
import type { ApiEnv } from '../http/auth.ts';
import { webhookRoutes } from '../http/webhook-routes.ts';
import { createWebhookFeeds } from '../jobs/webhook-feeds.ts';
import { createSecretMasks } from '../service/secret-masks.ts';
import { createWebhookDeliveries } from '../service/webhook-deliveries.ts';
import type { SharedParts } from './shared-parts.ts';

/**
 * The webhooks of the server role: one event-log consumer per configured webhook (the process
 * holding its leader key delivers), and the routes that show and resend deliveries.
 */
export async function startWebhooks(shared: SharedParts, subscriber: RedisConnection): Promise<OpenAPIHono<ApiEnv>> {
  const { env, db, redis, redisHealth: health, logger, stops, config } = shared;
  const send = createWebhookSender();
  const masks = createSecretMasks({ db, config });
  const feeds = createWebhookFeeds({
    db,
    redis,
    subscriber,
    prefix: env.redisPrefix,
    logger: logger.child({ component: 'webhooks' }),
    health,
    webhooks: allWebhooks(config),
    send,
    publicUrl: env.publicUrl,
    mask: async (deployment, payload) => (await masks.forDeployment(deployment)).value(payload),
  });
  await feeds.ready();
  feeds.start();
  stops.add(() => feeds.close());
  return webhookRoutes(shared.api, createWebhookDeliveries({ db, config, send }));
}
