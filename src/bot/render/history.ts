import type { DeploymentSummary } from '../../domain/deployment.ts';
import type { Message } from './blocks.ts';
import {
  actionTitle,
  elapsedPhrase,
  escapeMrkdwn,
  formatDuration,
  shortVersion,
  statusStyle,
  versionMrkdwn,
  type ListContext,
} from './format.ts';
import { LIMITS, capBlocks, message, packSections, section } from './limits.ts';

const OK_STATUSES = new Set(['DEPLOYED', 'STOPPED', 'RESTARTED', 'DESTROYED']);

function automaticBy(push: NonNullable<DeploymentSummary['push']>): string {
  return push.polled ? 'automatic, polled' : `automatic, pushed by ${push.pusher}${push.forced ? ' (forced)' : ''}`;
}

function who(d: DeploymentSummary, ctx: ListContext): string {
  // A push is automatic, by whoever pushed (a forced one is marked).
  if (d.push) return automaticBy(d.push);
  // Only chat requests carry a chat user id.
  return d.trigger === 'chat' ? ctx.mention(d.requestedBy.id) : `@${d.requestedBy.name}`;
}

function ago(d: DeploymentSummary, now: Date): string {
  return `${formatDuration(now.getTime() - d.requestedAt.getTime())} ago`;
}

function line(d: DeploymentSummary, ctx: ListContext): string {
  const style = statusStyle(d.status);
  const version = d.sha === null ? null : versionMrkdwn(d.sha, ctx.repoUrlOf?.(d.app) ?? null);
  const reason = d.reason && !OK_STATUSES.has(d.status) ? ` — _${escapeMrkdwn(d.reason)}_` : '';
  const parts = [
    `${style.emoji} *#${d.id}* ${escapeMrkdwn(actionTitle(d.action, d.app, d.env))}`,
    `\`${d.status}\``,
    version,
    who(d, ctx),
    ago(d, ctx.now),
    elapsedPhrase(d, ctx.now),
  ].filter(Boolean);
  return `${parts.join(' · ')}${reason}`;
}

/** The answer to `history <app> [in <env>]`: the latest deployments, newest first. */
export function renderHistory(title: string, items: readonly DeploymentSummary[], ctx: ListContext): Message {
  if (items.length === 0) return message(`No deployments of ${title} yet.`, [section(`No deployments of ${escapeMrkdwn(title)} yet.`)]);
  const text = items.map((d) => `#${d.id} ${d.action} ${d.app}/${d.env}: ${d.status}`).join('\n');
  const blocks = capBlocks(
    [section(`*Latest deployments of ${escapeMrkdwn(title)}*`), ...packSections(items.map((d) => line(d, ctx)))],
    LIMITS.blocks,
    (hidden) => `… ${hidden} more sections not shown`,
  );
  return message(text, blocks);
}

/** The same for the terminal. */
export function renderHistoryText(title: string, items: readonly DeploymentSummary[], ctx: ListContext): string {
  if (items.length === 0) return `No deployments of ${title} yet.`;
  const lines = [`latest deployments of ${title}:`];
  for (const d of items) {
    const parts = [
      `${statusStyle(d.status).glyph} #${d.id} ${actionTitle(d.action, d.app, d.env).toLowerCase()}`,
      d.status,
      d.sha === null ? null : shortVersion(d.sha),
      d.push ? automaticBy(d.push) : `@${d.requestedBy.name}`,
      ago(d, ctx.now),
      elapsedPhrase(d, ctx.now),
    ].filter(Boolean);
    const reason = d.reason && !OK_STATUSES.has(d.status) ? ` — ${d.reason}` : '';
    lines.push(`  ${parts.join('  ')}${reason}`);
  }
  return lines.join('\n');
}
