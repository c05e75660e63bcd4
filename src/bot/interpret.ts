import type { ActionVerb, Command, Verb } from '../domain/command.ts';
import type { ChatOrigin } from '../domain/deployment.ts';
import type { ActionCommand, HoistService } from '../service/contract.ts';
import { parseFailureText, refusalText, type Subject } from './answers.ts';
import { helpText, parseCommand } from './grammar.ts';
import type { Operation } from './operations.ts';

/**
 * What an edge does with a line of chat, decided without I/O so that Slack
 * can be acknowledged before anything slow happens: answer at once, request
 * an action, or look up environments.
 */
export type Plan =
  | { kind: 'answer'; text: string; rejected: boolean }
  | { kind: 'request'; command: ActionCommand }
  | { kind: 'status'; app: string | null; env: string | null }
  /** `lock`, `unlock`, `where`, `history`, `logs`, `cancel`: carried out, then answered to the user. */
  | { kind: 'operate'; command: Operation };

export interface InterpretOptions {
  api: HoistService;
  origin: ChatOrigin;
  /** How commands are typed where the answer is shown: `/hoist `, `/` for an alias, `` in the shell. */
  prefix: string;
  /** The verb of an alias command (`/deploy …`). */
  alias?: ActionVerb;
}

const ACTIONS: ReadonlySet<Verb> = new Set<ActionVerb>(['deploy', 'redeploy', 'rollback', 'stop', 'restart', 'cancel']);

export function isActionCommand(command: Command): command is ActionCommand {
  return ACTIONS.has(command.verb);
}

/** The names a command mentions, for did-you-mean. */
export function subjectOf(command: Command): Subject {
  switch (command.verb) {
    case 'deploy':
    case 'redeploy':
    case 'rollback':
    case 'stop':
    case 'restart':
      return { app: command.scope.app, env: command.env, services: command.scope.services };
    case 'cancel':
      return command.target.kind === 'environment'
        ? { app: command.target.app, env: command.target.env, services: null }
        : { app: null, env: null, services: null };
    case 'status':
      return { app: command.app, env: command.env, services: null };
    case 'history':
    case 'where':
      return { app: command.app, env: 'env' in command ? command.env : null, services: null };
    case 'lock':
    case 'unlock':
      return { app: command.app, env: command.env, services: null };
    case 'logs':
      return { app: null, env: null, services: command.service === null ? null : [command.service] };
    case 'help':
      return { app: null, env: null, services: null };
  }
}

export function interpret(text: string, options: InterpretOptions): Plan {
  const parsed = parseCommand(text, options.alias);
  if (!parsed.ok) return { kind: 'answer', text: parseFailureText(parsed, options.prefix), rejected: true };
  const command = parsed.command;
  if (command.verb === 'cancel') {
    const valid = options.api.validate(command, options.origin);
    if (valid.ok) return { kind: 'operate', command };
    return { kind: 'answer', text: refusalText(valid, command.verb, subjectOf(command), options.api.catalog(), options.prefix), rejected: true };
  }
  if (isActionCommand(command)) {
    const valid = options.api.validate(command, options.origin);
    if (valid.ok) return { kind: 'request', command };
    const catalog = options.api.catalog();
    return { kind: 'answer', text: refusalText(valid, command.verb, subjectOf(command), catalog, options.prefix), rejected: true };
  }
  switch (command.verb) {
    case 'help':
      return { kind: 'answer', text: helpText(command.topic, options.prefix), rejected: false };
    case 'status':
      return { kind: 'status', app: command.app, env: command.env };
    case 'history':
    case 'logs':
    case 'lock':
    case 'unlock':
    case 'where':
      return { kind: 'operate', command };
  }
}
