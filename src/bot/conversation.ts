import type { Trigger } from '../domain/command.ts';
import type { Person } from '../domain/person.ts';
import type { ChatOrigin, Deployment } from '../domain/deployment.ts';
import type { ChatMessage } from './chat-port.ts';

/** What the chat says to whoever typed a command; `rejected`: the command was not taken. */
export type ChatAnswer = ChatMessage & { rejected: boolean };

/** A card's control that stands for a command: a Slack button, or a numbered choice in the terminal. */
export type CardControl = 'button' | 'choice';

/**
 * One command's exchange with whoever typed it, as the edge it came from lends
 * it to the executor: who asks and from where, and how an answer reaches them
 * (an ephemeral message in Slack, a printed line in a terminal).
 */
export interface Conversation {
  requester: Person;
  origin: ChatOrigin;
  trigger: Trigger;
  /** How commands are typed where the answer is shown: `/hoist `, `/` for an alias, `` in the shell. */
  prefix: string;
  /** Idempotency key of what asked (a delivery, a button, a choice): asked again, it requests nothing new. */
  requestKey?: string;
  /** A card's control asked: using it again is answered with the deployment it already requested. */
  control?: CardControl;
  now: Date;
  /** How this chat names a user (`<@U123>` in Slack, `@alice` in a terminal). */
  mention(userId: string): string;
  /** Shows an answer to whoever asked, and to them only. */
  answer(message: ChatAnswer): Promise<unknown>;
  /** Where the chat shows deployment `id`'s card (a Slack permalink), if it can say. */
  cardLink?(deploymentId: number): Promise<string | null>;
  /** A deployment was requested; `duplicate`: the request key had requested it before. */
  requested?(deployment: Deployment, duplicate: boolean): void;
}
