import type { Command } from '../domain/command.ts';
import type { ChatOrigin } from '../domain/deployment.ts';
import { utcMinute, type EnvironmentLock } from '../domain/lock.ts';
import type { Person } from '../domain/person.ts';
import type { HoistService, Refusal } from '../service/contract.ts';
import { refusalText } from './answers.ts';
import type { ChatMessage } from './chat-port.ts';
import { subjectOf } from './interpret.ts';
import { escapeMrkdwn, formatDuration } from './render/format.ts';
import { renderHistory, renderHistoryText } from './render/history.ts';
import { whenMrkdwn } from './render/locks.ts';
import { renderLogs, renderLogsText } from './render/logs.ts';
import { renderWhere, renderWhereText } from './render/where.ts';

/** The commands that are neither an action nor `status`: answered to the user who typed them. */
export type Operation = Extract<Command, { verb: 'lock' | 'unlock' | 'where' | 'history' | 'logs' | 'cancel' }>;

export interface OperationContext {
  requester: Person;
  origin: ChatOrigin;
  /** How commands are typed where the answer is shown. */
  prefix: string;
  now: Date;
  mention(userId: string): string;
  repoUrlOf?: (app: string) => string | null;
}

export type OperationAnswer = ChatMessage & { rejected: boolean };

const HISTORY_LENGTH = 10;
/** How many of a deployment's last log lines `logs` shows; the HTTP API has them all. */
const LOG_LENGTH = 30;

function answer(text: string, plain: string = text): OperationAnswer {
  return { text, plain, rejected: false };
}

function refused(api: HoistService, refusal: Refusal, command: Operation, ctx: OperationContext): OperationAnswer {
  const text = refusalText(refusal, command.verb, subjectOf(command), api.catalog(), ctx.prefix);
  return { text, plain: text, rejected: true };
}

