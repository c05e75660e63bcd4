import type { Deployment, DeploymentEvent } from '../domain/deployment.ts';
import { formatDuration, actionTitle } from '../bot/render/format.ts';
import { renderApprovalStep, renderChecksStep, renderFailureText, renderSummary, renderSupersedes, renderTransition } from '../bot/render/thread-lines.ts';
import type { ApprovalProgress } from './wire.ts';

/** A person as the API names them (`U0ALICE`, `token:ci`, `shell:alice`), written as a mention. */
const mention = (id: string): string => `@${id.startsWith('shell:') ? id.slice('shell:'.length) : id}`;

/** What the deployment's thread says about `event`, as the terminal chat prints it; null for what only moves its card. */
export function threadText(event: DeploymentEvent, deployment: Deployment, approvers: string | null = null): string | null {
  switch (event.kind) {
    case 'requested':
    case 'queue':
    case 'changelog':
      return null;
    case 'status':
      return renderTransition(event, deployment, 'text');
    case 'failure':
      return renderFailureText(event, deployment, mention);
    case 'summary':
      return renderSummary(event, 'text');
    case 'supersedes':
      return renderSupersedes(event);
    case 'approval':
      return renderApprovalStep(event, 'text', { mention, approvers });
    case 'checks':
      return renderChecksStep(event, 'text');
  }
}

/** Thread lines under their deployment, as in the terminal chat: `  #12 │ web → BUILDING`. */
export function threaded(id: number, text: string): string {
  return text
    .split('\n')
    .map((line) => `  #${id} │ ${line}`)
    .join('\n');
}

const OUTCOME_NOTE: Record<string, string> = {
  queued: '',
  coalesced: ' (joined the same request, which was already waiting)',
  duplicate: ' (requested before with this Idempotency-Key)',
  'awaiting-approval': '',
};

/** The first line: `#12 deploy shop to staging — QUEUED`. */
export function headline(deployment: Deployment, outcome: string): string {
  return `#${deployment.id} ${actionTitle(deployment.action, deployment.app, deployment.env).toLowerCase()} — ${deployment.status}${OUTCOME_NOTE[outcome] ?? ''}`;
}

/** Who may approve, rule by rule: `2 of @sre, @U0BOB (voted: @carol)`. */
export function approversText(progress: ApprovalProgress): string {
  return progress.rules
    .map((rule) => {
      const who = rule.approvers.map((a) => (a.startsWith('@') ? a : mention(a))).join(', ');
      const voted = rule.voters.length > 0 ? ` (voted: ${rule.voters.map((v) => `@${v.name}`).join(', ')})` : '';
      return `${rule.count} of ${who}${rule.met ? ' ✓' : ''}${voted}`;
    })
    .join(' and ');
}

/** While it waits: `#12 waits for approval by 1 of @sre; it expires in 1h; waiting up to 30m`. */
export function waitingLine(deployment: Deployment, progress: ApprovalProgress | null, timeoutMs: number, now: Date): string {
  const who = progress !== null && progress.rules.length > 0 ? ` by ${approversText(progress)}` : '';
  const expires = progress?.expiresAt ? `; it expires in ${formatDuration(Math.max(0, progress.expiresAt.getTime() - now.getTime()))}` : '';
  return `#${deployment.id} waits for approval${who}${expires}; waiting up to ${formatDuration(timeoutMs)}`;
}
