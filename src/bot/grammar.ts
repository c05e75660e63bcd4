import { VERBS, type AliasVerb, type Command, type Verb } from '../domain/command.ts';
import { refuseLongCommand } from './command-length.ts';
import { allUsages, usageOf } from './help.ts';
import { lockOrUnlock } from './lock-options.ts';
import { checkName, code, Cursor, expectEnd, fail, HELP_WORDS, isKeyword, isOption, MAX_REASON_LENGTH, NAME, noRef, ok, parseApp, parseDeploymentNumber, optionText, parseEnvClause, type ParseResult, parseScope, type ParseVerb, type Step, unexpected } from './parse-steps.ts';
import { suggest } from './suggest.ts';
import { stripPrefix, tokenize, type Token } from './tokenize.ts';

export { helpText, usageOf } from './help.ts';
export type { ParseResult } from './parse-steps.ts';
export { suggest } from './suggest.ts';

const DEPLOY_OPTIONS = {
  '--bypass-approval': { key: 'bypassApproval', example: '--bypass-approval "incident 88"' },
  '--force': { key: 'force', example: '--force "hotfix for incident 88"' },
} as const;
type DeployOption = keyof typeof DEPLOY_OPTIONS;
const isDeployOption = (name: string): name is DeployOption => name in DEPLOY_OPTIONS;

/**
 * `--bypass-approval "incident 88"` (going ahead without approval) and `--force "hotfix"`
 * (deploying past red or pending CI checks), in either order (also `=` and unquoted words), each with its reason.
 */
function parseDeployOptions(cursor: Cursor): Step<{ bypassApproval?: string; force?: string }> {
  const given: { bypassApproval?: string; force?: string } = {};
  for (let token = cursor.peek(); token && isOption(token) && isDeployOption(token.text.toLowerCase().split('=')[0] ?? ''); token = cursor.peek()) {
    const name = token.text.toLowerCase().split('=')[0] as DeployOption;
    const { key, example } = DEPLOY_OPTIONS[name];
    if (given[key] !== undefined) return fail(`\`${name}\` is given twice`);
    cursor.next();
    const reason = optionText(cursor, token);
    if (reason === '') return fail(`\`${name}\` needs a reason, for the record: \`${example}\``);
    if (reason.length > MAX_REASON_LENGTH) return fail(`the reason is longer than ${MAX_REASON_LENGTH} characters`);
    given[key] = reason;
  }
  return ok(given);
}

function parseDeploy(cursor: Cursor): Step<Command> {
  const scope = parseScope(cursor);
  if (!scope.ok) return scope;
  const env = parseEnvClause(cursor, 'to');
  if (!env.ok) return env;
  const options = parseDeployOptions(cursor);
  if (!options.ok) return options;
  const end = expectEnd(cursor, 'deploy');
  if (!end.ok) return end;
  return ok({ verb: 'deploy', scope: scope.value.scope, env: env.value, ref: scope.value.ref, ...options.value });
}

function scopeInEnv(verb: 'redeploy' | 'stop' | 'restart'): ParseVerb {
  return (cursor) => {
    const scope = parseScope(cursor);
    if (!scope.ok) return scope;
    const refused = noRef(verb, scope.value);
    if (refused) return refused;
    const env = parseEnvClause(cursor, 'in');
    if (!env.ok) return env;
    const end = expectEnd(cursor, verb);
    if (!end.ok) return end;
    return ok({ verb, scope: scope.value.scope, env: env.value });
  };
}

/**
 * `destroy <app>/<service> in <env> --confirm <app>/<service>`. A missing or different
 * `--confirm` is read all the same: the service refuses it with exactly what to type.
 */
function parseDestroy(cursor: Cursor): Step<Command> {
  const scope = parseScope(cursor);
  if (!scope.ok) return scope;
  const refused = noRef('destroy', scope.value);
  if (refused) return refused;
  const env = parseEnvClause(cursor, 'in');
  if (!env.ok) return env;
  let confirm: string | null = null;
  const option = cursor.peek();
  if (option && isOption(option) && option.text.toLowerCase().split('=')[0] === '--confirm') {
    cursor.next();
    confirm = optionText(cursor, option);
  }
  const end = expectEnd(cursor, 'destroy');
  if (!end.ok) return end;
  return ok({ verb: 'destroy', scope: scope.value.scope, env: env.value, confirm });
}

