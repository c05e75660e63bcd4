import { judgeAttempt, type AttemptVerdict, type WebhookAttempt, type WebhookDelivery } from '../../domain/webhook.ts';
import type { Db } from '../../store/database.ts';
import { recordAttempt } from '../../store/webhook-deliveries.ts';
import type { SendWebhook } from './sender.ts';

export interface AttemptDeps {
  db: Db;
  send: SendWebhook;
  now?: () => Date;
}

/**
 * Sends a delivery once and records the attempt: what the receiver answered (or why it could
 * not be reached), how long it took, and what follows. `lastChance`: the retries end with this
 * attempt (the event is a day old), so one that would be retried is recorded as failed.
 */
export async function attemptDelivery(
  deps: AttemptDeps,
  delivery: Pick<WebhookDelivery, 'id' | 'event' | 'body'>,
  hook: { url: string; secret: string },
  options: { redelivery: boolean; lastChance?: boolean },
): Promise<{ attempt: WebhookAttempt; verdict: AttemptVerdict }> {
  const at = (deps.now ?? (() => new Date()))();
  const { result, durationMs } = await deps.send({ url: hook.url, secret: hook.secret, deliveryId: delivery.id, event: delivery.event, body: delivery.body });
  const verdict = judgeAttempt(result);
  const statusCode = result.kind === 'answered' ? result.statusCode : null;
  const attempt: WebhookAttempt = { at, statusCode, error: null, durationMs, outcome: verdict.outcome, redelivery: options.redelivery };
  if (verdict.outcome === 'failed') attempt.error = verdict.why;
  else if (verdict.outcome === 'retry') {
    // A redelivery is one request on demand; the retries end with the event's first day.
    const ends = options.redelivery ? 'a redelivery is sent once: redeliver again' : options.lastChance ? 'given up after trying for a day' : null;
    attempt.outcome = ends === null ? 'retry' : 'failed';
    attempt.error = `${verdict.why}; ${ends ?? 'tried again later'}`;
  }
  await recordAttempt(deps.db, delivery.id, attempt);
  return { attempt, verdict };
}
