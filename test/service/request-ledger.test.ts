import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestLedger, createRequestSweep, REQUEST_RETENTION_MS } from '../../src/service/request-ledger.ts';
import { openTestStore, type StoreKind } from '../support/databases.ts';

const MINUTE = 60_000;

/**
 * A request's identity (a Slack trigger_id, event_id, a card's control) is claimed once;
 * its first answer is what every replay and retry gets, for well past Slack's retries.
 */
describe.each<StoreKind>(['postgres', 'pglite'])('the request ledger on %s', (kind) => {
  let store: Awaited<ReturnType<typeof openTestStore>>;

  beforeAll(async () => {
    store = await openTestStore(kind);
  });

  afterAll(async () => {
    await store?.cleanup();
  });

  const claimedAgo = (key: string, ms: number) =>
    sql`update requests set claimed_at = now() - make_interval(secs => ${ms / 1_000}) where key = ${key}`.execute(store.db);

  it('claims a key once; a replay while it is carried out waits for the first answer and gets it', async () => {
    const ledger = createRequestLedger(store.db, { waitMs: 10_000, pollMs: 10 });
    expect(await ledger.claimRequest('slack:trig-1')).toEqual({ state: 'first' });
    const replay = ledger.claimRequest('slack:trig-1');
    await ledger.answerRequest('slack:trig-1', { answers: [{ text: 'You locked shop in staging' }], deploymentId: null });
    expect(await replay).toEqual({ state: 'answered', answer: { answers: [{ text: 'You locked shop in staging' }], deploymentId: null } });
    // A second answer does not replace the first.
    await ledger.answerRequest('slack:trig-1', { answers: [{ text: 'Unlocked' }], deploymentId: null });
    expect(await ledger.claimRequest('slack:trig-1')).toMatchObject({ answer: { answers: [{ text: 'You locked shop in staging' }] } });
  });

  it('says pending when the first is still carried out after the wait, and a claim given up is taken by the retry', async () => {
    const ledger = createRequestLedger(store.db, { waitMs: 0 });
    expect(await ledger.claimRequest('slack:trig-2')).toEqual({ state: 'first' });
    expect(await ledger.claimRequest('slack:trig-2')).toEqual({ state: 'pending' });
    await ledger.releaseRequest('slack:trig-2');
    expect(await ledger.claimRequest('slack:trig-2')).toEqual({ state: 'first' });
  });

  it('takes over a claim left unanswered by a process that died, and never an answered one', async () => {
    const ledger = createRequestLedger(store.db, { waitMs: 0, staleMs: 5 * MINUTE });
    expect(await ledger.claimRequest('slack-event:Ev1')).toEqual({ state: 'first' });
    await claimedAgo('slack-event:Ev1', 4 * MINUTE);
    expect(await ledger.claimRequest('slack-event:Ev1')).toEqual({ state: 'pending' });
    await claimedAgo('slack-event:Ev1', 6 * MINUTE);
    expect(await ledger.claimRequest('slack-event:Ev1')).toEqual({ state: 'first' });
    await ledger.answerRequest('slack-event:Ev1', { answers: [], deploymentId: 7 });
    await claimedAgo('slack-event:Ev1', 60 * MINUTE);
    expect(await ledger.claimRequest('slack-event:Ev1')).toEqual({ state: 'answered', answer: { answers: [], deploymentId: 7 } });
  });

  it('keeps an answered identity well past Slack’s retry window (30 minutes and more), and forgets it after its retention', async () => {
    expect(REQUEST_RETENTION_MS).toBeGreaterThanOrEqual(30 * MINUTE);
    const ledger = createRequestLedger(store.db, { waitMs: 0 });
    expect(await ledger.claimRequest('slack-button:12:redeploy')).toEqual({ state: 'first' });
    await ledger.answerRequest('slack-button:12:redeploy', { answers: [], deploymentId: 13 });
    await claimedAgo('slack-button:12:redeploy', 31 * MINUTE);

    let now = Date.now();
    const sweep = createRequestSweep(store.db, () => now);
    await sweep();
    expect(await ledger.claimRequest('slack-button:12:redeploy')).toEqual({ state: 'answered', answer: { answers: [], deploymentId: 13 } });

    // Its retention over (the claim 31 minutes old, the clock that much further on).
    now += REQUEST_RETENTION_MS;
    await sweep();
    expect(await ledger.claimRequest('slack-button:12:redeploy')).toEqual({ state: 'first' });
  });
});