function until(lock: EnvironmentLock, ctx: OperationContext): { mrkdwn: string; plain: string } {
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

type LogsCommand = Extract<Operation, { verb: 'logs' }>;

/** `logs #N [service]`: the last lines, only to the user who asked. */
async function showLogs(api: HoistService, command: LogsCommand, ctx: OperationContext): Promise<OperationAnswer> {
  // One line more than shown tells whether the log goes back further.
  const result = await api.deploymentLogs(command.id, { tail: LOG_LENGTH + 1, service: command.service });
  if (result.ok) {
    const view = {
      deploymentId: result.deploymentId,
      app: result.app,
      env: result.env,
      status: result.status,
      service: command.service,
      lines: result.lines.slice(-LOG_LENGTH),
      earlier: result.lines.length > LOG_LENGTH,
    };
    const rendered = renderLogs(view);
    return { text: rendered.text, blocks: rendered.blocks, plain: renderLogsText(view), rejected: false };
  }
  if (result.code === 'NOT_FOUND') {
    return refused(api, { ...result, reason: `${result.reason}; \`${ctx.prefix}history <app>\` lists an app's deployments` }, command, ctx);
  }
  const deployment = result.code === 'UNKNOWN_SERVICE' ? await api.getDeployment(command.id) : null;
  if (deployment === null) return refused(api, result, command, ctx);
  // Did-you-mean among the services of this deployment, not of the whole app.
  const catalog = { apps: [{ name: deployment.app, services: deployment.services.map((s) => s.name), environments: [deployment.env] }] };
  const text = refusalText(result, command.verb, { app: deployment.app, env: deployment.env, services: [command.service ?? ''] }, catalog, ctx.prefix);
  return { text, plain: text, rejected: true };
}

/** Carries out `lock`, `unlock`, `where`, `history`, `logs` or `cancel` and says how it went. */
export async function carryOutOperation(api: HoistService, command: Operation, ctx: OperationContext): Promise<OperationAnswer> {
  const actor = { requester: ctx.requester, origin: ctx.origin };
  switch (command.verb) {
    case 'lock': {
      const result = await api.lockEnvironment(
        { app: command.app, env: command.env, reason: command.reason, ...(command.ttlMs === undefined ? {} : { ttlMs: command.ttlMs }) },
        actor,
      );
      if (!result.ok) return refused(api, result, command, ctx);
      const what = `${command.app} in ${command.env}`;
      const time = until(result.lock, ctx);
      const verb = result.renewed ? 'renewed your lock on' : 'locked';
      const why = command.reason === null ? '' : ` (_${escapeMrkdwn(command.reason)}_)`;
      const whyPlain = command.reason === null ? '' : ` ("${command.reason}")`;
      return answer(
        `:lock: You ${verb} *${escapeMrkdwn(what)}*${why} ${time.mrkdwn}. Others' actions there are refused; yours run.`,
        `You ${verb} ${what}${whyPlain} ${time.plain}. Others' actions there are refused; yours run.`,
      );
    }
    case 'unlock': {
      const result = await api.unlockEnvironment({ app: command.app, env: command.env, force: command.force }, actor);
      if (!result.ok) return refused(api, result, command, ctx);
      const what = `${command.app} in ${command.env}`;
      const lock = result.released;
      if (!result.forced) return answer(`:unlock: Unlocked *${escapeMrkdwn(what)}*.`, `Unlocked ${what}.`);
      const why = lock.reason === null ? '' : `: "${lock.reason}"`;
      return answer(
        `:unlock: You force-unlocked *${escapeMrkdwn(what)}*, locked by ${ctx.mention(lock.owner.id)} since ${whenMrkdwn(lock.since)}${escapeMrkdwn(why)}. This is recorded, and the channel is told.`,
        `You force-unlocked ${what}, locked by ${ctx.mention(lock.owner.id)} since ${utcMinute(lock.since)}${why}. This is recorded, and the channel is told.`,
      );
    }
    case 'cancel': {
      const result = await api.cancel(command.target, actor);
      if (!result.ok) return refused(api, result, command, ctx);
      const d = result.deployment;
      const what = `#${d.id} (${d.action} ${d.app} ${d.action === 'deploy' ? 'to' : 'in'} ${d.env})`;
      if (result.outcome === 'removed') {
        return answer(`:no_entry_sign: Canceled ${escapeMrkdwn(what)}; it had not started. Those behind it move up.`, `Canceled ${what}; it had not started. Those behind it move up.`);
      }
      return answer(
        `:no_entry: Canceling ${escapeMrkdwn(what)}: it stops now; its thread will say which service runs what.`,
        `Canceling ${what}: it stops now; its thread will say which service runs what.`,
      );
    }
    case 'where': {
      const views = await api.environments(command.app, null);
      if (!Array.isArray(views)) return refused(api, views, command, ctx);
      const rendered = renderWhere(command.app, views, ctx);
      return { text: rendered.text, blocks: rendered.blocks, plain: renderWhereText(command.app, views, ctx), rejected: false };
    }
    case 'logs':
      return showLogs(api, command, ctx);
    case 'history': {
      const page = await api.listDeployments({ app: command.app, env: command.env, limit: HISTORY_LENGTH });
      if (!page.ok) {
        // The history query says `app:`/`env:` about its filters; the chat speaks of names.
        const catalog = api.catalog();
        const app = catalog.apps.find((a) => a.name === command.app);
        const code = app === undefined ? 'UNKNOWN_APP' : 'UNKNOWN_ENVIRONMENT';
        return refused(api, { ...page, code: page.code === 'BAD_REQUEST' ? code : page.code, reason: page.reason.replace(/^(app|env): /, '') }, command, ctx);
      }
      const title = command.env === null ? command.app : `${command.app} in ${command.env}`;
      const rendered = renderHistory(title, page.items, ctx);
      return { text: rendered.text, blocks: rendered.blocks, plain: renderHistoryText(title, page.items, ctx), rejected: false };
    }
  }
}
