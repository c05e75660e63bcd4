import type { Command } from '../domain/command.ts';
import type { HoistService, Refusal } from '../service/contract.ts';
import { refusalText, subjectOf } from './answers.ts';
import type { ChatAnswer, Conversation } from './conversation.ts';
import { renderRejected, renderVoted, renderWaitsForApprover } from './render/approval-answers.ts';
import { renderCanceled, renderLocked, renderUnlocked } from './render/command-answers.ts';
import { renderHistory, renderHistoryText } from './render/history.ts';
import { renderAppLogs, renderAppLogsText } from './render/app-logs.ts';
import { renderLogs, renderLogsText } from './render/logs.ts';
import { renderWhere, renderWhereText } from './render/where.ts';

/** The commands that are neither an action nor `status`: answered to the user who typed them. */
export type Operation = Extract<Command, { verb: 'lock' | 'unlock' | 'where' | 'history' | 'logs' | 'cancel' | 'approve' | 'reject' }>;

export type OperationContext = Pick<Conversation, 'requester' | 'origin' | 'prefix' | 'now' | 'mention'> & {
  repoUrlOf?: (app: string) => string | null;
};

const HISTORY_LENGTH = 10;
/** How many of a deployment's last log lines `logs` shows; the HTTP API has them all. */
const LOG_LENGTH = 30;

function refused(api: HoistService, refusal: Refusal, command: Operation, ctx: OperationContext): ChatAnswer {
  const text = refusalText(refusal, command.verb, subjectOf(command), api.catalog(), ctx.prefix);
  return { text, plain: text, rejected: true };
}

/** Refusals of a vote for who cast it: the terminal's user cannot be anyone else, so they are told who can, and where. */
const NOT_YOUR_VOTE: ReadonlySet<Refusal['code']> = new Set(['OWN_DEPLOYMENT', 'NOT_APPROVER']);

async function waitsForApprover(api: HoistService, id: number, refusal: Refusal): Promise<ChatAnswer> {
  const approval = await api.approvals(id);
  const rendered = renderWaitsForApprover(id, approval.ok ? approval.rules : [], refusal);
  return { ...rendered, rejected: true };
}

type LogsCommand = Extract<Operation, { verb: 'logs'; id: number }>;
type AppLogsCommand = Extract<Operation, { verb: 'logs'; id: null }>;

/** `logs <app>/<service> in <env>`: the last lines the running service's replicas wrote, only to the user who asked. */
async function showAppLogs(api: HoistService, command: AppLogsCommand, ctx: OperationContext): Promise<ChatAnswer> {
  // One line more than shown tells whether the replicas wrote more before.
  const result = await api.serviceLogs(command.app, command.env, command.service, { tail: LOG_LENGTH + 1 }, new AbortController().signal);
  if (!result.ok) return refused(api, result, command, ctx);
  const lines: { replica: string; line: string }[] = [];
  for await (const line of result.lines) lines.push(line);
  const view = { app: result.app, env: result.env, service: result.service, lines: lines.slice(-LOG_LENGTH), earlier: lines.length > LOG_LENGTH };
  const rendered = renderAppLogs(view);
  return { text: rendered.text, blocks: rendered.blocks, plain: renderAppLogsText(view), rejected: false };
}

/** `logs #N [service]`: the last lines, only to the user who asked. */
async function showLogs(api: HoistService, command: LogsCommand, ctx: OperationContext): Promise<ChatAnswer> {
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

/** Carries out `lock`, `unlock`, `where`, `history`, `logs`, `cancel`, `approve` or `reject` and says how it went. */
export async function carryOutOperation(api: HoistService, command: Operation, ctx: OperationContext): Promise<ChatAnswer> {
  const actor = { requester: ctx.requester, origin: ctx.origin };
  switch (command.verb) {
    case 'lock': {
      const result = await api.lockEnvironment(
        { app: command.app, env: command.env, reason: command.reason, ...(command.ttlMs === undefined ? {} : { ttlMs: command.ttlMs }) },
        actor,
      );
      if (!result.ok) return refused(api, result, command, ctx);
      return { ...renderLocked(command, result, ctx), rejected: false };
    }
    case 'unlock': {
      const result = await api.unlockEnvironment({ app: command.app, env: command.env, force: command.force }, actor);
      if (!result.ok) return refused(api, result, command, ctx);
      return { ...renderUnlocked(command, result, ctx), rejected: false };
    }
    case 'cancel': {
      const result = await api.cancel(command.target, actor);
      if (!result.ok) return refused(api, result, command, ctx);
      return { ...renderCanceled(result.deployment, result.outcome), rejected: false };
    }
    case 'approve': {
      const result = await api.approve(command.id, actor);
      if (!result.ok && ctx.origin.kind === 'shell' && NOT_YOUR_VOTE.has(result.code)) return waitsForApprover(api, command.id, result);
      if (!result.ok) return refused(api, result, command, ctx);
      return { ...renderVoted(result), rejected: false };
    }
    case 'reject': {
      const result = await api.reject(command.id, actor, command.reason);
      if (!result.ok) return refused(api, result, command, ctx);
      return { ...renderRejected(result.deployment), rejected: false };
    }
    case 'where': {
      const views = await api.environments(command.app, null);
      if (!Array.isArray(views)) return refused(api, views, command, ctx);
      const rendered = renderWhere(command.app, views, ctx);
      return { text: rendered.text, blocks: rendered.blocks, plain: renderWhereText(command.app, views, ctx), rejected: false };
    }
    case 'logs':
      return command.id === null ? showAppLogs(api, command, ctx) : showLogs(api, command, ctx);
    case 'history': {
      const page = await api.listDeployments({ app: command.app, env: command.env, limit: HISTORY_LENGTH });
      if (!page.ok) return refused(api, page, command, ctx);
      const title = command.env === null ? command.app : `${command.app} in ${command.env}`;
      const rendered = renderHistory(title, page.items, ctx);
      return { text: rendered.text, blocks: rendered.blocks, plain: renderHistoryText(title, page.items, ctx), rejected: false };
    }
  }
}
