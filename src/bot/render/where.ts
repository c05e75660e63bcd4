import { runningPhrase } from '../../domain/running-status.ts';
import type { EnvironmentView, QueueEntry, ServiceView } from '../../service/views.ts';
import type { Message } from './blocks.ts';
import { escapeMrkdwn, servesUrl, shortVersion, statusStyle, urlMrkdwn, versionMrkdwn, type ListContext } from './format.ts';
import { LIMITS, capBlocks, message, packGroups, section } from './limits.ts';
import { lockMrkdwn, lockText } from './locks.ts';

const MAX_QUEUE_SHOWN = 5;

function queueParts(queue: readonly QueueEntry[]): { parts: string[]; more: number } {
  const parts = queue.slice(0, MAX_QUEUE_SHOWN).map((q) => `#${q.id} ${q.action} ${q.position === null ? 'running' : `waiting (${q.position})`}`);
  return { parts, more: Math.max(0, queue.length - MAX_QUEUE_SHOWN) };
}

/** ` (DOWN 0/2, 14 restarts)` after a service's version; nothing while its running status is not known. */
function runningNote(service: ServiceView): string {
  return service.running === null ? '' : ` (${runningPhrase(service.running)})`;
}

function environmentLines(view: EnvironmentView, ctx: ListContext): string[] {
  const style = statusStyle(view.status);
  const repo = ctx.repoUrlOf?.(view.app) ?? null;
  const versions = view.services
    .map((s) => `${escapeMrkdwn(s.name)} ${versionMrkdwn(s.version, repo)}${escapeMrkdwn(runningNote(s))}${servesUrl(s.status, s.url) ? ` ${urlMrkdwn(s.url)}` : ''}`)
    .join(', ');
  const lines = [`${style.emoji} *${escapeMrkdwn(view.env)}* · ${style.label} · ${versions}`];
  if (view.lock !== null) lines.push(`      ${lockMrkdwn(view.lock, ctx)}`);
  if (view.queue.length > 0) {
    const { parts, more } = queueParts(view.queue);
    lines.push(`      :hourglass_flowing_sand: queue: ${parts.join(' · ')}${more > 0 ? ` · and ${more} more` : ''}`);
  }
  return lines;
}

/** The answer to `where <app>`: each environment with its status, versions (and the URL a service serves at), lock and queue. */
export function renderWhere(app: string, views: readonly EnvironmentView[], ctx: ListContext): Message {
  const title = `*Where ${escapeMrkdwn(app)} runs*`;
  if (views.length === 0) return message(`${app} has no environments.`, [section(`${escapeMrkdwn(app)} has no environments.`)]);
  const text = views.map((v) => `${escapeMrkdwn(v.env)}: ${v.status}${v.lock ? ' (locked)' : ''}`).join('\n');
  const blocks = capBlocks(
    [section(title), ...packGroups(views.map((v) => environmentLines(v, ctx)))],
    LIMITS.blocks,
    (hidden) => `… ${hidden} more sections not shown: see \`status ${app} in <environment>\``,
  );
  return message(text, blocks);
}

/** The same for the terminal. */
export function renderWhereText(app: string, views: readonly EnvironmentView[], ctx: ListContext): string {
  if (views.length === 0) return `${app} has no environments.`;
  const width = Math.max(0, ...views.map((v) => v.env.length));
  const statusWidth = Math.max(0, ...views.map((v) => v.status.length));
  const lines = [`where ${app} runs:`];
  for (const view of views) {
    const versions = view.services.map((s) => `${s.name} ${shortVersion(s.version)}${runningNote(s)}${servesUrl(s.status, s.url) ? ` ${s.url}` : ''}`).join(', ');
    lines.push(`  ${statusStyle(view.status).glyph} ${view.env.padEnd(width)}  ${view.status.padEnd(statusWidth)}  ${versions}`);
    if (view.lock !== null) lines.push(`      ${lockText(view.lock, ctx)}`);
    if (view.queue.length > 0) {
      const { parts, more } = queueParts(view.queue);
      lines.push(`      queue: ${parts.join(' · ')}${more > 0 ? ` · and ${more} more` : ''}`);
    }
  }
  return lines.join('\n');
}
