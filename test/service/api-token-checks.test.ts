import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenGrant } from '../../src/domain/api-token-record.ts';
import { createTokenService } from '../../src/service/api-tokens.ts';
import { openTestStore } from '../support/databases.ts';

const grant = (name: string): TokenGrant => ({ name, scopes: ['read'], apps: null, envs: null, actAs: null, expiresAt: null });

describe('checking API tokens under load', () => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  beforeAll(async () => {
    store = await openTestStore('pglite');
  });
  afterAll(async () => {
    await store?.cleanup();
  });

  it('checks of one token while its lookup runs share it: one statement for a hundred requests', async () => {
    let lookups = 0;
    const counting: KyselyPlugin = {
      transformQuery(args) {
        if (args.node.kind === 'SelectQueryNode') lookups += 1;
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const clock = { at: new Date('2026-01-01T00:00:00Z') };
    const tokens = createTokenService({ db: store.db.withPlugin(counting), now: () => clock.at, touchEveryMs: Number.POSITIVE_INFINITY });
    const made = await tokens.create(grant('poller'), 'cli');
    if (!made.ok) throw new Error(made.reason);
    lookups = 0;
    const answers = await Promise.all(Array.from({ length: 100 }, () => tokens.authenticate(made.secret)));
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(lookups).toBe(1);
    // Once the cache lapsed, again one lookup for them all.
    clock.at = new Date(clock.at.getTime() + 10_000);
    await Promise.all(Array.from({ length: 100 }, () => tokens.authenticate(made.secret)));
    expect(lookups).toBe(2);
  });

  it('a revoke while a lookup runs: checks after it do not take the lookup begun before it', async () => {
    const tokens = createTokenService({ db: store.db });
    const made = await tokens.create(grant('revoked-soon'), 'cli');
    if (!made.ok) throw new Error(made.reason);
    const before = tokens.authenticate(made.secret);
    expect((await tokens.revoke('revoked-soon')).ok).toBe(true);
    const after = await tokens.authenticate(made.secret);
    expect(after.ok).toBe(false);
    await before;
    expect((await tokens.authenticate(made.secret)).ok).toBe(false);
  });
});