/** `rollback <scope> in <env> [to #N]`; the two clauses in either order. */
function parseRollback(cursor: Cursor): Step<Command> {
  const scope = parseScope(cursor);
  if (!scope.ok) return scope;
  const refused = noRef('rollback', scope.value);
  if (refused) return refused;
  let env: string | null = null;
  let to: number | null = null;
  for (let token = cursor.peek(); token; token = cursor.peek()) {
    if (env === null && isKeyword(token, 'in')) {
      const parsed = parseEnvClause(cursor, 'in');
      if (!parsed.ok) return parsed;
      env = parsed.value;
    } else if (to === null && isKeyword(token, 'to')) {
      cursor.next();
      const target = cursor.next();
      if (!target) return fail('expected a deployment number after `to`, such as `to #1040`');
      if (env === null && !target.text.startsWith('#') && NAME.test(target.text)) {
        return fail('`rollback` takes `in <environment>`; `to` is for a deployment number, such as `to #1040`', 'in');
      }
      const parsed = parseDeploymentNumber(target.text);
      if (!parsed.ok) return parsed;
      to = parsed.value;
    } else if (env === null) {
      // Not `in`: parseEnvClause says what was expected instead.
      const parsed = parseEnvClause(cursor, 'in');
      if (!parsed.ok) return parsed;
      env = parsed.value;
    } else if (to === null) {
      const suggestion = token.quoted ? null : suggest(token.text, ['to']);
      return fail(`expected \`to #<deployment>\` or nothing after ${code(cursor.last)}, got ${code(token.text)}`, suggestion);
    } else {
      return unexpected(cursor, 'rollback', token);
    }
  }
  if (env === null) return fail(`expected \`in <environment>\` after ${code(cursor.last)}`);
  return ok({ verb: 'rollback', scope: scope.value.scope, env, to });
}

function parseCancel(cursor: Cursor): Step<Command> {
  const first = cursor.peek();
  if (!first) return fail('expected `#<deployment>` or `<app> in <environment>` after `cancel`');
  if (first.text.startsWith('#') || /^\d/.test(first.text)) {
    cursor.next();
    const id = parseDeploymentNumber(first.text);
    if (!id.ok) return id;
    const end = expectEnd(cursor, 'cancel');
    if (!end.ok) return end;
    return ok({ verb: 'cancel', target: { kind: 'deployment', id: id.value } });
  }
  const app = parseApp(cursor, 'cancel');
  if (!app.ok) return app;
  const env = parseEnvClause(cursor, 'in');
  if (!env.ok) return env;
  const end = expectEnd(cursor, 'cancel');
  if (!end.ok) return end;
  return ok({ verb: 'cancel', target: { kind: 'environment', app: app.value, env: env.value } });
}

/** `#<deployment>` first: the deployment an approval verb is about. */
function deploymentFirst(cursor: Cursor, verb: 'approve' | 'reject'): Step<number> {
  const first = cursor.next();
  if (!first) return fail(`expected \`#<deployment>\` after \`${verb}\`, such as \`${verb} #1042\``);
  return parseDeploymentNumber(first.text);
}

function parseApprove(cursor: Cursor): Step<Command> {
  const id = deploymentFirst(cursor, 'approve');
  if (!id.ok) return id;
  const end = expectEnd(cursor, 'approve');
  if (!end.ok) return end;
  return ok({ verb: 'approve', id: id.value });
}

/** `reject #<deployment> <reason>`: the rest of the line is the reason, quoted or not (`--reason` may name it). */
function parseReject(cursor: Cursor): Step<Command> {
  const id = deploymentFirst(cursor, 'reject');
  if (!id.ok) return id;
  const rest = cursor.rest();
  const words = isOption(rest[0]) && rest[0]!.text === '--reason' ? rest.slice(1) : rest;
  const reason = words.map((t) => t.text).join(' ').trim();
  if (reason === '') return fail(`a rejection needs a reason, for the requester and the record: \`reject #${id.value} <reason>\``);
  if (reason.length > MAX_REASON_LENGTH) return fail(`the reason is longer than ${MAX_REASON_LENGTH} characters; say it shorter`);
  return ok({ verb: 'reject', id: id.value, reason });
}

/** `[in <environment>]` at the end of `status` and `history`. */
function optionalEnv(cursor: Cursor, verb: Verb): Step<string | null> {
  if (!cursor.peek()) return ok(null);
  const env = parseEnvClause(cursor, 'in');
  if (!env.ok) return env;
  const end = expectEnd(cursor, verb);
  if (!end.ok) return end;
  return env;
}

function parseStatus(cursor: Cursor): Step<Command> {
  let app: string | null = null;
  if (cursor.peek() && !isKeyword(cursor.peek(), 'in')) {
    const parsed = parseApp(cursor, 'status');
    if (!parsed.ok) return parsed;
    app = parsed.value;
  }
  const env = optionalEnv(cursor, 'status');
  if (!env.ok) return env;
  return ok({ verb: 'status', app, env: env.value });
}

function parseHistory(cursor: Cursor): Step<Command> {
  const app = parseApp(cursor, 'history');
  if (!app.ok) return app;
  const env = optionalEnv(cursor, 'history');
  if (!env.ok) return env;
  return ok({ verb: 'history', app: app.value, env: env.value });
}

