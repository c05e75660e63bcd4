import type { Deployment } from '../../domain/deployment.ts';
import { utcMinute, type EnvironmentLock } from '../../domain/lock.ts';
import type { CardControl } from '../conversation.ts';
import { escapeMrkdwn, formatDuration } from './format.ts';
import { whenMrkdwn } from './locks.ts';

/**
 * What the chat answers whoever carried out a command: a lock taken or
 * released, a cancel, a card's control used again. `text` is mrkdwn,
 * `plain` the same for a terminal.
 */
export interface CommandAnswer {
  text: string;
  plain: string;
}

type Mention = (userId: string) => string;

function until(lock: EnvironmentLock, ctx: { prefix: string; now: Date }): { mrkdwn: string; plain: string } {
  if (lock.expiresAt === null) {
    const how = `${ctx.prefix}unlock ${lock.app} in ${lock.env}`;
    return { mrkdwn: `until you unlock it (\`${escapeMrkdwn(how)}\`)`, plain: `until you unlock it (${how})` };
  }
  const left = formatDuration(lock.expiresAt.getTime() - ctx.now.getTime());
  return {
    mrkdwn: `until ${whenMrkdwn(lock.expiresAt)} (${left}); you'll be reminded shortly before`,
    plain: `until ${utcMinute(lock.expiresAt)} (${left}); you'll be reminded shortly before`,
  };
}

/** `lock <app> in <env>` taken, or renewed when the user held it already. */
export function renderLocked(
  asked: { app: string; env: string; reason: string | null },
  result: { lock: EnvironmentLock; renewed: boolean },
  ctx: { prefix: string; now: Date },
): CommandAnswer {
  const what = `${asked.app} in ${asked.env}`;
  const time = until(result.lock, ctx);
  const verb = result.renewed ? 'renewed your lock on' : 'locked';
  const why = asked.reason === null ? '' : ` (_${escapeMrkdwn(asked.reason)}_)`;
  const whyPlain = asked.reason === null ? '' : ` ("${asked.reason}")`;
  return {
    text: `:lock: You ${verb} *${escapeMrkdwn(what)}*${why} ${time.mrkdwn}. Others' actions there are refused; yours run.`,
    plain: `You ${verb} ${what}${whyPlain} ${time.plain}. Others' actions there are refused; yours run.`,
  };
}

/** `unlock <app> in <env>`: the user's own lock, or (`forced`) someone else's. */
export function renderUnlocked(
  asked: { app: string; env: string },
  result: { released: EnvironmentLock; forced: boolean },
  ctx: { mention: Mention },
): CommandAnswer {
  const what = `${asked.app} in ${asked.env}`;
  const lock = result.released;
  if (!result.forced) return { text: `:unlock: Unlocked *${escapeMrkdwn(what)}*.`, plain: `Unlocked ${what}.` };
  const why = lock.reason === null ? '' : `: "${lock.reason}"`;
  return {
    text: `:unlock: You force-unlocked *${escapeMrkdwn(what)}*, locked by ${ctx.mention(lock.owner.id)} since ${whenMrkdwn(lock.since)}${escapeMrkdwn(why)}. This is recorded, and the channel is told.`,
    plain: `You force-unlocked ${what}, locked by ${ctx.mention(lock.owner.id)} since ${utcMinute(lock.since)}${why}. This is recorded, and the channel is told.`,
  };
}

/** A cancel: `removed` before it started, or `canceling` while it runs. */
export function renderCanceled(deployment: Deployment, outcome: 'removed' | 'canceling'): CommandAnswer {
  const d = deployment;
  const what = `#${d.id} (${d.action} ${d.app} ${d.action === 'deploy' ? 'to' : 'in'} ${d.env})`;
  if (outcome === 'removed') {
    return {
      text: `:no_entry_sign: Canceled ${escapeMrkdwn(what)}; it had not started. Those behind it move up.`,
      plain: `Canceled ${what}; it had not started. Those behind it move up.`,
    };
  }
  return {
    text: `:no_entry: Canceling ${escapeMrkdwn(what)}: it stops now; its thread will say which service runs what.`,
    plain: `Canceling ${what}: it stops now; its thread will say which service runs what.`,
  };
}

/** A card's button or numbered choice requests at most one deployment: used again, it says which. */
export function renderAlreadyUsed(control: CardControl, deployment: Pick<Deployment, 'id' | 'status'>): CommandAnswer {
  const used = control === 'button' ? 'This button was already used' : 'That choice was already used';
  const text = `${used}: it requested #${deployment.id} (${deployment.status}).`;
  return { text, plain: text };
}

/**
 * A deployment recorded while the queue service (Redis) did not answer: it is not lost
 * and must not be requested again; it starts, and its card appears, once the queue is back.
 */
export function renderWaitingForQueue(deployment: Pick<Deployment, 'id' | 'action' | 'app' | 'env'>): CommandAnswer {
  const d = deployment;
  const what = `#${d.id} (${d.action} ${d.app} ${d.action === 'deploy' ? 'to' : 'in'} ${d.env})`;
  const rest = 'is recorded; it starts when the queue service is back, and its card follows then. Do not request it again.';
  return { text: `:hourglass_flowing_sand: ${escapeMrkdwn(what)} ${rest}`, plain: `${what} ${rest}` };
}
