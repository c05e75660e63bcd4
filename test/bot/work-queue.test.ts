import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWorkQueue } from '../../src/bot/slack/work-queue.ts';

// The queue's clock and timers are faked (its start of work on a later turn of the loop,
// setImmediate, is not): what it waits for is measured in its own time, not in how busy the
// machine running the tests is.
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

/** Lets `ms` of the faked time pass, running what falls due meanwhile. */
const pass = (ms: number) => vi.advanceTimersByTimeAsync(ms);

describe('the work of acknowledged requests', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts at once for a request on its own', async () => {
    const queue = createWorkQueue({ quietMs: 200, burstSize: 3 });
    queue.hold()();
    const queued = performance.now();
    let startedAt: number | null = null;
    await queue.run(async () => {
      startedAt = performance.now();
    });
    expect(startedAt).toBe(queued);
  });

  it('waits during a burst until no request has come for the quiet spell', async () => {
    const queue = createWorkQueue({ quietMs: 200, burstSize: 3, maxDeferMs: 10_000 });
    const first = acknowledge(queue, 3, 5);
    await pass(18);
    await first;
    let startedAt: number | null = null;
    const done = queue.run(async () => {
      startedAt = performance.now();
    });
    // The burst goes on after the work was queued: it waits for all of it.
    const rest = acknowledge(queue, 10, 20);
    await pass(210);
    await rest;
    const lastAcknowledged = performance.now() - 20;
    expect(startedAt).toBeNull();
    await pass(179);
    expect(startedAt).toBeNull();
    await pass(1);
    await done;
    expect(startedAt).toBe(lastAcknowledged + 200);
  });

  it('starts anyway once it has waited the longest it may, however busy the requests are', async () => {
    const queue = createWorkQueue({ quietMs: 200, burstSize: 3, maxDeferMs: 150 });
    const first = acknowledge(queue, 3, 5);
    await pass(18);
    await first;
    const queued = performance.now();
    let startedAt: number | null = null;
    const done = queue.run(async () => {
      startedAt = performance.now();
    });
    const busy = acknowledge(queue, 30, 10);
    await pass(149);
    expect(startedAt).toBeNull();
    await pass(1);
    await done;
    expect(startedAt).toBe(queued + 150);
    await pass(330);
    await busy;
  });

  it("runs one person's work in the order it came, one at a time, beside other people's", async () => {
    // Orders, not times: on the real clock (a task's start waits for a turn of the loop).
    vi.useRealTimers();
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
