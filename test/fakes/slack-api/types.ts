/** What the fake Slack Web API holds and answers; `startFakeSlack` (../slack-api.ts) returns a `FakeSlack`. */
import type { FakeSocketMode, FakeSocketModeOptions } from './socket-types.ts';

export interface FakeSlackOptions {
  /** The bot token the API accepts; anything else is `invalid_auth`. */
  token: string;
  /** chat.postMessage per channel per second (Slack: about 1). 0 turns the limit off. */
  rateLimitPerChannelPerSecond?: number;
  /** Posts a channel may make at once before the limit applies (Slack allows short bursts). */
  burst?: number;
  /** The workspace's user groups (handles without `@`): the table both `usergroups.*` methods read. */
  userGroups?: FakeUserGroup[];
  /** Channel id → member user ids, the table `conversations.members` reads; a channel not in it is `channel_not_found`. */
  channelMembers?: Record<string, string[]>;
  /** How long a `trigger_id` may open a view after its interaction (Slack: 3 seconds). */
  triggerTtlMs?: number;
  /** The app-level token (`xapp-…`) `apps.connections.open` accepts; without it, every token is refused there. */
  appToken?: string;
  /** How the Socket Mode endpoint times acknowledgements, retries and disconnects. */
  socket?: FakeSocketModeOptions;
  /** The most messages one page of `conversations.replies` holds (Slack: 1000; 15 for apps distributed outside the Marketplace). */
  repliesPageLimit?: number;
  /** Whether the app's Home tab is on (`app_home.home_tab_enabled`); off, `views.publish` answers `not_enabled`. Default on. */
  homeTabEnabled?: boolean;
}

/** A user's Home tab: the view `views.publish` last set for them, and every version published. */
export interface FakeHome {
  userId: string;
  id: string;
  /** As Slack stores it: the app's view plus id, hash, generated block ids. */
  view: Record<string, unknown>;
  versions: Record<string, unknown>[];
}

/** Message metadata as Slack stores it with a message: `event_type` names the event, `event_payload` is the app's own. */
export interface FakeMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

/** A Web API call the fake accepted and carried out but has not answered yet (`holdNext`). */
export interface FakeHeldAnswer {
  /** Resolves with the call once the fake has received and carried it out (the message is in `messages`). */
  accepted: Promise<FakeCall>;
  /** Sends the answer the call would have had. */
  release(): void;
  /** Cuts the connection without an answer (a connection reset, as the client sees it). */
  drop(): void;
}

export interface FakeUserGroup {
  id: string;
  handle: string;
  users: string[];
}

export interface FakeMessageVersion {
  text: string;
  blocks: unknown[] | null;
  at: Date;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[] | null;
  /** The parent's ts for a thread reply; null for a top-level message. */
  threadTs: string | null;
  replyBroadcast: boolean;
  /** Every version of the message, the original first; chat.update appends. */
  history: FakeMessageVersion[];
  /** `api` for chat.postMessage, `response_url` for an in_channel reply. */
  via: 'api' | 'response_url';
  postedAt: Date;
  /** The message's metadata (`chat.postMessage` with `metadata`); null without. */
  metadata: FakeMetadata | null;
}

export interface FakeEphemeral {
  channel: string | null;
  user: string | null;
  text: string;
  blocks: unknown[] | null;
  via: 'api' | 'response_url';
  responseUrlId: string | null;
  at: Date;
}

export interface FakeCall {
  method: string;
  /** The parsed parameters, without the token. */
  params: Record<string, unknown>;
  status: number;
  response: Record<string, unknown>;
  at: Date;
}

export interface FakeResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
  status: number;
  at: Date;
}

/** What became of a submission, as Slack reads the app's answer to `view_submission`. */
export type FakeViewAnswer =
  | { kind: 'closed' }
  | { kind: 'errors'; errors: Record<string, string> }
  | { kind: 'updated'; view: Record<string, unknown> }
  | { kind: 'pushed'; view: Record<string, unknown> }
  /** Slack shows the user an error and keeps the modal open: what the app answered broke a rule. */
  | { kind: 'failed'; reason: string };

