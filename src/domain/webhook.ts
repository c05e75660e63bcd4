import type { Deployment } from './deployment.ts';
import type { LogEntry } from './event-log.ts';
import { MASK } from './redact.ts';
import type { DeploymentStatus } from './status.ts';

/** What a webhook may subscribe to: a deployment began running, or ended one of five ways. */
export const WEBHOOK_EVENTS = ['started', 'succeeded', 'failed', 'canceled', 'rejected', 'expired'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** A deployment's status as each webhook event names it (null: no webhook event). */
const FINAL: Partial<Record<DeploymentStatus, WebhookEvent>> = {
  DEPLOYED: 'succeeded',
  STOPPED: 'succeeded',
  RESTARTED: 'succeeded',
  DESTROYED: 'succeeded',
  BUILD_ERROR: 'failed',
  DEPLOYMENT_ERROR: 'failed',
  STOP_ERROR: 'failed',
  RESTART_ERROR: 'failed',
  DESTROY_ERROR: 'failed',
  CANCELED: 'canceled',
  REJECTED: 'rejected',
  EXPIRED: 'expired',
};

const RUNNING: ReadonlySet<DeploymentStatus> = new Set(['BUILDING', 'DEPLOYING', 'STOPPING', 'RESTARTING', 'DESTROYING']);

/**
 * The webhook event an entry of the log stands for, with the status it carries; null for
 * every other entry. A deployment's end is its own status line (`service: null`); its start
 * shows as the first service (or the deployment) going to work, so every such line maps to
 * `started` and the delivery keeps only the first per deployment (webhook_deliveries holds
 * one delivery per webhook, deployment and event). A service reaching DEPLOYED or CANCELED
 * is not the deployment's end.
 */
export function webhookEventOf(entry: LogEntry): { event: WebhookEvent; status: DeploymentStatus } | null {
  if (entry.kind !== 'status') return null;
  if (RUNNING.has(entry.status)) return { event: 'started', status: entry.status };
  if (entry.service !== null) return null;
  const event = FINAL[entry.status];
  return event === undefined ? null : { event, status: entry.status };
}

/** What a webhook's receiver answered, or why it did not: a network error, a timeout. */
export type AttemptResult = { kind: 'answered'; statusCode: number; retryAfterMs: number | null } | { kind: 'unreachable'; error: string };

/** What becomes of a delivery after an attempt: done, tried again later (with back-off), or given up on now (and why). */
export type AttemptVerdict = { outcome: 'delivered' } | { outcome: 'retry'; why: string; retryAfterMs: number | null } | { outcome: 'failed'; why: string };

/** The longest wait a receiver's Retry-After is honoured for: past it, the usual back-off resumes. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/**
 * A 2xx is delivered. Network errors, timeouts, 5xx and 429 may pass: tried again. Any other
 * answer (a 4xx, a redirect: not followed, the URL is configured) will not change by sending
 * the same request again, so it is recorded as failed at once.
 */
export function judgeAttempt(result: AttemptResult): AttemptVerdict {
  if (result.kind === 'unreachable') return { outcome: 'retry', why: result.error, retryAfterMs: null };
  const code = result.statusCode;
  if (code >= 200 && code < 300) return { outcome: 'delivered' };
  if (code === 429 || code >= 500) {
    const retryAfterMs = result.retryAfterMs === null ? null : Math.min(result.retryAfterMs, MAX_RETRY_AFTER_MS);
    return { outcome: 'retry', why: `the receiver answered ${code}`, retryAfterMs };
  }
  return { outcome: 'failed', why: `the receiver answered ${code}: not retried (only network errors, 5xx and 429 are); fix the receiver and redeliver` };
}

/** A `Retry-After` header in milliseconds: seconds, or an HTTP date; null when absent or not understood. */
export function retryAfterMs(header: string | null, now: Date): number | null {
  if (header === null || header.trim() === '') return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

/** A webhook's URL as answers and logs show it: its user and password masked (the query is left to the usual redaction). */
export function maskedUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, `$1${MASK}@`);
}

/** The JSON body a webhook receives (documented in the OpenAPI document as `WebhookPayload`). */
export interface WebhookPayload {
  event: WebhookEvent;
  deliveryId: string;
  deployment: {
    id: number;
    app: string;
    env: string;
    action: string;
    /** The status the event stands for (BUILDING for `started`, DEPLOYED for a deploy's `succeeded`…). */
    status: DeploymentStatus;
    reason: string | null;
    ref: string | null;
    sha: string | null;
    services: { name: string; version: string | null; image: string | null }[];
    requestedBy: { id: string; name: string };
    trigger: string;
    requestedAt: string;
    startedAt: string | null;
    finishedAt: string | null;
    url: string | null;
  };
}

/** The dashboard page of a deployment, where Hoist's public URL is known. */
export const dashboardUrl = (publicUrl: string | null, id: number): string | null => (publicUrl === null ? null : `${publicUrl}/dashboard/deployments/${id}`);

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/** The payload of one delivery: the deployment as it is, with the status and reason of the event itself. */
export function webhookPayload(input: { event: WebhookEvent; status: DeploymentStatus; reason: string | null; deliveryId: string; deployment: Deployment; publicUrl: string | null }): WebhookPayload {
  const d = input.deployment;
  return {
    event: input.event,
    deliveryId: input.deliveryId,
    deployment: {
      id: d.id,
      app: d.app,
      env: d.env,
      action: d.action,
      status: input.status,
      reason: input.reason,
      ref: d.ref,
      sha: d.sha,
      services: d.services.map((s) => ({ name: s.name, version: s.version, image: s.image })),
      requestedBy: { id: d.requestedBy.id, name: d.requestedBy.name },
      trigger: d.trigger,
      requestedAt: d.requestedAt.toISOString(),
      startedAt: iso(d.startedAt),
      finishedAt: iso(d.finishedAt),
      url: dashboardUrl(input.publicUrl, d.id),
    },
  };
}

/** One try at sending a delivery, as recorded. */
export interface WebhookAttempt {
  at: Date;
  /** What the receiver answered; null when it could not be reached. */
  statusCode: number | null;
  /** Why it was not delivered (a network error, the status and what follows from it); null when delivered. */
  error: string | null;
  durationMs: number;
  outcome: AttemptVerdict['outcome'];
  /** Sent again on request (`…/redeliver`), not by the retries. */
  redelivery: boolean;
}

/** What one webhook is told of one deployment event, and each attempt at it. */
export interface WebhookDelivery {
  /** The same on every attempt and redelivery (`X-Hoist-Delivery`). */
  id: string;
  /** The webhook's consumer name (`webhook:<app>[/<env>]:<hash>`). */
  webhook: string;
  deploymentId: number;
  event: WebhookEvent;
  /** The receiver's URL, its credentials masked. */
  url: string;
  /** The JSON body exactly as signed and sent. */
  body: string;
  /** pending: not delivered yet (retrying, or given up on after a day); failed: the receiver refused it. */
  state: 'pending' | 'delivered' | 'failed';
  createdAt: Date;
  attempts: WebhookAttempt[];
}
