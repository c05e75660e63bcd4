import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import type { Refusal, RequestLedger } from '../service/contract.ts';
import { errorBody, refused } from './api-errors.ts';

/**
 * What became of a request sent with an `Idempotency-Key`: carried out now, or by an
 * earlier request with the same key and body (`replay`), or not at all: the key was used
 * for a different body (`mismatch`), the first is still being carried out (`pending`),
 * or the database does not answer.
 */
export type Once<T> =
  | { kind: 'done'; value: T }
  | { kind: 'replay'; deploymentId: number }
  | { kind: 'mismatch'; deploymentId: number | null }
  | { kind: 'pending' }
  | { kind: 'unavailable'; refusal: Refusal };

/** What the ledger keeps of a request carried out: enough to tell the same request from another, and its deployment. */
interface Kept {
  fingerprint: string;
  deploymentId: number;
}

const keptOf = (stored: unknown): Kept | null => {
  const value = (stored ?? {}) as Partial<Kept>;
  return typeof value.fingerprint === 'string' && typeof value.deploymentId === 'number' ? { fingerprint: value.fingerprint, deploymentId: value.deploymentId } : null;
};

const digest = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('base64url');

/**
 * Carries a request out once per token and key, through the request ledger that carries
 * chat requests out once (kept 24 hours). Only a request that recorded a deployment is
 * kept: a refused one did nothing, so a retry with the same key is judged again (the lock
 * may be gone by then). Without a key, the work is simply done.
 */
export async function carryOutOnce<T>(
  ledger: RequestLedger,
  identity: { token: string; key: string | undefined; request: unknown },
  work: () => Promise<{ value: T; deploymentId: number | null }>,
): Promise<Once<T>> {
  if (identity.key === undefined) return { kind: 'done', value: (await work()).value };
  // Hashed: a key is the client's text, of any length and characters; the ledger's key is ours.
  const ledgerKey = `api:${digest([identity.token, identity.key])}`;
  const fingerprint = digest(identity.request);
  const claim = await ledger.claimRequest(ledgerKey);
  switch (claim.state) {
    case 'unavailable':
      return { kind: 'unavailable', refusal: claim.refusal };
    case 'pending':
      return { kind: 'pending' };
    case 'answered': {
      const kept = keptOf(claim.answer);
      if (kept === null || kept.fingerprint !== fingerprint) return { kind: 'mismatch', deploymentId: kept?.deploymentId ?? null };
      return { kind: 'replay', deploymentId: kept.deploymentId };
    }
    case 'first':
      break;
  }
  let done: { value: T; deploymentId: number | null };
  try {
    done = await work();
  } catch (error) {
    await ledger.releaseRequest(ledgerKey);
    throw error;
  }
  if (done.deploymentId === null) await ledger.releaseRequest(ledgerKey);
  else await ledger.answerRequest(ledgerKey, { fingerprint, deploymentId: done.deploymentId } satisfies Kept);
  return { kind: 'done', value: done.value };
}

/** The answer when the key can't be settled now: the database does not answer (503), or the first request is still being carried out (409). */
export function unsettled(c: Context, once: Extract<Once<unknown>, { kind: 'unavailable' | 'pending' }>) {
  if (once.kind === 'unavailable') return refused(c, once.refusal);
  return c.json(errorBody('IN_PROGRESS', 'a request with this Idempotency-Key is still being carried out; send it again in a moment for its answer'), 409);
}