/** A modal opened with `views.open`, as the user sees it. */
export interface FakeView {
  id: string;
  /** The view as Slack stores it: the app's view plus id, hash, state, generated block ids. */
  view: Record<string, unknown>;
  callbackId: string;
  privateMetadata: string;
  /** The user whose interaction issued the trigger. */
  userId: string | null;
  triggerId: string;
  openedAt: Date;
  /** `open` until a submission closes it (or the app answers `clear`). */
  status: 'open' | 'closed';
  /** Each submission, in order: refused by the modal's own validation, or posted and answered. */
  submissions: FakeViewSubmission[];
}

export type FakeViewSubmission =
  | { kind: 'refused'; errors: Record<string, string>; at: Date }
  | { kind: 'answered'; answer: FakeViewAnswer; at: Date };

/** The values a user types into a modal's inputs: block_id → action_id → text. */
export type FakeViewValues = Record<string, Record<string, string>>;

export interface FakeSlack {
  /** Base URL of the Web API, ending in `/api/` (Bolt's `clientOptions.slackApiUrl`). */
  url: string;
  /** A response_url this server accepts; `context` says which channel and user it answers. */
  responseUrl(id: string, context?: { channel?: string; userId?: string }): string;
  messages: FakeMessage[];
  ephemerals: FakeEphemeral[];
  calls: FakeCall[];
  responses: FakeResponseUrlPost[];
  /** The workspace's user groups; tests may change it, the next call reads it. */
  userGroups: FakeUserGroup[];
  /** Channel id → member user ids (`conversations.members`); tests may change it, the next call reads it. */
  channelMembers: Record<string, string[]>;
  /** Every view opened with `views.open`, oldest first. */
  views: FakeView[];
  /** Each user's Home tab (`views.publish`), in the order first published. */
  homes: FakeHome[];
  /** A `trigger_id` as Slack puts in an interaction by `userId`; `ageMs` back-dates it. */
  issueTrigger(options?: { userId?: string; ageMs?: number }): string;
  /**
   * The user presses Submit: the modal's own validation first (required inputs, lengths), as
   * the Slack client does before anything is sent; then the `payload=` form body of the
   * `view_submission` Slack posts to the app.
   */
  submitView(
    viewId: string,
    submission: { userId: string; userName?: string; values: FakeViewValues },
  ): { ok: true; body: string } | { ok: false; errors: Record<string, string> };
  /** What Slack does with the app's HTTP answer to a `view_submission`; recorded on the view. */
  answerView(viewId: string, answer: { status: number; body: string }): FakeViewAnswer;
  /** Replies in the thread of `ts`, oldest first. */
  thread(channel: string, ts: string): FakeMessage[];
  /** Makes the next call of `method` fail with Slack error `error` (HTTP 200, ok: false). */
  failNext(method: string, error: string): void;
  /**
   * The next call of `method` is carried out (a post is stored) but its answer is held until
   * `release()`; `drop()` cuts the connection instead. A held answer never sent is a post whose
   * outcome the client cannot know (it sees its timeout), as when Slack's answer is lost.
   */
  holdNext(method: string): FakeHeldAnswer;
  /** From now on every Web API call answers HTTP `status` (503: Slack unavailable) without being carried out, until `available()`. */
  unavailable(status?: number): void;
  available(): void;
  /** Socket Mode: the connections opened with URLs from `apps.connections.open`, and the envelopes sent on them. */
  socket: FakeSocketMode;
  /** Resolves with the predicate's first truthy value, re-checked after every request and every Socket Mode message. */
  waitFor<T>(predicate: (slack: FakeSlack) => T | null | undefined | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export type Answer = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };

export type Method = (params: Record<string, unknown>) => Answer;

export const TEAM = { team: 'Hoist Test', team_id: 'T0HOIST', user: 'hoist', user_id: 'U0HOISTBOT', bot_id: 'B0HOIST' } as const;
export const APP_ID = 'A0HOIST';
