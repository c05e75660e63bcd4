import type { ChatOrigin, Deployment } from '../domain/deployment.ts';
import type { ApprovalView } from '../service/contract.ts';
import type { Block } from './render/blocks.ts';

/** Where a deployment's card lives in one chat, as its adapter recorded it; the card store keeps it as JSON. */
export type CardRef = Record<string, string>;

/** What a card shows besides the deployment itself; the chat adds its own way of mentioning people. */
export interface CardContext {
  now: Date;
  /** 1 = next to run; null when the deployment is not waiting. */
  queuePosition: number | null;
  repoUrl: string | null;
  /** Its approval, where it waits or waited for one (the card shows the rules, their progress, who decided). */
  approval?: ApprovalView | null;
}

/**
 * A message for a card's thread: `text` is mrkdwn (Slack's notification and
 * fallback text), `blocks` the layout where the chat has one, `plain` the
 * same message for a terminal when it reads differently there.
 */
export interface ChatMessage {
  text: string;
  blocks?: Block[];
  plain?: string;
}

/**
 * The event of the log a message is posted for. A chat that can mark its messages (Slack's
 * message metadata) names the event on each, and on a `redelivery` (an earlier try may have
 * posted it: its answer was lost, or the process died before the event was settled) looks for
 * the message before posting it again, so each is shown once.
 */
export interface EventMark {
  eventId: number;
  deploymentId: number | null;
  /** When the event was logged: the message, if posted, is not older. */
  at: Date;
  redelivery: boolean;
}

/**
 * The chat a deployment's messages go to (Slack, the terminal). The notifier
 * decides what to say and when; the chat decides how it looks there.
 */
export interface ChatPort {
  /** How this chat names a user in a message (`<@U123>` in Slack, `@alice` in a terminal). */
  mention(userId: string): string;
  /** How this chat names a user group (`@sre`) so that its members hear of it; without, the handle as written. */
  mentionGroup?(handle: string): Promise<string>;
  /** Posts the deployment's card; the returned ref is what the card store keeps. */
  postCard(deployment: Deployment, context: CardContext, mark?: EventMark): Promise<CardRef>;
  /**
   * Edits the card in place. Resolves once the chat shows this state or a
   * later one: quick successive updates of one card may be merged.
   */
  updateCard(ref: CardRef, deployment: Deployment, context: CardContext): Promise<void>;
  /** A link to the card's thread that people can open from elsewhere (a Slack permalink); null where the chat has none. */
  threadLink?(ref: CardRef): Promise<string | null>;
  /** Posts in the card's thread; `broadcast` also shows the reply in the channel. */
  postReply(ref: CardRef, message: ChatMessage, options?: { broadcast?: boolean; mark?: EventMark }): Promise<void>;
  /**
   * A message about an environment rather than one deployment (a lock lapsed, an
   * automatic deploy skipped): in the channel of `where`, or to `directTo` alone
   * (a direct message in Slack).
   */
  postNotice(where: ChatOrigin, message: ChatMessage, options?: { directTo?: string | null; mark?: EventMark }): Promise<void>;
}
