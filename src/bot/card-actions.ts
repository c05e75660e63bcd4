import type { Deployment } from '../domain/deployment.ts';
import { isFinal, isInProgress } from '../domain/status.ts';

/** What a card's buttons (Slack) or numbered choices (terminal) do. */
export type CardActionKind = 'approve' | 'reject' | 'cancel' | 'redeploy' | 'rollback' | 'logs';
export const CARD_ACTION_KINDS: readonly CardActionKind[] = ['approve', 'reject', 'cancel', 'redeploy', 'rollback', 'logs'];

export interface CardAction {
  kind: CardActionKind;
  label: string;
  /** The command a user would type for the same thing (no prefix): what the button carries out. */
  command: string;
  /** A button that changes a running environment is styled as such. */
  style: 'primary' | 'danger' | null;
  /** A read (Logs) changes nothing: clicking it again shows it again, where an action is carried out once per card. */
  once: boolean;
  /**
   * Each use is a request of its own (a vote: the service counts a person once), so that
   * one person's click never absorbs another's; absent: once per card.
   */
  perUse?: true;
  /** Asks for a reason first, which the command takes last (a modal in Slack, the next line in the terminal). */
  needsReason?: true;
}

/** Outcomes after which the same versions may be applied again, or the previous ones brought back. */
const REDEPLOYABLE_ACTIONS = new Set(['deploy', 'redeploy', 'rollback']);
const ROLLBACK_STATUSES = new Set(['DEPLOYED', 'DEPLOYMENT_ERROR']);

function scopeText(d: Deployment): string {
  const services = d.scope ?? null;
  return services === null || services.length === 0 ? d.app : `${d.app}/${services.join(',')}`;
}

/** What the card offers to change: Cancel while it waits or runs; Redeploy and Rollback once a deploy, redeploy or rollback has ended. */
function changes(d: Deployment): CardAction[] {
  const cancel: CardAction = { kind: 'cancel', label: 'Cancel', command: `cancel #${d.id}`, style: 'danger', once: true };
  if (d.status === 'AWAITING_APPROVAL') {
    return [
      { kind: 'approve', label: 'Approve', command: `approve #${d.id}`, style: 'primary', once: true, perUse: true },
      { kind: 'reject', label: 'Reject', command: `reject #${d.id}`, style: 'danger', once: true, needsReason: true },
      cancel,
    ];
  }
  // Anything waiting or running, unless it is already being canceled.
  if (isInProgress(d.status) && d.status !== 'CANCELING') return [cancel];
  if (!isFinal(d.status) || !REDEPLOYABLE_ACTIONS.has(d.action)) return [];
  const actions: CardAction[] = [];
  if (d.status !== 'REJECTED' && d.status !== 'EXPIRED') {
    actions.push({ kind: 'redeploy', label: 'Redeploy', command: `redeploy ${scopeText(d)} in ${d.env}`, style: null, once: true });
  }
  if (ROLLBACK_STATUSES.has(d.status)) {
    actions.push({ kind: 'rollback', label: 'Rollback', command: `rollback ${scopeText(d)} in ${d.env}`, style: 'danger', once: true });
  }
  return actions;
}

/**
 * The actions a card offers in its deployment's current state: Approve and Reject
 * while it waits for approval; Cancel while it waits or runs; Redeploy and Rollback once a deploy, redeploy or rollback has
 * ended; Logs, last, once it has started. Each carries out exactly what its
 * typed command would, with the same rules.
 */
export function cardActions(d: Deployment): CardAction[] {
  const logs: CardAction[] = d.startedAt === null ? [] : [{ kind: 'logs', label: 'Logs', command: `logs #${d.id}`, style: null, once: false }];
  return [...changes(d), ...logs];
}

/** The action `kind` the card of `d` offers now, or null when it no longer does. */
export function offeredAction(d: Deployment, kind: CardActionKind): CardAction | null {
  return cardActions(d).find((a) => a.kind === kind) ?? null;
}

/** Slack `action_id` of a card button: `hoist_card_<kind>`. */
export const CARD_ACTION_PREFIX = 'hoist_card_';

export function cardActionKindOf(actionId: string): CardActionKind | null {
  const kind = actionId.startsWith(CARD_ACTION_PREFIX) ? actionId.slice(CARD_ACTION_PREFIX.length) : '';
  return (CARD_ACTION_KINDS as readonly string[]).includes(kind) ? (kind as CardActionKind) : null;
}
