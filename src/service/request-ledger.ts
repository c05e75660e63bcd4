import type { Db } from '../store/database.ts';
import { answerRequest, claimRequest, releaseRequest, sweepRequests } from '../store/requests.ts';

/**
 * Whether the caller carries a request out: `first` (it does, then answers),
 * `answered` (it was carried out; here is the first answer), or `pending`
 * (another is still carrying it out, past the wait).
 */
export type RequestClaim = { state: 'first' } | { state: 'answered'; answer: unknown } | { state: 'pending' };

/** Every request is carried out once: its identity is claimed, its first answer kept for replays. */
export interface RequestLedger {
  /** Claims `key`; a replay of a request still being carried out waits (briefly) for its answer. */
  claimRequest(key: string): Promise<RequestClaim>;
  /** Keeps the first answer (JSON) for replays of `key`. */
  answerRequest(key: string, answer: unknown): Promise<void>;
  /** Carrying `key` out failed: a retry may carry it out. */
  releaseRequest(key: string): Promise<void>;
}

export interface LedgerOptions {
  /** How long a replay waits for the first to be answered. */
  waitMs?: number;
  pollMs?: number;
  /** An unanswered claim this old belonged to a process that died: it is taken over. */
  staleMs?: number;
}

/** Slack retries for minutes, and a signed request is accepted for five; an identity is kept well past both. */
export const REQUEST_RETENTION_MS = 60 * 60_000;
const SWEEP_EVERY_MS = 60_000;

export function createRequestLedger(db: Db, options: LedgerOptions = {}): RequestLedger {
  const waitMs = options.waitMs ?? 5_000;
  const pollMs = options.pollMs ?? 100;
  const staleMs = options.staleMs ?? 5 * 60_000;
  return {
    async claimRequest(key) {
      const deadline = Date.now() + waitMs;
      for (;;) {
        const claim = await claimRequest(db, key, new Date(Date.now() - staleMs));
        if (claim.state === 'claimed') return { state: 'first' };
        if (claim.state === 'answered') return { state: 'answered', answer: claim.answer };
        if (Date.now() >= deadline) return { state: 'pending' };
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
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
