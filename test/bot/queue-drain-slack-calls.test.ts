import { describe, expect, it } from 'vitest';
import { runCardDrain } from '../../bench/card-drain.ts';

const WAITING = 50;

describe('Slack calls while a queue drains', () => {
  it(`stay a few per deployment with ${WAITING} waiting, not one per waiting card per hand-off`, async () => {
    const drain = await runCardDrain({ waiting: WAITING });
    expect(drain.deployments).toBe(WAITING + 1);
    // Re-editing every waiting card at each start would be ~WAITING²/2 (1,275) edits. A card
    // is edited once per status (queued, running, final: a few) and, while its status stays,
    // at most once every 3 s, whatever the length of the queue.
    const sameStatusEdits = 1 + Math.ceil(drain.drainMs / 3_000);
    expect(drain.updates).toBeLessThanOrEqual(drain.deployments * (3 + sameStatusEdits));
    expect(drain.updates).toBeLessThan((WAITING * WAITING) / 4);
  }, 180_000);
});
