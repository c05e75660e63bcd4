import { runningPhrase, statusBeside } from '../../domain/running-status.ts';
import type { EnvironmentView, ServiceView } from '../../service/views.ts';
import type { Message } from './blocks.ts';
import { escapeMrkdwn, formatDuration, shortVersion, slackMention, statusStyle, versionMrkdwn } from './format.ts';
import { LIMITS, capBlocks, message, packGroups, section } from './limits.ts';
import { lockMrkdwn, lockText } from './locks.ts';

export interface EnvironmentsContext {
  now: Date;
  /** The app's repository, for commit links. */
  repoUrlOf?: (app: string) => string | null;
  /** How to name a lock's owner (default: a Slack mention). */
  mention?: (userId: string) => string;
}

const MAX_QUEUE_SHOWN = 5;

function since(service: ServiceView, now: Date): string | null {
  return service.updatedAt ? `${formatDuration(now.getTime() - service.updatedAt.getTime())} ago` : null;
}

function queueLine(view: EnvironmentView): string | null {
  if (view.queue.length === 0) return null;
  const shown = view.queue.slice(0, MAX_QUEUE_SHOWN).map((q) => `#${q.id} ${q.action} (${q.status})`);
  const more = view.queue.length > MAX_QUEUE_SHOWN ? `, and ${view.queue.length - MAX_QUEUE_SHOWN} more` : '';
  return `queue: ${shown.join(', ')}${more}`;
}

/** ` · *DOWN 0/2, 14 restarts*` beside the deployment status (bold unless it runs as it should). */
export function runningMrkdwn(service: ServiceView): string {
  if (service.running === null) return '';
  const phrase = runningPhrase(service.running);
  return service.running.state === 'RUNNING' ? ` · ${phrase}` : ` · *${phrase}*`;
}

/** An environment in mrkdwn: its status and target, each service's status and version, its queue and lock. */
export function environmentLines(view: EnvironmentView, ctx: EnvironmentsContext): string[] {
  const style = statusStyle(view.status);
  const repo = ctx.repoUrlOf?.(view.app) ?? null;
  const lines = [`${style.emoji} *${escapeMrkdwn(view.app)}* in *${escapeMrkdwn(view.env)}* · ${style.label} · _${escapeMrkdwn(view.target)}_`];
  for (const s of view.services) {
    const service = statusStyle(s.status);
    const when = since(s, ctx.now);
    lines.push(
      `      ${service.emoji} ${escapeMrkdwn(s.name)} · ${service.label}${runningMrkdwn(s)} · ${versionMrkdwn(s.version, repo)}${when ? ` · ${when}` : ''}`,
    );
  }
  const queue = queueLine(view);
  if (queue) lines.push(`      _${escapeMrkdwn(queue)}_`);
  if (view.lock) lines.push(`      ${lockMrkdwn(view.lock, { now: ctx.now, mention: ctx.mention ?? slackMention })}`);
  return lines;
}

/** The answer to `status`: every environment, its status, and each service's status and version. */
export function renderEnvironments(views: readonly EnvironmentView[], ctx: EnvironmentsContext): Message {
  if (views.length === 0) return message('No environments match.', [section('No environments match.')]);
  const text = views.map((v) => `${escapeMrkdwn(`${v.app}/${v.env}`)}: ${v.status}`).join('\n');
  const blocks = capBlocks(
    packGroups(views.map((v) => environmentLines(v, ctx))),
    LIMITS.blocks,
    (hidden) => `… ${hidden} more sections not shown: narrow with \`status <app> in <environment>\``,
  );
  return message(text, blocks);
}

/** The same for the terminal. */
export function renderEnvironmentsText(views: readonly EnvironmentView[], ctx: EnvironmentsContext): string {
  if (views.length === 0) return 'No environments match.';
  return views
    .map((view) => {
      const width = Math.max(0, ...view.services.map((s) => s.name.length));
      const statusWidth = Math.max(0, ...view.services.map((s) => statusBeside(s.status, s.running).length));
      const lines = [`${statusStyle(view.status).glyph} ${view.app}/${view.env}  ${view.status}  (${view.target})`];
      for (const s of view.services) {
        const when = since(s, ctx.now);
        lines.push(
          `  ${statusStyle(s.status).glyph} ${s.name.padEnd(width)}  ${statusBeside(s.status, s.running).padEnd(statusWidth)}  ${shortVersion(s.version)}${when ? `  ${when}` : ''}`,
        );
      }
      const queue = queueLine(view);
      if (queue) lines.push(`  ${queue}`);
      if (view.lock) lines.push(`  ${lockText(view.lock, { now: ctx.now, mention: ctx.mention ?? ((id) => `@${id}`) })}`);
      return lines.join('\n');
    })
    .join('\n\n');
}
