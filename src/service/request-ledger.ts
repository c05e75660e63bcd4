import type { Db } from '../store/database.ts';
import type { RequestClaim, RequestLedger } from './contract.ts';
import { unlessDatabaseDown } from './outage.ts';
import { answerRequest, claimRequest, releaseRequest, sweepRequests } from '../store/requests.ts';

export interface LedgerOptions {
  /** How long a replay waits for the first to be answered. */
  waitMs?: number;
  pollMs?: number;
  /** An unanswered claim this old belonged to a process that died: it is taken over. */
  staleMs?: number;
}

/**
 * How long a request's identity is kept: an API client's `Idempotency-Key` holds for 24 hours
 * (Slack retries for minutes, and a signed request is accepted for five: well within it).
 */
export const REQUEST_RETENTION_MS = 24 * 60 * 60_000;
const SWEEP_EVERY_MS = 60_000;

export function createRequestLedger(db: Db, options: LedgerOptions = {}): RequestLedger {
  const waitMs = options.waitMs ?? 5_000;
  const pollMs = options.pollMs ?? 100;
  const staleMs = options.staleMs ?? 5 * 60_000;
  return {
    async claimRequest(key) {
      const deadline = Date.now() + waitMs;
      const claim = async (): Promise<RequestClaim> => {
        for (;;) {
          const stored = await claimRequest(db, key, new Date(Date.now() - staleMs));
          if (stored.state === 'claimed') return { state: 'first' };
          if (stored.state === 'answered') return { state: 'answered', answer: stored.answer };
          if (Date.now() >= deadline) return { state: 'pending' };
          await new Promise((resolve) => setTimeout(resolve, pollMs));
        }
      };
      const claimed = await unlessDatabaseDown('request', 'nothing will run', claim);
      return 'ok' in claimed ? { state: 'unavailable', refusal: claimed } : claimed;
    },
    answerRequest: (key, answer) => answerRequest(db, key, answer),
    releaseRequest: (key) => releaseRequest(db, key),
  };
}

/** Forgets request identities past their retention, at most once a minute however often it is called. */
export function createRequestSweep(db: Db, now: () => number = Date.now): () => Promise<void> {
  let last = 0;
  return async () => {
    if (now() - last < SWEEP_EVERY_MS) return;
    last = now();
    await sweepRequests(db, new Date(now() - REQUEST_RETENTION_MS));
  };
}
