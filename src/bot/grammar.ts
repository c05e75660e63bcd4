import { VERBS, type ActionVerb, type Command, type Scope, type Verb } from '../domain/command.ts';
import { parseDuration } from '../domain/duration.ts';
import { checkRef } from '../domain/git-ref.ts';
import { isImageDigest } from '../domain/image-tag.ts';
import { allUsages, usageOf } from './help.ts';
import { suggest } from './suggest.ts';
import { stripPrefix, tokenize, type Token } from './tokenize.ts';

export { helpText, usageOf } from './help.ts';
export { suggest } from './suggest.ts';

/**
 * A parsed chat command, or why it is not one: `reason` says what is wrong,
 * `usage` is the verb's usage line without prefix (`/hoist ` or, for an
 * alias, `/` makes it typeable), `suggestion` is the word the user probably meant.
 */
export type ParseResult =
  | { ok: true; command: Command }
  | { ok: false; reason: string; usage: string; suggestion: string | null };

interface Failure {
  ok: false;
  reason: string;
  suggestion: string | null;
}
type Step<T> = { ok: true; value: T } | Failure;

const ok = <T>(value: T): Step<T> => ({ ok: true, value });
const fail = (reason: string, suggestion: string | null = null): Failure => ({ ok: false, reason, suggestion });

const NAME = /^[a-z][a-z0-9-]*$/;
const KEYWORDS = ['to', 'in'] as const;
type Keyword = (typeof KEYWORDS)[number];
const HELP_WORDS = new Set(['help', '--help', '-h', '?']);
/** Deployment numbers are Postgres integers. */
const MAX_DEPLOYMENT_NUMBER = 2_147_483_647;
const MAX_REASON_LENGTH = 500;

const code = (text: string) => `\`${text}\``;

/** Reads tokens in order and names the last one read, for "expected … after `x`". */
class Cursor {
  private index = 0;
  constructor(
    private readonly tokens: readonly Token[],
    private readonly verb: string,
  ) {}

  peek(): Token | undefined {
    return this.tokens[this.index];
  }

  next(): Token | undefined {
    const token = this.tokens[this.index];
    if (token) this.index++;
    return token;
  }

  /** The last word read, as typed. */
  get last(): string {
    return this.index === 0 ? this.verb : this.tokens[this.index - 1]!.text;
  }

  rest(): Token[] {
    return this.tokens.slice(this.index);
  }
}

function isKeyword(token: Token | undefined, keyword: Keyword): boolean {
  return token !== undefined && !token.quoted && token.text.toLowerCase() === keyword;
}

function isAnyKeyword(token: Token | undefined): boolean {
  return KEYWORDS.some((keyword) => isKeyword(token, keyword));
}

function isOption(token: Token | undefined): boolean {
  return token !== undefined && !token.quoted && token.text.startsWith('-');
}

function checkName(text: string, what: 'app' | 'service' | 'environment'): Step<string> {
  if (NAME.test(text)) return ok(text);
  const lower = text.toLowerCase();
  return fail(
    `${code(text)} is not a valid ${what} name: use lowercase letters, digits and "-", starting with a letter`,
    NAME.test(lower) ? lower : null,
  );
}

function parseDeploymentNumber(text: string): Step<number> {
  const digits = text.startsWith('#') ? text.slice(1) : text;
  if (!/^\d+$/.test(digits)) {
    return fail(`${code(text)} is not a deployment number: expected \`#\` and a positive integer, such as \`#1042\``);
  }
  const value = Number(digits);
  if (value === 0) return fail(`${code(text)} is not a deployment number: deployment numbers start at 1`);
  if (value > MAX_DEPLOYMENT_NUMBER) return fail(`${code(text)} is not a deployment number: it is too large`);
  return ok(value);
}

/** `shop`, `shop/api,worker`, `shop/api@v1.4.2`, forgiving spaces around `,` and before `@`. */
interface ScopeWithRef {
  scope: Scope;
  ref: string | null;
  text: string;
}

