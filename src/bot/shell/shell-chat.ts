import type { Deployment } from '../../domain/deployment.ts';
import { cardActions, type CardActionKind } from '../card-actions.ts';
import type { CardContext, CardRef, ChatMessage, ChatPort } from '../chat-port.ts';
import { renderCardText } from '../render/deployment-card.ts';
import type { Screen } from './screen.ts';

/** Thread lines are prefixed with their deployment, since a terminal has no threads: `  #1 │ web → BUILDING`. */
const THREAD_MARK = '│';

function idOf(ref: CardRef): string {
  const id = ref.deploymentId;
  if (typeof id !== 'string' || !/^\d+$/.test(id)) throw new Error(`not a terminal card reference: ${JSON.stringify(ref)}`);
  return id;
}

/** A card's button in the terminal: typing its number does what the button does. */
export interface ShellChoice {
  number: number;
  deploymentId: number;
  kind: CardActionKind;
}

export interface ShellChat extends ChatPort {
  /** The choice numbered `n`, as a card printed it; null when no card offered that number. */
  choice(n: number): ShellChoice | null;
}

/**
 * The terminal as a chat: cards and replies as text, a card's buttons as numbered
 * choices (`[2] Redeploy`). A choice keeps its number for good, so a number typed
 * late never does something else. `onCard` sees every card shown, so the shell
 * knows when a deployment's end has been printed.
 */
export function createShellChat(screen: Screen, onCard: (deployment: Deployment) => void = () => {}): ShellChat {
  const shown = new Map<number, string>();
  const numbers = new Map<string, number>();
  const choices = new Map<number, ShellChoice>();
  const mention = (userId: string): string => `@${userId.startsWith('shell:') ? userId.slice('shell:'.length) : userId}`;

  const choiceLine = (deployment: Deployment): string | null => {
    const offered = cardActions(deployment).map((action) => {
      const key = `${deployment.id}:${action.kind}`;
      let number = numbers.get(key);
      if (number === undefined) {
        number = choices.size + 1;
        numbers.set(key, number);
        choices.set(number, { number, deploymentId: deployment.id, kind: action.kind });
      }
      return `[${number}] ${action.label} (${action.command})`;
    });
    return offered.length === 0 ? null : `  type a number: ${offered.join('  ')}`;
  };

  const show = (deployment: Deployment, context: CardContext): void => {
    const card = renderCardText(deployment, { ...context, mention });
    const line = choiceLine(deployment);
    const text = line === null ? card : `${card}\n${line}`;
    // Reprinting an unchanged card would only repeat it.
    if (shown.get(deployment.id) !== text) screen.print(text);
    shown.set(deployment.id, text);
    onCard(deployment);
  };

  return {
    mention,
    choice: (n) => choices.get(n) ?? null,
    async postCard(deployment: Deployment, context: CardContext): Promise<CardRef> {
      show(deployment, context);
      return { deploymentId: String(deployment.id) };
    },
    async updateCard(ref: CardRef, deployment: Deployment, context: CardContext): Promise<void> {
      idOf(ref);
      show(deployment, context);
    },
    async postNotice(_where, message: ChatMessage): Promise<void> {
      screen.print(message.plain ?? message.text);
    },
    async postReply(ref: CardRef, message: ChatMessage): Promise<void> {
      const id = idOf(ref);
      const lines = (message.plain ?? message.text).split('\n');
      screen.print(lines.map((line) => `  #${id} ${THREAD_MARK} ${line}`).join('\n'));
    },
  };
}
