import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { retryAfterMs, type AttemptResult, type WebhookEvent } from '../../domain/webhook.ts';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** How long a receiver has to answer before the attempt counts as a network error (and is retried). */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** One POST of a delivery. */
export interface WebhookRequest {
  url: string;
  secret: string;
  deliveryId: string;
  event: WebhookEvent;
  /** The JSON body, signed and sent as these exact bytes. */
  body: string;
}

export type SendWebhook = (request: WebhookRequest) => Promise<{ result: AttemptResult; durationMs: number }>;

/** `X-Hoist-Signature-256`: `sha256=` and the hex HMAC-SHA256 of the raw body with the webhook's secret. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** The headers of one attempt: the timestamp is the attempt's own (receivers may refuse old ones); the rest is the delivery's. */
export function webhookHeaders(request: WebhookRequest, now: Date): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'User-Agent': `Hoist-Webhook/${VERSION}`,
    'X-Hoist-Event': request.event,
    'X-Hoist-Delivery': request.deliveryId,
    'X-Hoist-Timestamp': String(Math.floor(now.getTime() / 1000)),
    'X-Hoist-Signature-256': webhookSignature(request.secret, request.body),
  };
}

/** Why a request got no answer, in a few words (fetch's own message is only "fetch failed"). */
function unreachable(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs / 1000} s`;
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  const detail = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return `could not reach the receiver: ${detail}`;
}

/**
 * The one place webhooks go over the network. Resolves with what the receiver answered or
 * why it could not be reached; never throws. Redirects are not followed: the receiver's URL
 * is configured, and a redirect is an answer to fix there.
 */
export function createWebhookSender(options: { timeoutMs?: number; now?: () => Date } = {}): SendWebhook {
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const now = options.now ?? (() => new Date());
  return async (request) => {
    const started = performance.now();
    const took = () => performance.now() - started;
    try {
      const res = await fetch(request.url, {
        method: 'POST',
        headers: webhookHeaders(request, now()),
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Read to the end: the connection goes back to the pool; what it says does not matter.
      await res.arrayBuffer().catch(() => undefined);
      return { result: { kind: 'answered', statusCode: res.status, retryAfterMs: retryAfterMs(res.headers.get('retry-after'), now()) }, durationMs: took() };
    } catch (error) {
      return { result: { kind: 'unreachable', error: unreachable(error, timeoutMs) }, durationMs: took() };
    }
  };
}