function parseScope(cursor: Cursor): Step<ScopeWithRef> {
  const first = cursor.peek();
  if (!first) return fail(`expected an app after ${code(cursor.last)}`);
  if (isAnyKeyword(first) || isOption(first)) return fail(`expected an app before ${code(first.text)}`);
  cursor.next();
  let text = first.text;
  for (let following = cursor.peek(); following && !following.quoted; following = cursor.peek()) {
    const joins = text.endsWith(',') || following.text.startsWith(',') || following.text.startsWith('@');
    if (!joins) break;
    text += following.text;
    cursor.next();
  }

  const at = text.indexOf('@');
  const head = at === -1 ? text : text.slice(0, at);
  const ref = at === -1 ? null : text.slice(at + 1);
  const slash = head.indexOf('/');
  const app = checkName(slash === -1 ? head : head.slice(0, slash), 'app');
  if (!app.ok) return app;

  let services: string[] | null = null;
  if (slash !== -1) {
    services = [];
    for (const part of head.slice(slash + 1).split(',')) {
      if (part === '') return fail(`expected a service name in ${code(text)}, such as \`${app.value}/api\``);
      const service = checkName(part, 'service');
      if (!service.ok) return service;
      if (!services.includes(service.value)) services.push(service.value);
    }
  }

  if (ref !== null) {
    if (ref === '') return fail(`expected a git ref after \`@\` in ${code(text)}, such as \`${head}@v1.4.2\``);
    // A digest is a ref only for an image service; the service tells which services a ref is for.
    const check = checkRef(ref);
    if (!check.ok && !isImageDigest(ref)) return fail(`invalid ref: ${check.reason}`);
  }
  return ok({ scope: { app: app.value, services }, ref, text });
}

/** A whole app: `shop`, not `shop/api` nor `shop@v1`. */
function parseApp(cursor: Cursor, verb: Verb): Step<string> {
  const scope = parseScope(cursor);
  if (!scope.ok) return scope;
  if (scope.value.scope.services !== null || scope.value.ref !== null) {
    return fail(`\`${verb}\` works on a whole app: use ${code(scope.value.scope.app)}, not ${code(scope.value.text)}`, scope.value.scope.app);
  }
  return ok(scope.value.scope.app);
}

/** `to <environment>` / `in <environment>`. */
function parseEnvClause(cursor: Cursor, keyword: Keyword): Step<string> {
  const token = cursor.peek();
  const expected = `expected \`${keyword} <environment>\` after ${code(cursor.last)}`;
  if (!token) return fail(expected);
  if (!isKeyword(token, keyword)) {
    // `in` and `to` are two edits apart: a swap is not a typo suggest() would catch.
    const other = KEYWORDS.find((k) => k !== keyword)!;
    const suggestion = isKeyword(token, other) ? keyword : token.quoted ? null : suggest(token.text, [keyword]);
    return fail(`${expected}, got ${code(token.text)}`, suggestion);
  }
  cursor.next();
  return parseEnvName(cursor);
}

function parseEnvName(cursor: Cursor): Step<string> {
  const token = cursor.peek();
  if (!token || isAnyKeyword(token) || isOption(token)) return fail(`expected an environment after ${code(cursor.last)}`);
  cursor.next();
  return checkName(token.text, 'environment');
}

function unexpected(cursor: Cursor, verb: Verb, token: Token): Failure {
  if (isOption(token)) return fail(`\`${verb}\` takes no option ${code(token.text)}`);
  return fail(`unexpected ${code(token.text)} after ${code(cursor.last)}`);
}

function expectEnd(cursor: Cursor, verb: Verb): Step<null> {
  const token = cursor.peek();
  return token ? unexpected(cursor, verb, token) : ok(null);
}

function noRef(verb: Verb, scope: ScopeWithRef): Failure | null {
  if (scope.ref === null) return null;
  const target = scope.text;
  const hint =
    verb === 'rollback'
      ? `roll back to a deployment with \`to #<deployment>\`, or deploy the ref: \`deploy ${target} to <environment>\``
      : `to run another version, \`deploy ${target} to <environment>\``;
  return fail(`\`${verb}\` takes no ref; ${hint}`, 'deploy');
}

type ParseVerb = (cursor: Cursor) => Step<Command>;

