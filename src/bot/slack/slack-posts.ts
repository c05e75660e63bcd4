import { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { EventMark } from '../chat-port.ts';

type WebClient = webApi.WebClient;

/**
 * Slack's pace for posting: about one message a second per channel. Kept for every Hoist
 * process at once (the implementation shares it through Redis), so that posts are spaced
 * before Slack has to answer 429.
 */
export interface PostPace {
  /** Resolves when this caller may post in `channel`. */
  turn(channel: string): Promise<void>;
  /** Slack answered 429 for `channel`: no process posts there for `ms`. Other channels go on. */
  pause(channel: string, ms: number): Promise<void>;
}

/** This process's own pauses only, no spacing: where no shared pace is given (one process, tests). A 429 still holds its channel. */
export function localPauses(): PostPace {
  const until = new Map<string, number>();
  return {
    async turn(channel) {
      const wait = (until.get(channel) ?? 0) - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      else until.delete(channel);
    },
    async pause(channel, ms) {
      until.set(channel, Math.max(until.get(channel) ?? 0, Date.now() + ms));
    },
  };
}

/** Message metadata naming what Hoist posted: `hoist_card` on a deployment's card, `hoist_event` on a message for one event of the log. */
export const CARD_METADATA = 'hoist_card';
export const EVENT_METADATA = 'hoist_event';

/** The metadata of a card, or of a message for an event (Slack keeps it with the message; people do not see it). */
export function metadataOf(kind: typeof CARD_METADATA | typeof EVENT_METADATA, mark: EventMark): webApi.MessageMetadata {
  const payload: Record<string, number> = { event_id: mark.eventId };
  if (mark.deploymentId !== null) payload.deployment_id = mark.deploymentId;
  return { event_type: kind, event_payload: payload };
}

/** How long a post may take before its outcome counts as unknown (Slack answers in well under a second). */
export const POST_TIMEOUT_MS = 10_000;
/** 429s in a row for one post before it is handed back to the event log (which waits Retry-After). */
const RATE_LIMITED_TRIES = 5;
/** A card is posted after its event is logged; clocks differ a little, so look this far before the event too. */
const CLOCK_SKEW_MS = 5 * 60_000;
const PAGE = 200;

/** A post whose outcome is unknown (no answer, a cut connection, Slack's 5xx): it may be in the channel. The event's redelivery looks first. */
export class PostOutcomeUnknown extends Error {
  readonly code = 'SLACK_POST_OUTCOME_UNKNOWN';
}

/** A post Slack kept refusing with 429: the event log tries again after `retryAfterMs`. */
export class PostRateLimited extends Error {
  readonly code = 'SLACK_RATE_LIMITED';
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

type SlackError = { code?: unknown; retryAfter?: unknown; statusCode?: unknown; data?: { error?: unknown } };
const codeOf = (error: unknown): SlackError => (typeof error === 'object' && error !== null ? (error as SlackError) : {});

/** Slack's refusals that mean Hoist cannot read the conversation (no scope for it, not a member): it cannot tell what is there. */
const CANNOT_READ = new Set(['missing_scope', 'not_in_channel', 'channel_not_found', 'thread_not_found', 'not_allowed_token_type']);

type Found<T> = { kind: 'found'; value: T } | { kind: 'absent' } | { kind: 'cannot tell'; reason: string };

/**
 * Posting messages for events exactly once. Each post waits for its channel's turn, is made
 * once per try (the client retries nothing: a retried post whose first answer was lost is a
 * second message), and a 429 pauses the channel for everyone before the post is tried again.
 * Looking for a message already posted reads the thread (`conversations.replies`) or the
 * channel since the event (`conversations.history`), with metadata.
 */
export function createSlackPosts(options: { clientFor(channel: string): WebClient; pace: PostPace; logger: Logger }) {
  const { clientFor, pace } = options;

  async function post(args: webApi.ChatPostMessageArguments & { channel: string }): Promise<webApi.ChatPostMessageResponse> {
    for (let limited = 1; ; limited += 1) {
      await pace.turn(args.channel);
      try {
        return await clientFor(args.channel).chat.postMessage(args);
      } catch (error) {
        const e = codeOf(error);
        if (e.code === webApi.ErrorCode.RateLimitedError) {
          const ms = (typeof e.retryAfter === 'number' ? e.retryAfter : 1) * 1000;
          await pace.pause(args.channel, ms);
          if (limited < RATE_LIMITED_TRIES) continue;
          throw new PostRateLimited(`Slack kept answering 429 for channel ${args.channel}`, ms);
        }
        if (e.code === webApi.ErrorCode.RequestError || e.code === webApi.ErrorCode.HTTPError) {
          throw new PostOutcomeUnknown(`chat.postMessage in ${args.channel} got no answer that says whether it was posted`, { cause: error });
        }
        throw error;
      }
    }
  }

  /** Reads pages of a conversation until `pick` finds something; a refusal to read is `cannot tell`. */
  async function search<T>(channel: string, read: (cursor: string | undefined) => Promise<webApi.ConversationsRepliesResponse | webApi.ConversationsHistoryResponse>, pick: (m: { ts?: string; metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }) => T | null): Promise<Found<T>> {
    let cursor: string | undefined;
    try {
      do {
        const page = await read(cursor);
        for (const message of page.messages ?? []) {
          const value = pick(message as Parameters<typeof pick>[0]);
          if (value !== null) return { kind: 'found', value };
        }
        cursor = page.response_metadata?.next_cursor || undefined;
      } while (cursor !== undefined);
      return { kind: 'absent' };
    } catch (error) {
      const e = codeOf(error);
      const reason = typeof e.data?.error === 'string' ? e.data.error : null;
      if (e.code === webApi.ErrorCode.PlatformError && reason !== null && CANNOT_READ.has(reason)) return { kind: 'cannot tell', reason: `${reason} in ${channel}` };
      if (e.code === webApi.ErrorCode.RateLimitedError) {
        const ms = (typeof e.retryAfter === 'number' ? e.retryAfter : 1) * 1000;
        throw new PostRateLimited(`Slack answered 429 to reading ${channel}`, ms);
      }
      throw error;
    }
  }

  const names = (kind: string, mark: EventMark) => (m: { ts?: string; metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }) => {
    const payload = m.metadata?.event_payload;
    if (m.metadata?.event_type !== kind || payload === undefined) return null;
    const matches = kind === CARD_METADATA ? payload.deployment_id === mark.deploymentId : payload.event_id === mark.eventId;
    return matches && typeof m.ts === 'string' ? m.ts : null;
  };

  /** Whether something is already there, logging (and counting as absent) a conversation Hoist may not read. */
  const settle = (found: Found<string>, what: string): string | null => {
    if (found.kind === 'found') return found.value;
    if (found.kind === 'cannot tell') options.logger.warn({ reason: found.reason }, `cannot read the conversation to look for ${what} (grant channels:history and groups:history); posting it again`);
    return null;
  };

  return {
    post,
    /** The ts of the reply posted for `mark`'s event in the thread of `threadTs`, or null. */
    async findReply(channel: string, threadTs: string, mark: EventMark): Promise<string | null> {
      const read = (cursor: string | undefined) =>
        clientFor(channel).conversations.replies({ channel, ts: threadTs, include_all_metadata: true, limit: PAGE, ...(cursor === undefined ? {} : { cursor }) });
      return settle(await search(channel, read, names(EVENT_METADATA, mark)), `the reply of event ${mark.eventId}`);
    },
    /** The ts of the card (`CARD_METADATA`) or message (`EVENT_METADATA`) posted in the channel for `mark` since its event, or null. */
    async findInChannel(channel: string, kind: typeof CARD_METADATA | typeof EVENT_METADATA, mark: EventMark): Promise<string | null> {
      const oldest = ((mark.at.getTime() - CLOCK_SKEW_MS) / 1000).toFixed(6);
      const read = (cursor: string | undefined) =>
        clientFor(channel).conversations.history({ channel, oldest, include_all_metadata: true, limit: PAGE, ...(cursor === undefined ? {} : { cursor }) });
      return settle(await search(channel, read, names(kind, mark)), `the ${kind === CARD_METADATA ? 'card' : 'message'} of event ${mark.eventId}`);
    },
  };
}
