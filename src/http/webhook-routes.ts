import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { HoistService } from '../service/contract.ts';
import type { WebhookDeliveries } from '../service/webhook-deliveries.ts';
import { deploymentFor } from './api-access.ts';
import { errorBody, errorResponses, refused } from './api-errors.ts';
import { callerOf, type ApiEnv } from './auth.ts';
import { deploymentIdParams } from './deployment-routes.ts';
import { carryOutOnce, unsettled } from './idempotency.ts';
import { deliveryJson, RedeliveredSchema, WebhookDeliveriesSchema } from './webhook-schemas.ts';

const list = createRoute({
  method: 'get',
  path: '/deployments/{id}/webhooks',
  summary: 'What each webhook was told of a deployment, with every attempt',
  description: 'Scope `read`. One delivery per webhook and event (`started`, then how it ended), oldest first.',
  request: { params: deploymentIdParams('/api/v1/deployments/12/webhooks') },
  responses: { 200: { description: 'The deliveries.', content: { 'application/json': { schema: WebhookDeliveriesSchema } } }, ...errorResponses() },
});

const redeliver = createRoute({
  method: 'post',
  path: '/deployments/{id}/webhooks/{delivery}/redeliver',
  summary: 'Send a webhook delivery again now',
  description: 'Scope `deploy`. The same delivery id and body, a new timestamp; the attempt is recorded beside the others and answered. Sent once: not retried.',
  request: {
    params: deploymentIdParams('/api/v1/deployments/12/webhooks/<delivery id>/redeliver').extend({
      delivery: z.string().min(1).openapi({ param: { name: 'delivery', in: 'path' }, description: 'A delivery id (GET …/webhooks lists them).' }),
    }),
    headers: z.object({
      'Idempotency-Key': z
        .string()
        .regex(/^[\x21-\x7e]{1,255}$/, 'expected 1 to 255 visible ASCII characters, such as a UUID')
        .optional()
        .openapi({ description: 'The same key (per token) within 24 hours sends nothing again: it answers with the delivery as it is.' }),
    }),
  },
  responses: { 200: { description: 'Sent; `outcome` says whether the receiver took it.', content: { 'application/json': { schema: RedeliveredSchema } } }, ...errorResponses() },
});

/** `GET /deployments/{id}/webhooks` and `POST …/{delivery}/redeliver`. */
export function webhookRoutes(api: HoistService, webhooks: WebhookDeliveries): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>();

  app.openapi(list, async (c) => {
    const { id } = c.req.valid('param');
    const d = await deploymentFor(c, api, id, 'read');
    if (!('services' in d)) return d;
    return c.json({ deliveries: (await webhooks.list(id)).map(deliveryJson) }, 200);
  });

  app.openapi(redeliver, async (c) => {
    const { id, delivery } = c.req.valid('param');
    const d = await deploymentFor(c, api, id, 'deploy');
    if (!('services' in d)) return d;
    const key = c.req.valid('header')['Idempotency-Key'];
    const once = await carryOutOnce(api, { token: callerOf(c).name, key, request: { redeliver: delivery, deployment: id } }, async () => {
      const result = await webhooks.redeliver(id, delivery);
      return { value: result, deploymentId: result.ok ? id : null };
    });
    switch (once.kind) {
      case 'unavailable':
      case 'pending':
        return unsettled(c, once);
      case 'mismatch':
        return c.json(errorBody('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used within the last 24 hours for a different request; use a new key to send it again'), 422);
      case 'replay': {
        const sent = (await webhooks.list(id)).find((x) => x.id === delivery);
        const json = sent === undefined ? undefined : deliveryJson(sent);
        const last = json?.attempts.at(-1);
        if (json === undefined || last === undefined) return c.json(errorBody('NOT_FOUND', `#${id} has no webhook delivery ${delivery} any more`), 404);
        return c.json({ delivery: json, attempt: last, outcome: 'duplicate' as const }, 200);
      }
      case 'done':
        break;
    }
    const result = once.value;
    if (!result.ok) return refused(c, result);
    const json = deliveryJson(result.delivery);
    const attempt = { ...result.attempt, at: result.attempt.at.toISOString(), durationMs: Math.round(result.attempt.durationMs) };
    return c.json({ delivery: json, attempt, outcome: result.attempt.outcome === 'delivered' ? ('delivered' as const) : ('failed' as const) }, 200);
  });

  return app;
}
