import { TOKEN_NAME_PATTERN } from './api-token-record.ts';

/**
 * Masks secrets in a text before it reaches a chat, the API or the log: the one
 * place that knows what a secret looks like. Patterns are the well-known token
 * shapes, credentials in URLs and `key=value` pairs whose key names a secret; a
 * false positive costs a masked word, a miss leaks a credential.
 */
export const MASK = '[redacted]';

const ESCAPED_MASK = MASK.replace(/[[\]]/g, '\\$&');

/** How a value of a service's `env` shows outside Hoist: this mark and a short keyed hash of it (`••••a1b2c3d4`). */
export const SECRET_MARK = '••••';

const SECRET_KEY =
  '[A-Za-z0-9_.-]*(?:password|passwd|pwd|token|secret|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|signature)[A-Za-z0-9_.-]*';

/** `token:<name>` as tokenPerson spells a token acting as itself: a token's name, nothing after it. */
const TOKEN_PERSON = `(?!token:${TOKEN_NAME_PATTERN}(?![A-Za-z0-9_.:=/-]))`;

const RULES: readonly { pattern: RegExp; replace: string | ((...groups: string[]) => string) }[] = [
  // Private key material.
  { pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, replace: MASK },
  // Credentials in URLs: keep the user, mask the password.
  { pattern: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@]*):([^\s@/]+)@/gi, replace: `$1$2:${MASK}@` },
  // A user alone is a token for git over HTTP (`https://<token>@github.com/…`); only ssh
  // authenticates with keys, so there the user (`ssh://git@…`) is just a name.
  { pattern: /\b(?!(?:ssh|git\+ssh|ssh\+git|sftp):)([a-z][a-z0-9+.-]*:\/\/)[^\s:/@[\]]+@/gi, replace: `$1${MASK}@` },
  // `Authorization: Bearer …`, `Basic …`, `token …`; bare `Bearer …` too.
  {
    pattern: /\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:(bearer|basic|token|digest)\s+)?[^\s"',;]+/gi,
    replace: (_m, key: string, scheme: string | undefined) => `${key}${scheme ? `${scheme} ` : ''}${MASK}`,
  },
  { pattern: /\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, replace: `$1${MASK}` },
  // Slack: bot/user/app/refresh tokens and incoming webhooks.
  { pattern: /\b(?:xox[abposre]|xoxe\.xox[bp]|xapp)-[A-Za-z0-9-]+/g, replace: MASK },
  { pattern: /(hooks\.slack\.com\/services\/)[A-Za-z0-9/]+/g, replace: `$1${MASK}` },
  // GitHub: classic (ghp_, gho_, ghu_, ghs_, ghr_) and fine-grained tokens.
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{20,}/g, replace: MASK },
  { pattern: /\bgithub_pat_[A-Za-z0-9_]{20,}/g, replace: MASK },
  // Hoist's own API tokens (`hoist_` and 32 or more random characters).
  { pattern: /\bhoist_[A-Za-z0-9_-]{32,}/g, replace: MASK },
  // npm, GitLab.
  { pattern: /\bnpm_[A-Za-z0-9]{36}\b/g, replace: MASK },
  { pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g, replace: MASK },
  // AWS access key ids.
  { pattern: /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA)[A-Z0-9]{16}\b/g, replace: MASK },
  // JSON Web Tokens.
  { pattern: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+/g, replace: MASK },
  // `password=…`, `DB_PASSWORD: …`, `"client_secret": "…"`, `?access_token=…&`; but not
  // `token:ci`, the person an API token acts as (a name, not its secret).
  {
    pattern: new RegExp(`(["']?\\b${TOKEN_PERSON}${SECRET_KEY}["']?\\s*[:=]\\s*)(?!["']?(?:${ESCAPED_MASK}|${SECRET_MARK}))(?:"[^"]*"|'[^']*'|[^\\s"'&,;]+)`, 'gi'),
    replace: (_m, key: string) => `${key}${MASK}`,
  },
];

/**
 * Something every rule above needs in the text (a superset: case aside, each rule's pattern
 * has one of these in it; `key=value` needs a word of SECRET_KEY, a header `authorization`).
 * A text with none of them — most names, statuses, image references and messages — has
 * nothing to mask, and is spared the rules one by one.
 */
const MAY_HOLD_A_SECRET =
  /-----|:\/\/|authorization|bearer|password|passwd|pwd|token|secret|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential|signature|xox|xapp|hooks\.slack|gh[pousr]_|github_pat_|hoist_|npm_|glpat-|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|eyJ/i;

export function redact(line: string): string {
  if (!MAY_HOLD_A_SECRET.test(line)) return line;
  let result = line;
  for (const rule of RULES) {
    result = result.replace(rule.pattern, rule.replace as (substring: string, ...args: string[]) => string);
  }
  return result;
}

const KEY_BEGIN = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const KEY_END = /-----END [A-Z ]*PRIVATE KEY-----/;

/** Redacts lines one at a time as they come, masking every line of a private key block that spans lines. */
export function lineRedactor(): (line: string) => string {
  let inKey = false;
  return (line) => {
    if (inKey) {
      if (KEY_END.test(line)) inKey = false;
      return MASK;
    }
    if (KEY_BEGIN.test(line) && !KEY_END.test(line)) inKey = true;
    return redact(line);
  };
}

/** Redacts each line, and every line of a private key block that spans lines. */
export function redactLines(lines: readonly string[]): string[] {
  const next = lineRedactor();
  return lines.map((line) => next(line));
}

