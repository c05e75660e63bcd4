import type { Deployment } from '../../domain/deployment.ts';
import type { CommandAnswer } from './command-answers.ts';
import { escapeMrkdwn } from './format.ts';

/**
 * An identical request joined a deployment still waiting: "#N (requested by @x)
 * will do exactly this", with a link to #N's card where the chat has one.
 */
export function renderCoalesced(waiting: Deployment, link: string | null, mention: (userId: string) => string): CommandAnswer {
  const what = `${waiting.action} ${waiting.app} ${waiting.action === 'deploy' ? 'to' : 'in'} ${waiting.env}`;
  const by = mention(waiting.requestedBy.id);
  const named = link === null ? `#${waiting.id}` : `<${link}|#${waiting.id}>`;
  const rest = `will do exactly this (${what}, the same versions); it is waiting, so nothing new was queued.`;
  return {
    text: `:link: ${named} (requested by ${by}) ${escapeMrkdwn(rest)}`,
    plain: `#${waiting.id} (requested by ${by}) ${rest}`,
  };
}
