import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { WEBHOOK_EVENTS, type WebhookDelivery } from '../domain/webhook.ts';
import { ActionSchema, DeploymentStatusSchema, PersonSchema } from './api-schemas.ts';

const when = z.iso.datetime({ offset: true });

export const WebhookEventSchema = z.enum(WEBHOOK_EVENTS).openapi('WebhookEvent', {
  description: '`started`: the deployment began running; `succeeded`, `failed`, `canceled`, `rejected` (its approval), `expired` (waiting for approval): how it ended.',
});

/** What a webhook's receiver is POSTed (webhook.ts `webhookPayload` builds it). */
export const WebhookPayloadSchema = z
  .object({
    event: WebhookEventSchema,
    deliveryId: z.string().openapi({ description: 'The same on every attempt and redelivery, as `X-Hoist-Delivery`: receivers drop repeats by it.' }),
    deployment: z.object({
      id: z.int(),
      app: z.string(),
      env: z.string(),
      action: ActionSchema,
      status: DeploymentStatusSchema.openapi({ description: 'The status the event stands for: BUILDING (or DEPLOYING, STOPPING, RESTARTING) for `started`, the final one otherwise.' }),
      reason: z.string().nullable(),
      ref: z.string().nullable().openapi({ description: 'The ref requested (null: the branch head).' }),
      sha: z.string().nullable().openapi({ description: 'The commit the ref resolved to at request time.' }),
      services: z.array(z.object({ name: z.string(), version: z.string().nullable().openapi({ description: 'Commit SHA for a built service, the image reference otherwise.' }), image: z.string().nullable() })),
      requestedBy: PersonSchema,
      trigger: z.enum(['chat', 'api', 'shell', 'webhook']),
      requestedAt: when,
      startedAt: when.nullable(),
      finishedAt: when.nullable(),
      url: z.string().nullable().openapi({ description: 'The deployment’s dashboard page (HOIST_PUBLIC_URL/dashboard/deployments/<id>); null when HOIST_PUBLIC_URL is not set.' }),
    }),
  })
  .openapi('WebhookPayload');

const WebhookAttemptSchema = z
  .object({
    at: when,
    statusCode: z.int().nullable().openapi({ description: 'What the receiver answered; null when it could not be reached.' }),
    error: z.string().nullable().openapi({ description: 'Why it was not delivered, and what follows (tried again later, not retried, given up).' }),
    durationMs: z.int(),
    outcome: z.enum(['delivered', 'retry', 'failed']),
    redelivery: z.boolean().openapi({ description: 'Sent on request (`…/redeliver`), not by the retries.' }),
  })
  .openapi('WebhookAttempt');

export const WebhookDeliverySchema = z
  .object({
    id: z.string(),
    webhook: z.string().openapi({ description: 'The webhook: `webhook:<app>[/<env>]:<hash of its URL>`.' }),
    event: WebhookEventSchema,
    url: z.string().openapi({ description: 'The receiver, its credentials masked.' }),
    state: z.enum(['pending', 'delivered', 'failed']).openapi({ description: '`pending`: not delivered yet (being retried, or given up on after a day); `failed`: the receiver refused it (a 4xx other than 429).' }),
    createdAt: when,
    payload: WebhookPayloadSchema,
    attempts: z.array(WebhookAttemptSchema),
  })
  .openapi('WebhookDelivery');

export const WebhookDeliveriesSchema = z.object({ deliveries: z.array(WebhookDeliverySchema) }).openapi('WebhookDeliveries');

export const RedeliveredSchema = z
  .object({
    delivery: WebhookDeliverySchema,
    attempt: WebhookAttemptSchema.openapi({ description: 'The attempt this request made (or, for a repeated Idempotency-Key, the latest one).' }),
    outcome: z.enum(['delivered', 'failed', 'duplicate']).openapi({ description: 'Whether the receiver took it now; `duplicate`: this Idempotency-Key sent it before.' }),
  })
  .openapi('Redelivered');

export function deliveryJson(d: WebhookDelivery): z.infer<typeof WebhookDeliverySchema> {
  return {
    id: d.id,
    webhook: d.webhook,
    event: d.event,
    url: d.url,
    state: d.state,
    createdAt: d.createdAt.toISOString(),
    payload: JSON.parse(d.body) as z.infer<typeof WebhookPayloadSchema>,
    attempts: d.attempts.map((a) => ({ ...a, at: a.at.toISOString(), durationMs: Math.round(a.durationMs) })),
  };
}

const HEADERS = z.object({
  'X-Hoist-Event': WebhookEventSchema,
  'X-Hoist-Delivery': z.string().openapi({ description: 'The delivery id: the same on every attempt.' }),
  'X-Hoist-Timestamp': z.string().openapi({ description: 'When this attempt was sent, in Unix seconds: refuse ones too old to be a retry you expect (a replay).' }),
  'X-Hoist-Signature-256': z.string().openapi({ description: '`sha256=` and the hex HMAC-SHA256 of the raw body, keyed with the secret in the webhook’s `secretEnv`. Compare in constant time.' }),
});

/** The top-level `webhooks` of the document: what Hoist POSTs to a webhook's URL. */
export function describeWebhooks(registry: OpenAPIHono['openAPIRegistry']): void {
  registry.registerWebhook({
    method: 'post',
    path: 'deploymentEvent',
    summary: 'A deployment started or ended (the events the webhook lists in hoist.yaml)',
    description:
      'Sent in order per deployment. Answer 2xx to take it. Network errors, timeouts (10 s), 5xx and 429 (its Retry-After honoured) are retried with back-off (1 s doubling to 10 min) for a day, with the same delivery id; any other answer is recorded as failed and not retried.',
    request: { headers: HEADERS, body: { required: true, content: { 'application/json': { schema: WebhookPayloadSchema } } } },
    responses: { 200: { description: 'Taken (any 2xx).' } },
  });
}
