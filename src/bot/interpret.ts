import { ACTION_VERBS, type AliasVerb, type Command, type Verb } from '../domain/command.ts';
import type { ChatOrigin } from '../domain/deployment.ts';
import type { ActionCommand, HoistService, Refusal } from '../service/contract.ts';
import { parseFailureText, refusalText, subjectOf } from './answers.ts';
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
  /** `lock`, `unlock`, `where`, `history`, `logs`, `cancel`, `approve`, `reject`: carried out, then answered to the user. */
  | { kind: 'operate'; command: Operation };

export interface InterpretOptions {
  api: HoistService;
  origin: ChatOrigin;
  /** How commands are typed where the answer is shown: `/hoist `, `/` for an alias, `` in the shell. */
  prefix: string;
  /** The verb of an alias command (`/deploy …`, `/cancel …`). */
  alias?: AliasVerb;
}

const ACTIONS: ReadonlySet<Verb> = new Set(ACTION_VERBS);

function isActionCommand(command: Command): command is ActionCommand {
  return ACTIONS.has(command.verb);
}

export function interpret(text: string, options: InterpretOptions): Plan {
  const parsed = parseCommand(text, options.alias);
  if (!parsed.ok) return { kind: 'answer', text: parseFailureText(parsed, options.prefix), rejected: true };
  const command = parsed.command;
  const refused = (refusal: Refusal): Plan => ({
    kind: 'answer',
    text: refusalText(refusal, command.verb, subjectOf(command), options.api.catalog(), options.prefix),
    rejected: true,
  });
  if (command.verb === 'cancel') {
    const valid = options.api.validateCancel(command.target, options.origin);
    return valid.ok ? { kind: 'operate', command } : refused(valid);
  }
  if (isActionCommand(command)) {
    const valid = options.api.validate(command, options.origin);
    return valid.ok ? { kind: 'request', command } : refused(valid);
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
    case 'approve':
    case 'reject':
      return { kind: 'operate', command };
  }
}
