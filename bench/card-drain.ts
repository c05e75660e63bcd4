import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/logger.ts';
import { parseEnv } from '../src/config/env.ts';
import { startHoist } from '../src/main.ts';
import { startFakeSlack } from '../test/fakes/slack-api.ts';
import { createTestDatabase, uniquePrefix } from '../test/support/databases.ts';
import { deleteKeys } from './bench-hoist.ts';
import { createNoopTarget } from '../test/fakes/noop-target.ts';
import { pushImageTags } from '../test/support/image-tags.ts';
import { BASE_IMAGE, containerAppYaml, deployCommand } from './orchestration-hoist.ts';

const TOKEN = 'xoxb-drain';
const CHANNEL = 'C0DRAIN';
const ENV = 'staging';

export interface CardDrain {
  deployments: number;
  /** Slack Web API calls over the whole drain, by method. */
  updates: number;
  posts: number;
  /** Milliseconds from the release of the first deployment to the last one's end. */
  drainMs: number;
}

/**
 * One deployment held running, `waiting` more queued behind it in the same
 * environment, all requested from one Slack channel; then the held one ends and
 * the queue drains through a target that does no work. Counts what Hoist asked
 * of Slack's Web API (cards, thread replies, card edits) until every card shows
 * its final status.
 */
export async function runCardDrain(options: { waiting: number; logLevel?: string }): Promise<CardDrain> {
  const slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'hoist-drain-'));
  const database = await createTestDatabase();
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = uniquePrefix();
  const app = 'drain';
  writeFileSync(join(dir, 'hoist.yaml'), containerAppYaml(app, [ENV]));
  const noop = createNoopTarget();
  const env = parseEnv({
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    HOIST_REDIS_PREFIX: prefix,
    HOIST_CONFIG: join(dir, 'hoist.yaml'),
    HOIST_DATA_DIR: join(dir, 'data'),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: options.logLevel ?? 'silent',
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: 'drain-secret',
    SLACK_API_URL: slack.url,
    // The fake limits nothing here: what is counted is calls, not Slack's pace.
    SLACK_POSTS_PER_SECOND: '1000',
  });
  const hoist = await startHoist({ env, mode: 'start', shell: null, logger: createLogger(env.logLevel), targetFor: () => noop.target });
  try {
    const origin = { kind: 'slack' as const, channel: CHANNEL, userId: 'U0DRAIN', reply: null };
    const total = options.waiting + 1;
    // A version each: identical requests waiting at once would be one deployment.
    const tags = await pushImageTags(BASE_IMAGE, total);
    const ask = async (tag: string) => {
      const result = await hoist.api.request(deployCommand(app, ENV, tag), { requester: { id: 'U0DRAIN', name: 'drain' }, origin, trigger: 'chat' });
      if (!result.ok) throw new Error(result.reason);
    };
    const hold = noop.holdNext(ENV);
    const [first, ...queued] = tags;
    await ask(first as string);
    await hold.started;
    for (const tag of queued) await ask(tag);
    const cards = () => slack.messages.filter((m) => m.channel === CHANNEL && m.threadTs === null);
    await slack.waitFor(() => cards().length === total || null, 60_000);
    const released = performance.now();
    hold.release();
    await slack.waitFor(() => cards().every((m) => /DEPLOYED/.test(m.text)) || null, 120_000);
    const drainMs = performance.now() - released;
    // The thread's last replies come after the final edit: let them land.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const count = (method: string) => slack.calls.filter((c) => c.method === method).length;
    return { deployments: total, updates: count('chat.update'), posts: count('chat.postMessage'), drainMs };
  } finally {
    await hoist.stop();
    await slack.close();
    await database.drop();
    await deleteKeys(redisUrl, `${prefix}:*`);
    rmSync(dir, { recursive: true, force: true });
  }
}
