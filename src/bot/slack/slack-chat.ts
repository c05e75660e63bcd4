import { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { CallErrors } from '../../domain/call-errors.ts';
import { slackChannelOf, type Deployment } from '../../domain/deployment.ts';
import { isFinal } from '../../domain/status.ts';
import type { CardContext, CardRef, ChatMessage, ChatPort, EventMark } from '../chat-port.ts';
import { renderCard } from '../render/deployment-card.ts';
import { boltLogger } from './bolt-logger.ts';
import { permalinkOf } from './card-links.ts';
import { createCoalescer, type SetTimer } from './coalesce.ts';
import { countingFetch } from './counting-fetch.ts';
import { asSlackBlocks } from './slack-blocks.ts';
import { CARD_METADATA, createSlackPosts, EVENT_METADATA, metadataOf, POST_TIMEOUT_MS, localPauses, type PostPace } from './slack-posts.ts';
import { slackMention } from '../render/format.ts';

type WebClient = webApi.WebClient;

/**
 * How the WebClient retries card edits (and Bolt's calls). On HTTP 429 it waits the
 * `Retry-After` seconds (pausing that client's queue), then backs off as below; network
 * errors back off the same way. Slack's platform errors (`ok: false`) are not retried.
 * Posts are not retried this way (slack-posts.ts): the event log tries them again.
 */
export const SLACK_RETRY: webApi.RetryOptions = { retries: 10, factor: 2, minTimeout: 200, maxTimeout: 30_000, randomize: true };

export interface SlackChatOptions {
  token: string;
  /** Web API base, ending with `/api/`. */
  apiUrl: string;
  logger: Logger;
  retryConfig?: webApi.RetryOptions;
  /** The clock and timer that space a card's updates (tests drive them). */
  now?: () => number;
  setTimer?: SetTimer;
  /** The workspace's user groups (the same directory, and cache, that `deployers` and approvers are checked with). */
  groups?: { groupIdOf(handle: string): Promise<string | null> };
  /** Counts its failed calls to Slack. */
  callErrors?: CallErrors;
  /** Spaces posts per channel across every Hoist process (default: no spacing, 429 pauses in this process). */
  pace?: PostPace;
  /** How long a post may wait for Slack's answer before its outcome counts as unknown. */
  postTimeoutMs?: number;
}

/**
 * At most one edit of a card this often while its status stays the same (its
 * place in the queue, the time it has waited): every start in an environment
 * moves every card waiting there, and Slack allows about one call a second.
 * A new status, a final one above all, is shown at once.
 */
export const CARD_UPDATE_SPACING_MS = 3_000;

export interface SlackChat extends ChatPort {
  /** Resolves when no card update is in flight or waiting. */
  idle(): Promise<void>;
}

function refOf(ref: CardRef): { channel: string; ts: string } {
  const { channel, ts } = ref;
  if (typeof channel !== 'string' || typeof ts !== 'string' || channel === '' || ts === '') {
    throw new Error(`not a Slack card reference: ${JSON.stringify(ref)}`);
  }
  return { channel, ts };
}

const blocksOf = (message: ChatMessage) => (message.blocks === undefined ? {} : { blocks: asSlackBlocks(message.blocks) });

/** How many final cards' last edits are remembered (an identical edit of one is not sent). */
const REMEMBERED_FINAL_CARDS = 1_000;

/**
 * Cards and thread replies through Slack's Web API. Each channel gets its own
 * WebClient: the client pauses its whole queue while it waits out a 429, and
 * Slack's posting limit is per channel, so one busy channel must not hold up
 * the others.
 */
export function createSlackChat(options: SlackChatOptions): SlackChat {
  const log = boltLogger(options.logger.child({ component: 'slack-web-api' }));
  const clients = new Map<string, WebClient>();
  const updates = createCoalescer({
    spacingMs: CARD_UPDATE_SPACING_MS,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.setTimer === undefined ? {} : { setTimer: options.setTimer }),
  });
  /**
   * What each card shows, as its last edit sent it: an edit that would show the
   * same is not sent. A card's first edit always goes (a redelivered event brings
   * a card up to date however it was left). Final cards are remembered too (their last events
   * often come in one pass and would each edit them the same), the oldest forgotten past
   * REMEMBERED_FINAL_CARDS.
   */
  const shown = new Map<string, { status: Deployment['status']; content: string }>();
  const finals: string[] = [];

  const newClient = (more: webApi.WebClientOptions): WebClient =>
    new webApi.WebClient(options.token, {
      slackApiUrl: options.apiUrl,
      logger: log,
      // Keeps a channel's calls in the order they were made.
      maxRequestConcurrency: 1,
      ...(options.callErrors === undefined ? {} : { fetch: countingFetch(options.callErrors) }),
      ...more,
    });
  /** Card edits: the same edit sent twice shows the same, so the client retries them itself. */
  const clientFor = (channel: string): WebClient => {
    let client = clients.get(channel);
    if (client === undefined) {
      client = newClient({ retryConfig: options.retryConfig ?? SLACK_RETRY });
      clients.set(channel, client);
    }
    return client;
  };
  /** Posts and the reads that look for them: tried once each (a post retried after a lost answer is a second message); 429s come back to the caller. */
  const postClients = new Map<string, WebClient>();
  const postClientFor = (channel: string): WebClient => {
    let client = postClients.get(channel);
    if (client === undefined) {
      client = newClient({ retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: options.postTimeoutMs ?? POST_TIMEOUT_MS });
      postClients.set(channel, client);
    }
    return client;
  };
  const posts = createSlackPosts({ clientFor: postClientFor, pace: options.pace ?? localPauses(), logger: options.logger.child({ component: 'slack-posts' }) });

  const mention = slackMention;

  return {
    mention,

    // Slack's group mention notifies the group's members; a group Slack does not know is named as written.
    async mentionGroup(handle: string): Promise<string> {
      const id = (await options.groups?.groupIdOf(handle)) ?? null;
      return id === null ? handle : `<!subteam^${id}>`;
    },

    async postCard(deployment: Deployment, context: CardContext, mark?: EventMark): Promise<CardRef> {
      const channel = slackChannelOf(deployment.chat);
      if (channel === null) throw new Error(`deployment #${deployment.id} has no Slack channel to show it in`);
      if (mark?.redelivery === true) {
        const ts = await posts.findInChannel(channel, CARD_METADATA, mark);
        if (ts !== null) return { channel, ts };
      }
      const card = renderCard(deployment, { ...context, mention });
      const result = await posts.post({
        channel,
        text: card.text,
        blocks: asSlackBlocks(card.blocks),
        unfurl_links: false,
        unfurl_media: false,
        ...(mark === undefined ? {} : { metadata: metadataOf(CARD_METADATA, mark) }),
      });
      if (typeof result.ts !== 'string') throw new Error('chat.postMessage answered without a ts');
      return { channel: result.channel ?? channel, ts: result.ts };
    },

    updateCard(ref: CardRef, deployment: Deployment, context: CardContext): Promise<void> {
      const { channel, ts } = refOf(ref);
      const key = `${channel}:${ts}`;
      const final = isFinal(deployment.status);
      const urgent = final || shown.get(key)?.status !== deployment.status;
      const send = async () => {
        const card = renderCard(deployment, { ...context, mention });
        const blocks = asSlackBlocks(card.blocks);
        const content = JSON.stringify([card.text, blocks]);
        if (shown.get(key)?.content === content) return;
        await clientFor(channel).chat.update({ channel, ts, text: card.text, blocks });
        if (final && shown.get(key)?.status !== deployment.status) {
          finals.push(key);
          if (finals.length > REMEMBERED_FINAL_CARDS) shown.delete(finals.shift() as string);
        }
        shown.set(key, { status: deployment.status, content });
      };
      return updates.submit(key, send, { urgent });
    },

    async threadLink(ref: CardRef): Promise<string | null> {
      const where = refOf(ref);
      return permalinkOf(clientFor(where.channel), where, options.logger);
    },

    async postReply(ref: CardRef, message: ChatMessage, replyOptions?: { broadcast?: boolean; mark?: EventMark }): Promise<void> {
      const { channel, ts } = refOf(ref);
      const mark = replyOptions?.mark;
      if (mark?.redelivery === true && (await posts.findReply(channel, ts, mark)) !== null) return;
      const reply = { channel, thread_ts: ts, text: message.text, reply_broadcast: replyOptions?.broadcast === true, unfurl_links: false, unfurl_media: false };
      await posts.post({ ...reply, ...blocksOf(message), ...(mark === undefined ? {} : { metadata: metadataOf(EVENT_METADATA, mark) }) });
    },

    async postNotice(where, message, noticeOptions) {
      // A user id as the channel is a direct message from the app.
      const direct = noticeOptions?.directTo ?? null;
      const channel = direct ?? slackChannelOf(where);
      if (channel === null) throw new Error('a Slack notice needs a channel or a user');
      const mark = noticeOptions?.mark;
      // A direct message's conversation is not the user id it was sent to: it is not looked for (it may come twice).
      if (mark?.redelivery === true && direct === null && (await posts.findInChannel(channel, EVENT_METADATA, mark)) !== null) return;
      const post = { channel, text: message.text, unfurl_links: false, unfurl_media: false };
      await posts.post({ ...post, ...blocksOf(message), ...(mark === undefined ? {} : { metadata: metadataOf(EVENT_METADATA, mark) }) });
    },

    idle: () => updates.idle(),
  };
}
