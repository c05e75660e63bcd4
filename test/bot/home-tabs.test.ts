import { webApi } from '@slack/bolt';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHomeTabs, type HomeTabs } from '../../src/bot/slack/slack-home.ts';
import { createRedisHomeTabs } from '../../src/jobs/home-tabs.ts';
import type { HomeBoard } from '../../src/service/home-board.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { uniquePrefix } from '../support/databases.ts';

const TOKEN = 'xoxb-home-tabs';
const WINDOW_MS = 400;

describe('Home tabs across processes', () => {
  let slack: FakeSlack;
  let redis: Redis;
  const homes: HomeTabs[] = [];

  beforeAll(async () => {
    slack = await startFakeSlack({ token: TOKEN });
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  });
  afterAll(async () => {
    for (const home of homes) await home.stop();
    redis.disconnect();
    await slack.close();
  });

  /** A server process: its own client and timers, the Redis records shared; `version()` is what the board shows now. */
  /** Each claim's answer, in order, across the processes of a test. */
  const claims: { user: string; kind: string; sentAt: number; answeredAt: number }[] = [];
  const claimWaiters: (() => void)[] = [];
  const claimOf = (user: string) =>
    new Promise<string>((resolve) => {
      const check = () => {
        const found = claims.find((c) => c.user === user);
        if (found === undefined) return claimWaiters.push(check);
        resolve(found.kind);
      };
      check();
    });

  function serverProcess(prefix: string, version: () => number): HomeTabs {
    const client = new webApi.WebClient(TOKEN, { slackApiUrl: slack.url, logLevel: webApi.LogLevel.ERROR, retryConfig: { retries: 0 } });
    const board = async (userId: string): Promise<HomeBoard> => ({
      userId,
      environments: [],
      mine: [{ id: version(), app: 'shop', env: 'staging', action: 'deploy', status: 'QUEUED', position: 1 }],
      approvals: [],
      eventId: version(),
    });
    const home = createHomeTabs(client, {
      boards: { of: board },
      store: recordingClaims(createRedisHomeTabs(redis, prefix, { windowMs: WINDOW_MS, ttlMs: 60_000 })),
      logger: pino({ level: 'silent' }),
      now: () => new Date(),
      publicUrl: null,
      debounceMs: WINDOW_MS,
    });
    homes.push(home);
    return home;
  }

  function recordingClaims(store: ReturnType<typeof createRedisHomeTabs>): ReturnType<typeof createRedisHomeTabs> {
    return {
      ...store,
      async claim(user, board) {
        const sentAt = Date.now();
        const answer = await store.claim(user, board);
        claims.push({ user, kind: answer.kind, sentAt, answeredAt: Date.now() });
        for (const waiter of claimWaiters.splice(0)) waiter();
        return answer;
      },
    };
  }

  const publishes = (user: string) => slack.calls.filter((c) => c.method === 'views.publish' && c.params.user_id === user && c.response.ok === true);
  const shownVersion = (user: string) => {
    const blocks = slack.homes.find((h) => h.userId === user)!.view.blocks as { text?: { text: string } }[];
    return Number(/\*#(\d+)\*/.exec(blocks.map((b) => b.text?.text ?? '').join('\n'))?.[1]);
  };

  it('a burst of changes in two processes republishes each opener once per window, ending with the newest board', async () => {
    const prefix = uniquePrefix();
    let version = 1;
    const a = serverProcess(prefix, () => version);
    const b = serverProcess(prefix, () => version);
    await a.opened('U0ANN', null);
    await b.opened('U0BEN', null);
    expect(publishes('U0ANN')).toHaveLength(1);
    const started = Date.now();
    // Changes keep coming for three windows, in both processes.
    while (Date.now() - started < WINDOW_MS * 3) {
      version += 1;
      a.changed();
      b.changed();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const last = version;
    for (const user of ['U0ANN', 'U0BEN']) {
      await slack.waitFor(() => shownVersion(user) === last, WINDOW_MS * 6);
      // At most one publish per window. The window is Redis's: a claim granted runs in Redis after
      // it was sent, and the next one granted runs a window later and answers after that, so the
      // next grant's answer comes a window or more after the previous grant was sent (however
      // long either took on a busy machine; a few ms for the clocks' granularity).
      const granted = claims.filter((c) => c.user === user && c.kind === 'publish');
      for (let i = 1; i < granted.length; i++) expect(granted[i]!.answeredAt - granted[i - 1]!.sentAt).toBeGreaterThanOrEqual(WINDOW_MS - 2);
      expect(granted.length).toBeGreaterThanOrEqual(2);
      expect(granted.length).toBeLessThanOrEqual(Math.ceil((granted.at(-1)!.answeredAt - started) / WINDOW_MS) + 1);
      // What Slack got is what was granted: one publish each (the open's went before the burst).
      expect(publishes(user).filter((c) => c.at.getTime() >= started)).toHaveLength(granted.filter((c) => c.sentAt >= started).length);
    }
  }, 20_000);

  it('publishes nothing when what a Home shows did not change', async () => {
    const prefix = uniquePrefix();
    const a = serverProcess(prefix, () => 7);
    await a.opened('U0CID', null);
    const count = publishes('U0CID').length;
    a.changed();
    expect(await claimOf('U0CID')).toBe('unchanged');
    expect(publishes('U0CID')).toHaveLength(count);
  }, 10_000);
});