/** `logs #<deployment> [<service>]`, or `logs <app>/<service> in <environment>` (the running service). */
function parseLogs(cursor: Cursor): Step<Command> {
  const first = cursor.peek();
  if (!first) return fail('expected `#<deployment>` or `<app>/<service> in <environment>` after `logs`, such as `logs #1042` or `logs shop/api in production`');
  if (!first.quoted && !first.text.startsWith('#') && !/^\d/.test(first.text) && NAME.test(first.text.split('/')[0] ?? '')) return parseRunningLogs(cursor);
  cursor.next();
  const id = parseDeploymentNumber(first.text);
  if (!id.ok) return id;
  let service: string | null = null;
  const next = cursor.peek();
  if (next && !isOption(next)) {
    cursor.next();
    const name = checkName(next.text, 'service');
    if (!name.ok) return name;
    service = name.value;
  }
  const end = expectEnd(cursor, 'logs');
  if (!end.ok) return end;
  return ok({ verb: 'logs', id: id.value, service });
}

/** `logs <app>/<service> in <environment>`: one service, no ref. */
function parseRunningLogs(cursor: Cursor): Step<Command> {
  const scope = parseScope(cursor);
  if (!scope.ok) return scope;
  const { app, services } = scope.value.scope;
  if (services === null || services.length !== 1 || scope.value.ref !== null) {
    const example = `logs ${app}/${services?.[0] ?? 'api'} in <environment>`;
    return fail(`\`logs\` shows one running service: \`${example}\`; a deployment's log is \`logs #<deployment>\` (\`history ${app}\` lists them)`);
  }
  const env = parseEnvClause(cursor, 'in');
  if (!env.ok) return env;
  const end = expectEnd(cursor, 'logs');
  if (!end.ok) return end;
  return ok({ verb: 'logs', id: null, app, service: services[0]!, env: env.value });
}

function parseWhere(cursor: Cursor): Step<Command> {
  const app = parseApp(cursor, 'where');
  if (!app.ok) return app;
  const end = expectEnd(cursor, 'where');
  if (!end.ok) return end;
  return ok({ verb: 'where', app: app.value });
}

function parseHelp(cursor: Cursor): Step<Command> {
  const token = cursor.next();
  if (!token) return ok({ verb: 'help', topic: null });
  const word = token.text.toLowerCase().replace(/^\//, '');
  const topic = VERBS.find((verb) => verb === word);
  if (!topic) return fail(`there is no command ${code(token.text)}`, suggest(word, VERBS));
  const end = expectEnd(cursor, 'help');
  if (!end.ok) return end;
  return ok({ verb: 'help', topic });
}

const PARSERS: Record<Verb, ParseVerb> = {
  deploy: parseDeploy,
  redeploy: scopeInEnv('redeploy'),
  rollback: parseRollback,
  stop: scopeInEnv('stop'),
  restart: scopeInEnv('restart'),
  destroy: parseDestroy,
  cancel: parseCancel,
  approve: parseApprove,
  reject: parseReject,
  status: parseStatus,
  history: parseHistory,
  logs: parseLogs,
  lock: lockOrUnlock('lock'),
  unlock: lockOrUnlock('unlock'),
  where: parseWhere,
  help: parseHelp,
};

/**
 * Parses a chat command (SPEC §5). `text` may start with `/hoist`, `@hoist` or
 * a Slack mention; an alias (`/deploy …`) passes its verb and the text after it.
 * Nothing at all asks for help.
 */
export function parseCommand(text: string, alias?: AliasVerb): ParseResult {
  const tooLong = refuseLongCommand(text);
  if (tooLong !== null) return tooLong;
  const tokens = tokenize(stripPrefix(text));
  let verb: Verb;
  let args: Token[];
  if (alias !== undefined) {
    verb = alias;
    args = tokens;
  } else {
    const [first, ...rest] = tokens;
    if (!first) return { ok: true, command: { verb: 'help', topic: null } };
    const word = first.text.toLowerCase().replace(/^\//, '');
    if (HELP_WORDS.has(word) && rest.length === 0) return { ok: true, command: { verb: 'help', topic: null } };
    const known = VERBS.find((v) => v === word);
    if (!known) {
      const suggestion = first.quoted ? null : suggest(word, VERBS);
      return {
        ok: false,
        reason: `unknown command ${code(first.text)}`,
        usage: suggestion ? usageOf(suggestion) : allUsages(),
        suggestion,
      };
    }
    verb = known;
    args = rest;
  }

  // `/deploy` alone and `deploy help` ask how the verb works.
  const only = args.length === 1 ? args[0]! : null;
  const asksHelp = only !== null && !only.quoted && HELP_WORDS.has(only.text.toLowerCase());
  if (verb !== 'help' && (asksHelp || (alias !== undefined && args.length === 0))) {
    return { ok: true, command: { verb: 'help', topic: verb } };
  }

  let result = PARSERS[verb](new Cursor(args, verb));
  // `/deploy deploy shop to staging`: the verb typed again after its alias.
  const repeated = alias !== undefined && args[0] !== undefined && !args[0].quoted && args[0].text.toLowerCase() === alias;
  if (!result.ok && repeated) {
    const retry = PARSERS[verb](new Cursor(args.slice(1), verb));
    if (retry.ok) result = retry;
  }
  if (result.ok) return { ok: true, command: result.value };
  return { ok: false, reason: result.reason, usage: usageOf(verb), suggestion: result.suggestion };
}
