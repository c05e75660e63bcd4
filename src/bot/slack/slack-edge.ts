import type { IncomingMessage, ServerResponse } from 'node:http';
import { HTTPReceiver, HTTPReceiverDeferredRequestError, type webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { CallErrors } from '../../domain/call-errors.ts';
import type { HoistService } from '../../service/contract.ts';
import type { CardStore } from '../notifier.ts';
import type { ChatPort } from '../chat-port.ts';
import { boltLogger } from './bolt-logger.ts';
import { createSlackChat, SLACK_RETRY, type SlackChatOptions } from './slack-chat.ts';
import { cardLinks } from './card-links.ts';
import { countingFetch } from './counting-fetch.ts';
import { registerRejectModal } from './slack-approvals.ts';
import { registerCardActions, registerCommands } from './slack-commands.ts';
import { createHomeTabs, registerAppHome, type HomeTabDeps } from './slack-home.ts';
import { createSocketReceiver, type SocketReceiver } from './socket-receiver.ts';
import { answerUnplaceable, PlacingApp } from './unplaceable-request.ts';
import { createWorkQueue, type WorkQueue } from './work-queue.ts';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** How Slack reaches Hoist: requests signed with the signing secret, or Socket Mode with the app-level token. */
export type SlackDelivery = { kind: 'http'; signingSecret: string } | { kind: 'socket'; appToken: string };

export interface SlackEdgeOptions {
  botToken: string;
  /** How Slack reaches Hoist: signed HTTP requests, or Socket Mode. */
  delivery: SlackDelivery;
  /** Web API base, ending with `/api/`. */
  apiUrl: string;
  api: HoistService;
  logger: Logger;
  now?: () => Date;
  retryConfig?: webApi.RetryOptions;
  /** Where cards are: answers that name a deployment link to its card. */
  cards?: CardStore;
  /** The workspace's user groups, for group mentions in threads. */
  groups?: SlackChatOptions['groups'];
  /** Counts failed calls to Slack's Web API (Bolt's, the cards'). */
  callErrors?: CallErrors;
  /** Spaces posts per channel across processes (see `PostPace`). */
  pace?: SlackChatOptions['pace'];
  /** The Home tab: each person's board, and the changes after which it is republished; without, the app has no Home. */
  home?: SlackHomeOptions;
}

export interface SlackHomeOptions extends Omit<HomeTabDeps, 'logger' | 'now'> {
  /** Called on every change of what an environment shows (any process's). */
  changes: { subscribe(listener: () => void): () => void };
}

export interface SlackEdge {
  /** What to mount on the HTTP server: `POST /slack/events` over HTTP; nothing in Socket Mode. */
  mounts: Record<string, Listener>;
  chat: ChatPort;
  /** Refuses new requests and waits (briefly) for card updates in flight. */
  stop(): Promise<void>;
}

/** Slack signs requests with a timestamp; one more than this away from now is refused either way. */
const MAX_CLOCK_SKEW_SECONDS = 5 * 60;
const STOP_GRACE_MS = 15_000;

/**
 * Bolt refuses stale timestamps but not future-dated ones; a request dated
 * ahead is refused here too, so a captured request cannot be replayed later.
 */
function isFutureDated(req: IncomingMessage, now: Date): boolean {
  const header = req.headers['x-slack-request-timestamp'];
  const timestamp = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(timestamp) && timestamp > now.getTime() / 1000 + MAX_CLOCK_SKEW_SECONDS;
}

function answer(res: ServerResponse, status: number): void {
  if (res.headersSent) return;
  res.writeHead(status);
  res.end();
}

interface Receiving {
  receiver: HTTPReceiver | SocketReceiver['receiver'];
  mounts: Record<string, Listener>;
  /** Starts taking requests (Socket Mode: connects), after the listeners are registered. */
  start(): Promise<void>;
  /** Takes no more requests. */
  stop(): Promise<void>;
}

/** Over HTTP: Bolt's receiver behind `/slack/events`, without a server of its own. */
function httpReceiving(signingSecret: string, options: SlackEdgeOptions, work: WorkQueue, now: () => Date): Receiving {
  const receiver = new HTTPReceiver({
    signingSecret,
    endpoints: '/slack/events',
    logger: boltLogger(options.logger),
    processEventErrorHandler: answerUnplaceable(options.logger),
  });
  let stopped = false;
  const requestListener: Listener = (req, res) => {
    if (stopped) return answer(res, 503);
    if (isFutureDated(req, now())) {
      options.logger.warn('refused a Slack request dated more than five minutes ahead');
      return answer(res, 401);
    }
    // Work of earlier requests waits until this one has its answer.
    res.once('close', work.hold());
    try {
      receiver.requestListener(req, res);
    } catch (error) {
      // The receiver throws for paths and methods it does not serve.
      if (error instanceof HTTPReceiverDeferredRequestError) return answer(res, 404);
      options.logger.error({ err: error }, 'Slack request failed');
      answer(res, 500);
    }
  };
  return {
    receiver,
    mounts: { '/slack/events': requestListener },
    start: async () => {},
    stop: async () => {
      stopped = true;
    },
  };
}

/** Over Socket Mode: Bolt's receiver on a WebSocket this process opens; nothing is mounted. */
function socketReceiving(appToken: string, options: SlackEdgeOptions, work: WorkQueue): Receiving {
  const socket = createSocketReceiver({ appToken, apiUrl: options.apiUrl, logger: options.logger, work });
  return { receiver: socket.receiver, mounts: {}, start: () => socket.connect(), stop: () => socket.disconnect() };
}

/** The Home tab: published on `app_home_opened`, republished after changes. */
function startHome(app: PlacingApp, options: SlackHomeOptions, logger: Logger, now: () => Date): { stop(): Promise<void> } {
  const { changes, ...deps } = options;
  const homes = createHomeTabs(app.client, { ...deps, logger, now });
  registerAppHome(app, homes, logger);
  const unsubscribe = changes.subscribe(() => homes.changed());
  return {
    async stop() {
      unsubscribe();
      await homes.stop();
    },
  };
}

/**
 * The Slack edge: Bolt over HTTP (mounted on Hoist's server) or over Socket Mode (a
 * WebSocket to Slack). Checks the bot token (`auth.test`), and in Socket Mode connects,
 * before it returns.
 */
export async function createSlackEdge(options: SlackEdgeOptions): Promise<SlackEdge> {
  const now = options.now ?? (() => new Date());
  const logger = boltLogger(options.logger);
  // Commands Slack was told were accepted; stopping waits for them so none is lost.
  const work = createWorkQueue();
  const receiving =
    options.delivery.kind === 'http' ? httpReceiving(options.delivery.signingSecret, options, work, now) : socketReceiving(options.delivery.appToken, options, work);
  const app = new PlacingApp({
    token: options.botToken,
    receiver: receiving.receiver,
    logger,
    // The constructor would otherwise fire auth.test without awaiting it.
    deferInitialization: true,
    convoStore: false,
    clientOptions: {
      slackApiUrl: options.apiUrl,
      retryConfig: options.retryConfig ?? SLACK_RETRY,
      ...(options.callErrors === undefined ? {} : { fetch: countingFetch(options.callErrors) }),
    },
  });
  app.error(async (error) => {
    options.logger.error({ err: error }, 'Slack listener failed');
  });
  const deps = {
    api: options.api,
    logger: options.logger,
    now,
    work,
    ...(options.cards === undefined ? {} : { cardLink: cardLinks(options.cards, app.client, options.logger) }),
  };
  registerCommands(app, deps);
  registerCardActions(app, deps);
  registerRejectModal(app, deps);
  const home = options.home === undefined ? null : startHome(app, options.home, options.logger.child({ on: 'home' }), now);
  await app.init();

  const chat = createSlackChat({
    token: options.botToken,
    apiUrl: options.apiUrl,
    logger: options.logger,
    ...(options.retryConfig === undefined ? {} : { retryConfig: options.retryConfig }),
    ...(options.groups === undefined ? {} : { groups: options.groups }),
    ...(options.callErrors === undefined ? {} : { callErrors: options.callErrors }),
    ...(options.pace === undefined ? {} : { pace: options.pace }),
  });
  await receiving.start();

  return {
    mounts: receiving.mounts,
    chat,
    async stop() {
      await receiving.stop();
      await home?.stop();
      let timer: NodeJS.Timeout | undefined;
      const settled = (async () => {
        await work.idle();
        await chat.idle();
      })();
      await Promise.race([settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)))]);
      clearTimeout(timer);
    },
  };
}