/** A JSON-like value with every string in it redacted by `text` (keys stay: they are names, not secrets). */
export function redactValues(value: unknown, text: (line: string) => string = redact): unknown {
  if (typeof value === 'string') return text(value);
  if (Array.isArray(value)) return value.map((inner) => redactValues(inner, text));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, redactValues(inner, text)]));
  }
  return value;
}

/**
 * Known values shorter than this are hidden where they stand (an `env` entry, a string equal
 * to one) but not searched for inside longer texts: masking every `1`, `on` or `dev` in a log
 * would hide the log, not the secret. A secret that short is guessable anyway.
 */
export const MIN_SECRET_IN_TEXT = 4;

/**
 * Hides the values of services' `env` entries (but for the keys each service lists as public)
 * wherever they appear, with the pattern redaction above on top: the one function every edge
 * uses for a deployment's set, diff, log lines, reasons and Hoist's own log.
 */
export interface SecretMasker {
  /** A text with every known value (of {@link MIN_SECRET_IN_TEXT} characters or more) hidden, then redacted. */
  text(line: string): string;
  /** Lines as {@link text}, and a private key block spanning lines masked whole. */
  lines(lines: readonly string[]): string[];
  /** The same for lines that come one at a time (a followed log): each call masks the next line of one source. */
  lineByLine(): (line: string) => string;
  /** A JSON-like value: a string equal to a known value hidden (whatever its length), every other string as {@link text}. */
  value<T>(value: T): T;
  /**
   * A deployment set (or anything shaped like one): each service's `env` shows its public keys in
   * clear and every other value hidden; the rest as {@link value}.
   */
  set<T>(set: T): T;
}

export interface SecretMaskerOptions {
  /** The values to hide: services' `env` values not listed as public. */
  secrets: Iterable<string>;
  /** A short keyed hash of a value (hex); the same value gives the same hash for the same key. */
  fingerprint: (value: string) => string;
  /** The keys of a service's `env` shown in clear. */
  publicEnv?: (service: string) => readonly string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Only the given values hidden (`••••` and their keyed hash), longest first, nothing else
 * touched: for texts kept before anything shows them (a deployment's log lines, a failure's
 * reason) that carry values Hoist read but never stores, such as a secret file's.
 */
export function valueHider(values: Iterable<string>, fingerprint: (value: string) => string): (text: string) => string {
  const searched = [...new Set(values)].filter((s) => s.length >= MIN_SECRET_IN_TEXT).sort((a, b) => b.length - a.length);
  if (searched.length === 0) return (text) => text;
  const pattern = new RegExp(searched.map(escapeRegExp).join('|'), 'g');
  return (text) => text.replace(pattern, (found) => `${SECRET_MARK}${fingerprint(found)}`);
}

export function secretMasker(options: SecretMaskerOptions): SecretMasker {
  const secrets = new Set([...options.secrets].filter((s) => s !== ''));
  const hidden = new Map<string, string>();
  const hide = (value: string): string => {
    let shown = hidden.get(value);
    if (shown === undefined) {
      shown = `${SECRET_MARK}${options.fingerprint(value)}`;
      hidden.set(value, shown);
    }
    return shown;
  };
  // Longest first: a value that contains another is hidden whole.
  const searched = [...secrets].filter((s) => s.length >= MIN_SECRET_IN_TEXT).sort((a, b) => b.length - a.length);
  const pattern = searched.length === 0 ? null : new RegExp(searched.map(escapeRegExp).join('|'), 'g');
  const known = (text: string): string => (pattern === null ? text : text.replace(pattern, hide));
  const publicEnv = options.publicEnv ?? (() => []);

  const value = (input: unknown): unknown => {
    if (typeof input === 'string') return secrets.has(input) ? hide(input) : redact(known(input));
    if (Array.isArray(input)) return input.map(value);
    if (isRecord(input)) return Object.fromEntries(Object.entries(input).map(([key, inner]) => [key, value(inner)]));
    return input;
  };
  const env = (entries: Record<string, unknown>, service: string): Record<string, unknown> => {
    const shown = new Set(publicEnv(service));
    return Object.fromEntries(
      Object.entries(entries).map(([key, inner]) => {
        if (typeof inner !== 'string') return [key, value(inner)];
        return [key, shown.has(key) ? redact(known(inner)) : hide(inner)];
      }),
    );
  };
  const service = (spec: unknown): unknown => {
    if (!isRecord(spec) || typeof spec.name !== 'string') return value(spec);
    const name = spec.name;
    return Object.fromEntries(Object.entries(spec).map(([key, inner]) => [key, key === 'env' && isRecord(inner) ? env(inner, name) : value(inner)]));
  };

  return {
    text: (line) => redact(known(line)),
    lines: (lines) => redactLines(lines.map(known)),
    lineByLine: () => {
      const next = lineRedactor();
      return (line) => next(known(line));
    },
    value: <T>(input: T) => value(input) as T,
    set: <T>(set: T) => {
      if (!isRecord(set) || !Array.isArray(set.services)) return value(set) as T;
      return Object.fromEntries(Object.entries(set).map(([key, inner]) => [key, key === 'services' && Array.isArray(inner) ? inner.map(service) : value(inner)])) as T;
    },
  };
}

/** The values a deployment set holds that are secrets: every `env` value of a service but those of its public keys. */
export function secretValuesOf(set: unknown, publicEnv: (service: string) => readonly string[] = () => []): string[] {
  if (!isRecord(set) || !Array.isArray(set.services)) return [];
  return set.services.flatMap((spec: unknown) => {
    if (!isRecord(spec) || typeof spec.name !== 'string' || !isRecord(spec.env)) return [];
    const shown = new Set(publicEnv(spec.name));
    return Object.entries(spec.env).flatMap(([key, v]) => (typeof v === 'string' && !shown.has(key) ? [v] : []));
  });
}
