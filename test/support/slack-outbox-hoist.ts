import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { BASE_IMAGE, containerAppYaml, deployCommand } from '../../bench/orchestration-hoist.ts';
import { parseEnv } from '../../src/config/env.ts';
import { startHoist, type RunningHoist } from '../../src/main.ts';
import { startFakeSlack, type FakeMessage, type FakeSlack } from '../fakes/slack-api.ts';
import { createNoopTarget } from '../fakes/noop-target.ts';
import { createTestDatabase, uniquePrefix } from './databases.ts';
import { pushImageTags } from './image-tags.ts';

const TOKEN = 'xoxb-outbox';
export const OUTBOX_CHANNEL = 'C0OUTBOX';

export interface OutboxHoist {
  hoist: RunningHoist;
  slack: FakeSlack;
  /** Requests a deployment of a fresh image tag to `env` from the channel; its id. */
  deploy(env: string): Promise<number>;
  /** The cards in the channel, and the replies of each, as Slack holds them. */
  cards(): FakeMessage[];
  replies(card: FakeMessage): FakeMessage[];
  stop(): Promise<void>;
}

/**
 * A whole Hoist (server and workers in one process) whose deployments run on a target that
 * does no work, requested from one Slack channel of a fake Slack that limits posts as given;
 * Hoist paces its posts at `postsPerSecond`.
 */
export async function startOutboxHoist(options: { envs: string[]; rate: number; burst: number; postsPerSecond: number; logLevel?: string }): Promise<OutboxHoist> {
  const slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: options.rate, burst: options.burst });
  const dir = mkdtempSync(join(tmpdir(), 'hoist-outbox-'));
  const database = await createTestDatabase();
  const app = 'outbox';
  writeFileSync(join(dir, 'hoist.yaml'), containerAppYaml(app, options.envs));
  const noop = createNoopTarget();
  const env = parseEnv({
    DATABASE_URL: database.url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    HOIST_REDIS_PREFIX: uniquePrefix(),
    HOIST_CONFIG: join(dir, 'hoist.yaml'),
    HOIST_DATA_DIR: join(dir, 'data'),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: options.logLevel ?? 'silent',
    HOIST_METRICS: 'off',
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: 'outbox-secret',
    SLACK_API_URL: slack.url,
    SLACK_POSTS_PER_SECOND: String(options.postsPerSecond),
  });
  const hoist = await startHoist({ env, mode: 'start', shell: null, logger: pino({ level: env.logLevel }), targetFor: () => noop.target });
  const tags = await pushImageTags(BASE_IMAGE, 64);
  let next = 0;
  const origin = { kind: 'slack' as const, channel: OUTBOX_CHANNEL, userId: 'U0OUTBOX', reply: null };
  return {
    hoist,
    slack,
    async deploy(target) {
      const tag = tags[next++ % tags.length] as string;
      const result = await hoist.api.request(deployCommand(app, target, tag), { requester: { id: 'U0OUTBOX', name: 'outbox' }, origin, trigger: 'chat' });
      if (!result.ok) throw new Error(result.reason);
      return result.deployment.id;
    },
    cards: () => slack.messages.filter((m) => m.channel === OUTBOX_CHANNEL && m.threadTs === null),
    replies: (card) => slack.thread(OUTBOX_CHANNEL, card.ts),
    async stop() {
      await hoist.stop();
      await slack.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
