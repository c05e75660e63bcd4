import type { ApiToken } from './api-token.ts';

/** Where a token came from: `hoist token create`, HOIST_API_TOKENS, the local admin token file, or `POST /api/v1/tokens`. */
export const TOKEN_ORIGINS = ['cli', 'env', 'local', 'api'] as const;
export type TokenOrigin = (typeof TOKEN_ORIGINS)[number];

/** A token as `hoist token list` shows it: everything but the secret. */
export interface ApiTokenRecord extends ApiToken {
  origin: TokenOrigin;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** What a new token is made of (its secret aside). */
export interface TokenGrant {
  name: string;
  scopes: ApiToken['scopes'];
  apps: ApiToken['apps'];
  envs: ApiToken['envs'];
  actAs: string | null;
  expiresAt: Date | null;
}

/**
 * A token's name, unanchored: what `--name`, HOIST_API_TOKENS and `token:<name>` in `deployers`
 * use. Redaction (redact.ts) leaves `token:<name>` whole by this same rule: a token acting as
 * itself is a person, not a secret; a longer value after `token:` is taken for a secret.
 */
export const TOKEN_NAME_PATTERN = '[a-z0-9][a-z0-9._-]{0,39}';

/** Token names, case-insensitive (see TOKEN_NAME_PATTERN). */
export const TOKEN_NAME = new RegExp(`^${TOKEN_NAME_PATTERN}$`, 'i');

export const TOKEN_NAME_RULE = 'letters, digits and . _ - (up to 40, starting with a letter or digit)';

/** Why a token is no longer accepted at `now` (null: it is). */
export function tokenLapse(token: Pick<ApiTokenRecord, 'name' | 'expiresAt' | 'revokedAt'>, now: Date): string | null {
  if (token.revokedAt !== null) return `API token "${token.name}" was revoked at ${token.revokedAt.toISOString()}`;
  if (token.expiresAt !== null && token.expiresAt.getTime() <= now.getTime()) {
    return `API token "${token.name}" expired at ${token.expiresAt.toISOString()} (create a new one with \`hoist token create\`)`;
  }
  return null;
}

/** Every secret Hoist makes starts so; the log redaction knows the shape (`redact.ts`). */
export const SECRET_PREFIX = 'hoist_';
export const SECRET_SHAPE = /^hoist_[A-Za-z0-9_-]{32,}$/;

/** A token given with its secret (HOIST_API_TOKENS): set as listed at every start. */
export interface TokenSeed {
  grant: TokenGrant;
  secret: string;
}

/** A token as the API answers and the CLI prints it: times as ISO text. */
export function tokenRecordJson(t: ApiTokenRecord) {
  return {
    name: t.name,
    scopes: [...t.scopes],
    apps: t.apps === null ? null : [...t.apps],
    envs: t.envs === null ? null : [...t.envs],
    actAs: t.actAs,
    origin: t.origin,
    createdAt: t.createdAt.toISOString(),
    expiresAt: t.expiresAt?.toISOString() ?? null,
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    revokedAt: t.revokedAt?.toISOString() ?? null,
  };
}
