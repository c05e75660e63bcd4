import type { Command, Scope, Verb } from '../domain/command.ts';
import { checkRef } from '../domain/git-ref.ts';
import { isImageDigest } from '../domain/image-tag.ts';
import { suggest } from './suggest.ts';
import type { Token } from './tokenize.ts';

/*
 * The pieces the chat grammar is read with: a cursor over the tokens, steps that
 * succeed with a value or fail with the reason (and a did-you-mean), and the
 * parts several verbs share (an app, a scope with a ref, `in <environment>`).
 */
/**
 * A parsed chat command, or why it is not one: `reason` says what is wrong,
 * `usage` is the verb's usage line without prefix (`/hoist ` or, for an
 * alias, `/` makes it typeable), `suggestion` is the word the user probably meant.
 */
export type ParseResult =
  | { ok: true; command: Command }
  | { ok: false; reason: string; usage: string; suggestion: string | null };

export interface Failure {
  ok: false;
  reason: string;
  suggestion: string | null;
}
export type Step<T> = { ok: true; value: T } | Failure;

export const ok = <T>(value: T): Step<T> => ({ ok: true, value });
export const fail = (reason: string, suggestion: string | null = null): Failure => ({ ok: false, reason, suggestion });

export const NAME = /^[a-z][a-z0-9-]*$/;
const KEYWORDS = ['to', 'in'] as const;
type Keyword = (typeof KEYWORDS)[number];
export const HELP_WORDS = new Set(['help', '--help', '-h', '?']);
/** Deployment numbers are Postgres integers. */
const MAX_DEPLOYMENT_NUMBER = 2_147_483_647;
export const MAX_REASON_LENGTH = 500;

export const code = (text: string) => `\`${text}\``;

/** Reads tokens in order and names the last one read, for "expected … after `x`". */
export class Cursor {
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

export function isKeyword(token: Token | undefined, keyword: Keyword): boolean {
  return token !== undefined && !token.quoted && token.text.toLowerCase() === keyword;
}

function isAnyKeyword(token: Token | undefined): boolean {
  return KEYWORDS.some((keyword) => isKeyword(token, keyword));
}

export function isOption(token: Token | undefined): boolean {
  return token !== undefined && !token.quoted && token.text.startsWith('-');
}

export function checkName(text: string, what: 'app' | 'service' | 'environment'): Step<string> {
  if (NAME.test(text)) return ok(text);
  const lower = text.toLowerCase();
  return fail(
    `${code(text)} is not a valid ${what} name: use lowercase letters, digits and "-", starting with a letter`,
    NAME.test(lower) ? lower : null,
  );
}

export function parseDeploymentNumber(text: string): Step<number> {
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

export function parseScope(cursor: Cursor): Step<ScopeWithRef> {
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
export function parseApp(cursor: Cursor, verb: Verb): Step<string> {
  const scope = parseScope(cursor);
  if (!scope.ok) return scope;
  if (scope.value.scope.services !== null || scope.value.ref !== null) {
    return fail(`\`${verb}\` works on a whole app: use ${code(scope.value.scope.app)}, not ${code(scope.value.text)}`, scope.value.scope.app);
  }
  return ok(scope.value.scope.app);
}

/** `to <environment>` / `in <environment>`. */
export function parseEnvClause(cursor: Cursor, keyword: Keyword): Step<string> {
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

/** The text an option gives: `--name=text`, or the words after it up to the next option (quoted or not); '' when none. */
export function optionText(cursor: Cursor, option: Token): string {
  const eq = option.text.indexOf('=');
  if (eq !== -1) return option.text.slice(eq + 1).trim();
  const words: string[] = [];
  for (let word = cursor.peek(); word && !isOption(word); word = cursor.peek()) {
    words.push(word.text);
    cursor.next();
  }
  return words.join(' ').trim();
}

export function unexpected(cursor: Cursor, verb: Verb, token: Token): Failure {
  if (isOption(token)) return fail(`\`${verb}\` takes no option ${code(token.text)}`);
  return fail(`unexpected ${code(token.text)} after ${code(cursor.last)}`);
}

export function expectEnd(cursor: Cursor, verb: Verb): Step<null> {
  const token = cursor.peek();
  return token ? unexpected(cursor, verb, token) : ok(null);
}

export function noRef(verb: Verb, scope: ScopeWithRef): Failure | null {
  if (scope.ref === null) return null;
  const target = scope.text;
  const hint =
    verb === 'rollback'
      ? `roll back to a deployment with \`to #<deployment>\`, or deploy the ref: \`deploy ${target} to <environment>\``
      : `to run another version, \`deploy ${target} to <environment>\``;
  return fail(`\`${verb}\` takes no ref; ${hint}`, 'deploy');
}

/** Reads one verb's arguments into its command. */
export type ParseVerb = (cursor: Cursor) => Step<Command>;
