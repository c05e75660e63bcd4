import type { Logger } from 'pino';
import type { ChatOrigin } from '../domain/deployment.ts';
import type { StoredRunningChange } from '../domain/event-log.ts';
import type { ChatPort } from './chat-port.ts';
import { trackedSubscription } from './feed-subscription.ts';
import { renderRunningChange } from './render/running.ts';

/** Delivers the announced changes of running status, oldest first, each until its handler resolves once. */
export interface RunningFeed {
  subscribe(handler: (change: StoredRunningChange, delivery?: { redelivery: boolean }) => Promise<void>): () => void;
}

export interface RunningAnnouncerOptions {
  feed: RunningFeed;
  chats: { slack?: ChatPort; shell?: ChatPort };
  logger: Logger;
}

/**
 * Tells a service's fall (DOWN after a successful deployment) and its recovery in the channel
 * the change names (the environment's `notify.channel`, else the app's first channel); in the
 * terminal when Hoist runs without Slack. The event log delivers each change once; an error
 * from the chat propagates so it is delivered again (marked, so Slack shows it once).
 */
export function createRunningAnnouncer(options: RunningAnnouncerOptions) {
  const handle = async (stored: StoredRunningChange, delivery?: { redelivery: boolean }): Promise<void> => {
    const { change } = stored;
    const target = whereTo(change.channel, options.chats);
    if (target === null) {
      options.logger.info({ app: stored.app, env: stored.env, service: change.service, state: change.running.state }, 'no chat to tell of this running status');
      return;
    }
    const rendered = renderRunningChange(stored, change);
    const mark = { eventId: stored.id, deploymentId: null, at: stored.createdAt, redelivery: delivery?.redelivery === true };
    await target.chat.postNotice(target.where, { text: rendered.text, blocks: rendered.blocks, plain: rendered.plain }, { mark });
  };
  return trackedSubscription(options.feed, handle);
}

function whereTo(channel: string | null, chats: RunningAnnouncerOptions['chats']): { chat: ChatPort; where: ChatOrigin } | null {
  if (channel !== null && chats.slack !== undefined) return { chat: chats.slack, where: { kind: 'slack', channel, userId: '', reply: null } };
  if (chats.shell !== undefined) return { chat: chats.shell, where: { kind: 'shell' } };
  return null;
}
