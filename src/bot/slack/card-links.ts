import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { CardStore } from '../notifier.ts';

/** A deployment's card as a Slack permalink (`chat.getPermalink`), or null when it has no card yet or Slack cannot say. */
export function cardLinks(cards: CardStore, client: webApi.WebClient, logger: Logger): (deploymentId: number) => Promise<string | null> {
  return async (deploymentId) => {
    const ref = await cards.get(deploymentId);
    if (ref === null || typeof ref.channel !== 'string' || typeof ref.ts !== 'string') return null;
    try {
      const result = await client.chat.getPermalink({ channel: ref.channel, message_ts: ref.ts });
      return typeof result.permalink === 'string' ? result.permalink : null;
    } catch (error) {
      logger.warn({ err: error, deploymentId }, 'could not get the permalink of a card');
      return null;
    }
  };
}
