import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { createNoticePoster } from '../bot/notice-poster.ts';
import { createRunningAnnouncer } from '../bot/running-announcer.ts';
import { createNotifier } from '../bot/notifier.ts';
import { createShellEdge } from '../bot/shell/shell-edge.ts';
import { ConfigError } from '../config/errors.ts';
import { defaultNotifyPolicy } from '../domain/notify-policy.ts';
import { METRICS_PATH, metricsListener } from '../http/metrics-endpoint.ts';
import { createHttpServer } from '../http/server.ts';
import { createChangelogSource } from '../engine/source/changelog-source.ts';
import { createGitHubWebhook } from '../http/github-webhook.ts';
import { createChangelogWriter } from '../jobs/changelog-writer.ts';
import { createGitHubDeployments } from '../jobs/github-deployments.ts';
import { createChatFeed } from '../jobs/chat-feed.ts';
import { createPushDeploys } from '../service/push-deploys.ts';
import { createEventHub } from '../jobs/event-hub.ts';
import { listenForEvents } from '../jobs/event-signal.ts';
import { createRedisPostPace } from '../jobs/post-pace.ts';
import { closeRedis, connectRedis } from '../jobs/redis.ts';
import { createDashboardSessions } from '../service/dashboard-sessions.ts';
import { createHomeBoards } from '../service/home-board.ts';
import { createRedisHomeTabs } from '../jobs/home-tabs.ts';
import type { SlackHomeOptions } from '../bot/slack/slack-edge.ts';
import { createCardStore } from '../store/chat-cards.ts';
import type { CardStore } from '../bot/notifier.ts';
import { startApiTokens, type LocalAdminToken } from './api-tokens.ts';
import { closeServer, listen } from './listening.ts';
import { startWebhooks } from './webhooks.ts';
import type { SharedParts } from './shared-parts.ts';

/** The terminal chat's input and output. */
export interface ShellOptions {
  input: Readable;
  output: Writable;
  interactive: boolean;
  user: string;
}

type Chats = Parameters<typeof createNotifier>[0]['chats'];
type Mounts = Record<string, (req: IncomingMessage, res: ServerResponse) => void>;

/** The server role: the chat edges, what tells the chats (deployment cards, lock notices), and HTTP. */
export async function startServerRole(
  shared: SharedParts,
  options: { shell: ShellOptions | null },
): Promise<{ port: number; shellDone: Promise<number | null> | null; localAdmin: LocalAdminToken | null }> {
  const { env, db, redis, redisHealth: health, logger, stops, api } = shared;
  const subscriber = health.watch(connectRedis(env.redis, { name: 'hoist-events' }), 'hoist-events');
  stops.add(() => closeRedis(subscriber));
  // The environments' views follow what the other processes record.
  const listening = listenForEvents(subscriber, env.redisPrefix, () => shared.changes.emit('remote'));
  stops.add(async () => listening.stop());
  // The chat is one consumer of the event log: deployment events to the notifier, lock notices to the poster.
  const feed = createChatFeed({ db, redis, subscriber, prefix: env.redisPrefix, logger, health });
  stops.add(() => feed.close());
  // One card store: the notifier keeps where each card is, and Slack links to it.
  const cards = createCardStore(db);
  const { chats, mounts, shellDone } = await startChatEdges(shared, cards, options.shell);
  const notifier = createNotifier({
    feed: feed.events,
    api,
    cards,
    chats,
    logger: logger.child({ component: 'notifier' }),
    repoUrl: (app) => shared.config.apps.get(app)?.repo ?? null,
    notifyPolicy: (d) => shared.config.apps.get(d.app)?.environments.get(d.env)?.notify ?? defaultNotifyPolicy(false),
  });
  notifier.start();
  stops.add(async () => notifier.stop());
  const noticePoster = createNoticePoster({ feed: feed.notices, chats, logger: logger.child({ component: 'notices' }) });
  noticePoster.start();
  stops.add(async () => noticePoster.stop());
  const runningAnnouncer = createRunningAnnouncer({ feed: feed.running, chats, logger: logger.child({ component: 'running-status' }) });
  runningAnnouncer.start();
  stops.add(async () => runningAnnouncer.stop());
  feed.start();
  // What each deploy changes, worked out beside it (GitHub's compare, or the git mirror's log).
  const changelogs = createChangelogWriter({
    db,
    redis,
    subscriber,
    prefix: env.redisPrefix,
    logger,
    health,
    config: shared.config,
    source: createChangelogSource({ git: shared.source, github: shared.github }),
    notify: shared.notify,
  });
  stops.add(() => changelogs.close());
  changelogs.start();
  if (shared.github !== null) {
    // Each deployment of a GitHub app mirrored as a GitHub Deployment, beside it: GitHub never holds a deployment.
    const githubDeployments = createGitHubDeployments({ db, redis, subscriber, prefix: env.redisPrefix, logger, health, config: shared.config, github: shared.github, publicUrl: env.publicUrl });
    await githubDeployments.ready();
    stops.add(() => githubDeployments.close());
    githubDeployments.start();
  }
  if (env.githubWebhookSecret !== null) {
    mounts['/webhooks/github'] = createGitHubWebhook({
      secret: env.githubWebhookSecret,
      pushes: createPushDeploys({ config: shared.config, api }),
      checks: shared.checkWaits,
      ledger: api,
      logger,
    });
  }

  // Each webhook is a consumer of the event log of its own: deployments never wait on a receiver.
  const webhookRoutes = await startWebhooks(shared, subscriber);
  const { tokens, localAdmin } = await startApiTokens(shared);
  // One reader of the event log for every open event stream of this process.
  const hub = createEventHub({ db, subscriber, prefix: env.redisPrefix, logger: logger.child({ component: 'events' }), health });
  await hub.start();
  const server = createHttpServer({
    api,
    authenticate: tokens.authenticate,
    tokens,
    logger,
    mounts,
    apiGroups: [webhookRoutes],
    events: { source: hub },
    dashboard: { sessions: createDashboardSessions({ db, tokens }), publicUrl: env.publicUrl },
    readiness: {
      postgres: () => db.selectNoFrom((eb) => eb.lit(1).as('one')).execute(),
      redis: () => redis.ping(),
    },
  });
  await listen(server, env.port, env.host, 'PORT');
  stops.add(() => closeServer(server));
  // Runs before the server closes: open streams end cleanly instead of holding the stop up.
  stops.add(() => hub.close());
  const port = (server.address() as AddressInfo).port;
  logger.info({ port }, 'http listening');
  return { port, shellDone, localAdmin };
}

