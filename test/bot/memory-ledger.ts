import type { RequestClaim, RequestLedger } from '../../src/service/contract.ts';

/** The request ledger in memory, for chat edges tested without a database: the first claim carries a request out. */
export function memoryLedger(options: { waitMs?: number } = {}): RequestLedger {
  const claims = new Map<string, { answer: unknown } | null>();
  const waitMs = options.waitMs ?? 2_000;
  return {
    async claimRequest(key): Promise<RequestClaim> {
      const deadline = Date.now() + waitMs;
      for (;;) {
        if (!claims.has(key)) {
          claims.set(key, null);
          return { state: 'first' };
        }
        const claim = claims.get(key);
        if (claim) return { state: 'answered', answer: claim.answer };
        if (Date.now() >= deadline) return { state: 'pending' };
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async answerRequest(key, answer) {
      if (claims.get(key) === null) claims.set(key, { answer: structuredClone(answer) });
    },
    async releaseRequest(key) {
      if (claims.get(key) === null) claims.delete(key);
    },
  };
}
