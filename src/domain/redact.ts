/**
 * Masks secrets in a text before it reaches a chat, the API or the log: the one
 * place that knows what a secret looks like. Patterns are the well-known token
 * shapes, credentials in URLs and `key=value` pairs whose key names a secret; a
 * false positive costs a masked word, a miss leaks a credential.
 */
export const MASK = '[redacted]';

const ESCAPED_MASK = MASK.replace(/[[\]]/g, '\\$&');

const SECRET_KEY =
  '[A-Za-z0-9_.-]*(?:password|passwd|pwd|token|secret|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|signature)[A-Za-z0-9_.-]*';

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
  // `password=…`, `DB_PASSWORD: …`, `"client_secret": "…"`, `?access_token=…&`.
  {
    pattern: new RegExp(`(["']?\\b${SECRET_KEY}["']?\\s*[:=]\\s*)(?!${ESCAPED_MASK})(?:"[^"]*"|'[^']*'|[^\\s"'&,;]+)`, 'gi'),
    replace: (_m, key: string) => `${key}${MASK}`,
  },
];

export function redact(line: string): string {
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

/** A JSON-like value with every string in it redacted (keys stay: they are names, not secrets). */
export function redactValues(value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map(redactValues);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, redactValues(inner)]));
  }
  return value;
}
