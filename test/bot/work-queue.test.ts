import { describe, expect, it } from 'vitest';
import { createWorkQueue } from '../../src/bot/slack/work-queue.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Acknowledges `count` requests `gapMs` apart, as the Slack edge does: a hold per request, released when its answer is written. */
async function acknowledge(queue: ReturnType<typeof createWorkQueue>, count: number, gapMs: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const release = queue.hold();
    await sleep(1);
    release();
    await sleep(gapMs);
  }
}

describe('the work of acknowledged requests', () => {
  it('starts at once for a request on its own', async () => {
    const queue = createWorkQueue({ quietMs: 200, burstSize: 3 });
    await acknowledge(queue, 1, 0);
    const queued = performance.now();
    await queue.run(async () => undefined);
    expect(performance.now() - queued).toBeLessThan(100);
  });

  it('waits during a burst until no request has come for the quiet spell', async () => {
    const queue = createWorkQueue({ quietMs: 200, burstSize: 3, maxDeferMs: 10_000 });
    await acknowledge(queue, 3, 5);
    let startedAt = 0;
    const done = queue.run(async () => {
      startedAt = performance.now();
    });
    // The burst goes on after the work was queued: it waits for all of it.
    await acknowledge(queue, 10, 20);
    const burstEnd = performance.now();
    await done;
    expect(startedAt).toBeGreaterThanOrEqual(burstEnd + 170);
  });

  it('starts anyway once it has waited the longest it may, however busy the requests are', async () => {
    const queue = createWorkQueue({ quietMs: 200, burstSize: 3, maxDeferMs: 150 });
    await acknowledge(queue, 3, 5);
    const queued = performance.now();
    let startedAt = 0;
    const done = queue.run(async () => {
      startedAt = performance.now();
    });
    const busy = acknowledge(queue, 30, 10);
    await done;
    expect(startedAt - queued).toBeGreaterThanOrEqual(140);
    expect(startedAt - queued).toBeLessThan(1_000);
    await busy;
  });

  it("runs one person's work in the order it came, one at a time, beside other people's", async () => {
    const queue = createWorkQueue({ concurrency: 4 });
    const events: string[] = [];
    const task = (name: string, ms: number) => async () => {
      events.push(`${name} start`);
      await sleep(ms);
      events.push(`${name} end`);
    };
    await Promise.all([queue.run(task('alice 1', 60), 'U0ALICE'), queue.run(task('alice 2', 5), 'U0ALICE'), queue.run(task('bob 1', 5), 'U0BOB')]);
    // Bob's work does not wait for Alice's; Alice's second waits for her first, though it is quicker.
    expect(events.indexOf('bob 1 end')).toBeLessThan(events.indexOf('alice 1 end'));
    expect(events.indexOf('alice 2 start')).toBeGreaterThan(events.indexOf('alice 1 end'));
  });
});
