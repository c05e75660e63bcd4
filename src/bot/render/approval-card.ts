import type { ApprovalEntry, RuleProgress } from '../../domain/approval.ts';
import type { DeploymentSet, ServiceSpec } from '../../domain/deployment-set.ts';
import type { Deployment } from '../../domain/deployment.ts';
import type { ApprovalView } from '../../service/contract.ts';
import { escapeMrkdwn, formatDuration, shortVersion } from './format.ts';
import { LIMITS, truncateMrkdwn, truncatePlain } from './limits.ts';

/**
 * The approval part of a deployment's card: while it waits, what is asked and each rule
 * with its progress; once decided, who decided, when, and (for a rejection) why.
 */

/** How the card names people: a mention where the chat has one. `mrkdwn` escapes for Slack. */
export interface ApprovalCardContext {
  now: Date;
  mention: (userId: string) => string;
  format: 'mrkdwn' | 'text';
}

const MAX_REASON = 500;
/** Services named in the set's summary before it says how many more there are. */
const SUMMARY_SERVICES = 8;

const plain = (text: string, ctx: ApprovalCardContext): string => (ctx.format === 'mrkdwn' ? escapeMrkdwn(text) : text);
const bold = (text: string, ctx: ApprovalCardContext): string => (ctx.format === 'mrkdwn' ? `*${text}*` : text);

/** A rule's approvers as the card shows them: user ids mentioned, `@group` handles as written. */
function approverName(entry: string, ctx: ApprovalCardContext): string {
  return entry.startsWith('@') ? plain(entry, ctx) : ctx.mention(entry);
}

/** `@sre 1 of 2: ✓ @carol` */
export function ruleLine(rule: RuleProgress, ctx: ApprovalCardContext): string {
  const mark = rule.met ? '✅' : '⏳';
  const voters = rule.voters.length > 0 ? `: ✓ ${rule.voters.map((v) => ctx.mention(v.id)).join(', ')}` : '';
  return `${ctx.format === 'mrkdwn' ? `${mark} ` : ''}${rule.approvers.map((a) => approverName(a, ctx)).join(', ')} ${rule.voters.length} of ${rule.count}${voters}`;
}

function serviceSummary(s: ServiceSpec): string {
  const what = s.version ?? s.image;
  return `${s.name} (${s.type}${what ? ` ${shortVersion(what)}` : ''})`;
}

/** What the deployment set will apply, in a line: the target and namespace, and each service's type and version. */
export function setSummary(set: DeploymentSet | null | undefined): string | null {
  if (set === null || set === undefined) return null;
  const shown = set.services.slice(0, SUMMARY_SERVICES).map(serviceSummary);
  const more = set.services.length - shown.length;
  return `${set.target}${set.namespace ? `/${set.namespace}` : ''}: ${[...shown, ...(more > 0 ? [`${more} more`] : [])].join(', ')}`;
}

/** `db postgres:16 → sha256:0123456789ab`: each image service bound to a digest, or said not to be (the registry could not be asked). */
function imagesSummary(set: DeploymentSet | null | undefined): string | null {
  const bound = (set?.services ?? []).flatMap((s) => (s.imageCheck === undefined ? [] : [{ s, check: s.imageCheck }]));
  if (bound.length === 0) return null;
  return bound
    .map(({ s, check }) => {
      const image = `${s.name} ${s.version ?? ''}`;
      if (check.status === 'unchecked') return `${image} (image not checked: ${check.reason})`;
      return check.digest === null ? image : `${image} → ${check.digest.slice(0, 'sha256:'.length + 12)}`;
    })
    .join(', ');
}

const latest = (history: readonly ApprovalEntry[], step: ApprovalEntry['step']): ApprovalEntry | null => history.findLast((e) => e.step === step) ?? null;

/** `2026-12-04 19:30 UTC` */
const when = (at: Date): string => `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

function waitingLines(d: Deployment, approval: ApprovalView, ctx: ApprovalCardContext): string[] {
  const expires = approval.expiresAt === null ? '' : ` (expires in ${formatDuration(approval.expiresAt.getTime() - ctx.now.getTime())})`;
  const self = approval.selfApproval ? '' : '; not the requester';
  const lines = [`${bold('Approval needed', ctx)}: every rule must hold${self}${expires}`, ...approval.rules.map((r) => `${ctx.format === 'mrkdwn' ? '' : '  '}${ruleLine(r, ctx)}`)];
  const reset = latest(approval.history, 'reset');
  // What changed since the votes were cast: why approval is asked again.
  if (reset?.reason) lines.push(`Votes reset: ${plain(truncatePlain(reset.reason, MAX_REASON), ctx)}`);
  const summary = setSummary(d.deploymentSet);
  if (summary !== null) lines.push(`Set: ${plain(summary, ctx)}`);
  const images = imagesSummary(d.deploymentSet);
  if (images !== null) lines.push(`Images: ${plain(images, ctx)}`);
  return lines;
}

/** Who decided and when; null when nothing was decided. */
function decisionLine(d: Deployment, approval: ApprovalView, ctx: ApprovalCardContext): string | null {
  const reason = (entry: ApprovalEntry) => (entry.reason ? `: ${plain(truncatePlain(entry.reason, MAX_REASON), ctx)}` : '');
  const actor = (entry: ApprovalEntry) => (entry.actor === null ? 'Hoist' : ctx.mention(entry.actor.id));
  const bypassed = latest(approval.history, 'bypassed');
  if (bypassed !== null) return `${bold('Approval bypassed', ctx)} by ${actor(bypassed)} at ${when(bypassed.at)}${reason(bypassed)}`;
  switch (d.status) {
    case 'REJECTED': {
      const rejected = latest(approval.history, 'rejected');
      return rejected === null ? null : `${bold('Rejected', ctx)} by ${actor(rejected)} at ${when(rejected.at)}${reason(rejected)}`;
    }
    case 'EXPIRED': {
      const expired = latest(approval.history, 'expired');
      return `${bold('Approval expired', ctx)}${expired === null ? '' : ` at ${when(expired.at)}`}: nobody decided in time`;
    }
    default: {
      const approved = latest(approval.history, 'approved');
      if (approved === null || !approval.approved) return null;
      const voters = [...new Map(approval.rules.flatMap((r) => r.voters).map((v) => [v.id, v])).values()];
      return `${bold('Approved', ctx)} by ${voters.map((v) => ctx.mention(v.id)).join(', ')} at ${when(approved.at)}`;
    }
  }
}

/** The card's approval text (mrkdwn or terminal lines); null when the deployment did not wait for approval. */
export function approvalSection(d: Deployment, approval: ApprovalView | null | undefined, ctx: ApprovalCardContext): string | null {
  if (approval === null || approval === undefined || !approval.required) return null;
  const lines = d.status === 'AWAITING_APPROVAL' ? waitingLines(d, approval, ctx) : [decisionLine(d, approval, ctx)].filter((l): l is string => l !== null);
  if (lines.length === 0) return null;
  const text = lines.join('\n');
  return ctx.format === 'mrkdwn' ? truncateMrkdwn(text, LIMITS.sectionText) : text;
}
