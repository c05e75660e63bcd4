import type { EnvironmentLock, EnvironmentNotice } from '../../domain/lock.ts';
import { SYSTEM_OWNER, utcMinute } from '../../domain/lock.ts';
import type { Message } from './blocks.ts';
import { escapeMrkdwn, formatDuration } from './format.ts';
import { message, section } from './limits.ts';

type Mention = (userId: string) => string;

/** A moment in Slack: shown in the reader's time zone, with UTC as the fallback. */
export function whenMrkdwn(date: Date): string {
  return `<!date^${Math.floor(date.getTime() / 1000)}^{date_short_pretty} {time}|${utcMinute(date)}>`;
}

function owner(lock: EnvironmentLock, mention: Mention): string {
  return lock.kind === 'pin' ? SYSTEM_OWNER.name : mention(lock.owner.id);
}

/** `locked by <@U1> since …: _incident 88_ · lapses …` (mrkdwn). */
export function lockMrkdwn(lock: EnvironmentLock, ctx: { now: Date; mention: Mention }): string {
  const verb = lock.kind === 'pin' ? 'pinned by' : 'locked by';
  const why = lock.reason === null ? '' : `: _${escapeMrkdwn(lock.reason)}_`;
  const end = lock.expiresAt === null ? '' : ` · lapses ${whenMrkdwn(lock.expiresAt)} (in ${formatDuration(lock.expiresAt.getTime() - ctx.now.getTime())})`;
  return `:lock: ${verb} ${owner(lock, ctx.mention)} since ${whenMrkdwn(lock.since)}${why}${end}`;
}

/** The same for a terminal. */
export function lockText(lock: EnvironmentLock, ctx: { now: Date; mention: Mention }): string {
  const verb = lock.kind === 'pin' ? 'pinned by' : 'locked by';
  const why = lock.reason === null ? '' : `: "${lock.reason}"`;
  const end = lock.expiresAt === null ? '' : ` (lapses ${utcMinute(lock.expiresAt)}, in ${formatDuration(lock.expiresAt.getTime() - ctx.now.getTime())})`;
  return `${verb} ${owner(lock, ctx.mention)} since ${utcMinute(lock.since)}${why}${end}`;
}

export interface RenderedNotice extends Message {
  plain: string;
  /** Only for this user (a reminder to the lock's owner), not the channel. */
  directTo: string | null;
}

/** A notice about an environment's lock, for the channel (or for the owner alone). */
export function renderNotice(notice: EnvironmentNotice, ctx: { now: Date; mention: Mention; prefix: string }): RenderedNotice {
  const { lock } = notice;
  const where = `*${escapeMrkdwn(lock.app)}* in *${escapeMrkdwn(lock.env)}*`;
  const wherePlain = `${lock.app} in ${lock.env}`;
  const reason = lock.reason === null ? '' : ` (_${escapeMrkdwn(lock.reason)}_)`;
  const reasonPlain = lock.reason === null ? '' : ` ("${lock.reason}")`;
  const relock = `${ctx.prefix}lock ${lock.app} in ${lock.env}${lock.reason === null ? '' : ` --reason "${lock.reason}"`}`;
  let text: string;
  let plain: string;
  let directTo: string | null = null;
  switch (notice.kind) {
    case 'lock-reminder': {
      const left = lock.expiresAt === null ? 'soon' : `in ${formatDuration(lock.expiresAt.getTime() - ctx.now.getTime())}`;
      text = `:hourglass: Your lock on ${where}${reason} lapses ${left}${lock.expiresAt ? ` (${whenMrkdwn(lock.expiresAt)})` : ''}. To keep it, lock it again: \`${escapeMrkdwn(relock)}\``;
      plain = `Your lock on ${wherePlain}${reasonPlain} lapses ${left}${lock.expiresAt ? ` (${utcMinute(lock.expiresAt)})` : ''}. To keep it, lock it again: ${relock}`;
      directTo = lock.owner.id;
      break;
    }
    case 'lock-expired':
      text = `:unlock: The lock of ${owner(lock, ctx.mention)} on ${where}${reason} lapsed; the environment is free again.`;
      plain = `The lock of ${owner(lock, ctx.mention)} on ${wherePlain}${reasonPlain} lapsed; the environment is free again.`;
      break;
    case 'lock-forced':
      text = `:unlock: ${ctx.mention(notice.by.id)} force-unlocked ${where}, locked by ${owner(lock, ctx.mention)} since ${whenMrkdwn(lock.since)}${reason}.`;
      plain = `${ctx.mention(notice.by.id)} force-unlocked ${wherePlain}, locked by ${owner(lock, ctx.mention)} since ${utcMinute(lock.since)}${reasonPlain}.`;
      break;
    case 'deploy-skipped': {
      const ref = notice.requested.ref === null ? '' : ` \`${escapeMrkdwn(notice.requested.ref)}\``;
      const refPlain = notice.requested.ref === null ? '' : ` ${notice.requested.ref}`;
      const verb = lock.kind === 'pin' ? 'pinned by' : 'locked by';
      text = `:double_vertical_bar: Automatic ${notice.requested.action}${ref} of ${where} skipped: it is ${verb} ${owner(lock, ctx.mention)} since ${whenMrkdwn(lock.since)}${reason}.`;
      plain = `Automatic ${notice.requested.action}${refPlain} of ${wherePlain} skipped: it is ${verb} ${owner(lock, ctx.mention)} since ${utcMinute(lock.since)}${reasonPlain}.`;
      break;
    }
  }
  return { ...message(text, [section(text)]), plain, directTo };
}
