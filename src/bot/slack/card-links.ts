import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { CardStore } from '../notifier.ts';

/** A message as a Slack permalink (`chat.getPermalink`), or null when Slack cannot say (logged: the caller goes on without it). */
export async function permalinkOf(client: webApi.WebClient, where: { channel: string; ts: string }, logger: Logger): Promise<string | null> {
  try {
    const result = await client.chat.getPermalink({ channel: where.channel, message_ts: where.ts });
    return typeof result.permalink === 'string' ? result.permalink : null;
  } catch (error) {
    logger.warn({ err: error, channel: where.channel }, 'could not get the permalink of a card');
    return null;
  }
}

/** A deployment's card as a Slack permalink, or null when it has no card yet or Slack cannot say. */
export function cardLinks(cards: CardStore, client: webApi.WebClient, logger: Logger): (deploymentId: number) => Promise<string | null> {
  return async (deploymentId) => {
    const ref = await cards.get(deploymentId);
    if (ref === null || typeof ref.channel !== 'string' || typeof ref.ts !== 'string') return null;
    return permalinkOf(client, { channel: ref.channel, ts: ref.ts }, logger.child({ deploymentId }));
  };
}
