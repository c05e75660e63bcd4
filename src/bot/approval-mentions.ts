import { approversOf } from '../domain/approval.ts';
import type { Deployment } from '../domain/deployment.ts';
import type { DeploymentStatus } from '../domain/status.ts';
import type { ApprovalView } from '../service/contract.ts';
import type { ChatPort } from './chat-port.ts';

/**
 * Everyone a deployment's approval rules name, as the chat mentions them so that they
 * hear of it: people by user id, groups by the chat's group mention (`<!subteam^S…>` in
 * Slack). Null when there is no approval to ask for.
 */
export async function approverMentions(chat: Pick<ChatPort, 'mention' | 'mentionGroup'>, approval: ApprovalView | null): Promise<string | null> {
  if (approval === null) return null;
  return mentionsOf(chat, approversOf(approval));
}

/** User ids and `@group` handles as the chat mentions them, joined; null for none. */
export async function mentionsOf(chat: Pick<ChatPort, 'mention' | 'mentionGroup'>, entries: readonly string[]): Promise<string | null> {
  const named = await Promise.all(entries.map(async (entry) => (entry.startsWith('@') ? ((await chat.mentionGroup?.(entry)) ?? entry) : chat.mention(entry))));
  return named.length === 0 ? null : named.join(', ');
}

/** Ends that leave a requester's deployment never run, which they are told of by name. */
const UNRUN_ENDS: ReadonlySet<DeploymentStatus> = new Set(['REJECTED', 'EXPIRED']);

/** `<@U0ALICE> ` before a line that tells the requester their deployment will not run; '' otherwise (and for automatic deploys). */
export function requesterMention(chat: Pick<ChatPort, 'mention'>, deployment: Deployment, status: DeploymentStatus): string {
  if (!UNRUN_ENDS.has(status) || deployment.trigger === 'webhook') return '';
  return `${chat.mention(deployment.requestedBy.id)} `;
}
