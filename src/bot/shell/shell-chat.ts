import type { Deployment } from '../../domain/deployment.ts';
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

/**
 * The terminal as a chat: cards and replies as text. `onCard` sees every
 * card shown, so the shell knows when a deployment's end has been printed.
 */
export function createShellChat(screen: Screen, onCard: (deployment: Deployment) => void = () => {}): ChatPort {
  const shown = new Map<number, string>();
  const mention = (userId: string): string => `@${userId.startsWith('shell:') ? userId.slice('shell:'.length) : userId}`;

  const show = (deployment: Deployment, context: CardContext): void => {
    const text = renderCardText(deployment, { ...context, mention });
    // Reprinting an unchanged card would only repeat it.
    if (shown.get(deployment.id) !== text) screen.print(text);
    shown.set(deployment.id, text);
    onCard(deployment);
  };

  return {
    mention,
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