/** Slack when its tokens are set (over HTTP its events are mounted on the HTTP server; Socket Mode connects out), and the terminal chat when asked for. */
async function startChatEdges(shared: SharedParts, cards: CardStore, shell: ShellOptions | null): Promise<{ chats: Chats; mounts: Mounts; shellDone: Promise<number | null> | null }> {
  const { env, api, logger, stops } = shared;
  const chats: Chats = {};
  const mounts: Mounts = {};
  if (env.slack) {
    const { createSlackEdge } = await import('../bot/slack/slack-edge.ts');
    const { SlackAppTokenRefused } = await import('../bot/slack/socket-receiver.ts');
    const groups = shared.slackDirectory ?? undefined;
    // Slack's pace for posting is per channel, whichever process posts: kept in Redis.
    const pace = createRedisPostPace(shared.redis, env.redisPrefix, { perSecond: env.slack.postsPerSecond });
    const slack = await createSlackEdge({ ...env.slack, api, cards, ...(groups === undefined ? {} : { groups }), logger: logger.child({ component: 'slack' }), callErrors: shared.callErrors, pace, home: await homeOptions(shared) }).catch(
      (error: unknown) => {
        // A refused token is the operator's to fix: said as a configuration error, without a stack.
        throw error instanceof SlackAppTokenRefused ? new ConfigError(error.code, error.message, { cause: error }) : error;
      },
    );
    stops.add(() => slack.stop());
    chats.slack = slack.chat;
    Object.assign(mounts, slack.mounts);
  }
  // Beside the API, unless it has a port of its own (main/metrics-port.ts).
  if (shared.metrics !== null && env.metrics?.port === null) mounts[METRICS_PATH] = metricsListener(shared.metrics, logger);
  if (shell === null) return { chats, mounts, shellDone: null };
  const edge = createShellEdge({ ...shell, api });
  stops.add(async () => edge.close());
  chats.shell = edge.chat;
  return { chats, mounts, shellDone: edge.done };
}

/** How long someone who opened the Home tab keeps getting it republished on changes; opening it again publishes it at once anyway. */
const HOME_OPENERS_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** The Home tab: each person's board, who opened it (Redis, shared by the servers), republished on the change feed. */
async function homeOptions(shared: SharedParts): Promise<SlackHomeOptions> {
  const { HOME_DEBOUNCE_MS } = await import('../bot/slack/slack-home.ts');
  const { env, api, config } = shared;
  return {
    boards: createHomeBoards({ api, config, ...homeDirectory(shared.slackDirectory) }),
    store: createRedisHomeTabs(shared.redis, env.redisPrefix, { windowMs: HOME_DEBOUNCE_MS, ttlMs: HOME_OPENERS_TTL_MS }),
    publicUrl: env.publicUrl,
    repoUrlOf: (app) => config.apps.get(app)?.repo ?? null,
    debounceMs: HOME_DEBOUNCE_MS,
    absorbs: (error) => shared.redisHealth.absorbs(error, 'home tabs'),
    changes: shared.changes,
  };
}

/** Groups and channel members from Slack's directory; without one (no Slack), an app that names channels has no members to show it to. */
function homeDirectory(directory: SharedParts['slackDirectory']): Pick<Parameters<typeof createHomeBoards>[0], 'groupsOf' | 'memberOf'> {
  if (directory === null) return { memberOf: async () => false };
  return { groupsOf: directory.groupsOf, memberOf: directory.memberOf };
}