function parseDeploy(cursor: Cursor): Step<Command> {
  const scope = parseScope(cursor);
  if (!scope.ok) return scope;
  const env = parseEnvClause(cursor, 'to');
  if (!env.ok) return env;
  const end = expectEnd(cursor, 'deploy');
  if (!end.ok) return end;
  return ok({ verb: 'deploy', scope: scope.value.scope, env: env.value, ref: scope.value.ref });
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

/** `logs #<deployment> [<service>]`. */
function parseLogs(cursor: Cursor): Step<Command> {
  const first = cursor.next();
  if (!first) return fail('expected `#<deployment>` after `logs`, such as `logs #1042`');
  if (!first.quoted && !first.text.startsWith('#') && NAME.test(first.text)) {
    return fail(`${code(first.text)} is not a deployment number: expected \`#\` and a positive integer, such as \`logs #1042\`; \`history ${first.text}\` lists an app's deployments`);
  }
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

interface Options {
  reason: string | null;
  force: boolean;
  ttlMs: number | null;
}

/** `--reason "text"` (also `--reason=text` and unquoted words), `--ttl 2h` (also `--ttl=2h`) and `--force` / `-f`. */
function parseOptions(cursor: Cursor, verb: 'lock' | 'unlock'): Step<Options> {
  const known = verb === 'lock' ? ['--reason', '--ttl'] : ['--force'];
  const options: Options = { reason: null, force: false, ttlMs: null };
  for (let token = cursor.peek(); token; token = cursor.peek()) {
    if (!isOption(token)) {
      const hint = verb === 'lock' ? '; give a reason with `--reason "…"`' : '';
      return fail(`unexpected ${code(token.text)} after ${code(cursor.last)}${hint}`);
    }
    cursor.next();
    const eq = token.text.indexOf('=');
    const name = (eq === -1 ? token.text : token.text.slice(0, eq)).toLowerCase();
    if (verb === 'unlock' && (name === '--force' || name === '-f') && eq === -1) {
      options.force = true;
    } else if (verb === 'lock' && name === '--reason') {
      if (options.reason !== null) return fail('`--reason` is given twice');
      let reason = eq === -1 ? '' : token.text.slice(eq + 1);
      if (eq === -1) {
        const words: string[] = [];
        for (let word = cursor.peek(); word && !isOption(word); word = cursor.peek()) {
          words.push(word.text);
          cursor.next();
        }
        reason = words.join(' ');
      }
      reason = reason.trim();
      if (reason === '') return fail('expected a text after `--reason`, such as `--reason "incident 88"`');
      if (reason.length > MAX_REASON_LENGTH) return fail(`the reason is longer than ${MAX_REASON_LENGTH} characters`);
      options.reason = reason;
    } else if (verb === 'lock' && name === '--ttl') {
      if (options.ttlMs !== null) return fail('`--ttl` is given twice');
      let text = eq === -1 ? '' : token.text.slice(eq + 1);
      if (eq === -1) {
        const value = cursor.peek();
        if (value && !isOption(value)) {
          text = value.text;
          cursor.next();
        }
      }
      if (text === '') return fail('expected a duration after `--ttl`, such as `--ttl 2h`');
      const ttl = parseDuration(text);
      if (ttl === null) return fail(`${code(text)} is not a duration: use a number and s, m, h or d, such as \`90s\`, \`30m\`, \`2h\` or \`1h30m\``);
      options.ttlMs = ttl;
    } else {
      return fail(`\`${verb}\` has no option ${code(token.text)}`, suggest(name, known));
    }
  }
  return ok(options);
}

function lockOrUnlock(verb: 'lock' | 'unlock'): ParseVerb {
  return (cursor) => {
    const app = parseApp(cursor, verb);
    if (!app.ok) return app;
    const env = parseEnvClause(cursor, 'in');
    if (!env.ok) return env;
    const options = parseOptions(cursor, verb);
    if (!options.ok) return options;
    return verb === 'lock'
      ? ok({ verb, app: app.value, env: env.value, reason: options.value.reason, ...(options.value.ttlMs === null ? {} : { ttlMs: options.value.ttlMs }) })
      : ok({ verb, app: app.value, env: env.value, force: options.value.force });
  };
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
  cancel: parseCancel,
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
export function parseCommand(text: string, alias?: ActionVerb): ParseResult {
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
