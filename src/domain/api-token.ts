import type { Person } from './person.ts';

/** What an API token may do; `admin` may do everything. */
export const SCOPES = ['read', 'deploy', 'cancel', 'approve', 'lock', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** An API token as Hoist knows it once its secret checked out (the secret itself is never kept). */
export interface ApiToken {
  name: string;
  scopes: readonly Scope[];
  /** The apps it may touch; null: every app. */
  apps: readonly string[] | null;
  /** The environments it may touch; null: every environment. */
  envs: readonly string[] | null;
  /** The Slack user it acts for (their permissions and approver rights); null: it acts as itself, `token:<name>`. */
  actAs: string | null;
  expiresAt: Date | null;
}

/** Who a token's requests come from: the user it acts for, or the token itself (`token:ci`, which `deployers` may list). */
export function tokenPerson(token: Pick<ApiToken, 'name' | 'actAs'>): Person {
  if (token.actAs !== null) return { id: token.actAs, name: token.actAs };
  const id = `token:${token.name}`;
  return { id, name: id };
}

/**
 * Why the token may not do `scope` on `where` (null: it may). Each reason names what
 * the token lacks — the scope, the app or the environment — and what it has.
 */
export function tokenDenial(token: Pick<ApiToken, 'name' | 'scopes' | 'apps' | 'envs'>, scope: Scope, where: { app?: string | null; env?: string | null } = {}): string | null {
  if (!token.scopes.includes(scope) && !token.scopes.includes('admin')) {
    return `token "${token.name}" lacks the "${scope}" scope (it has ${token.scopes.join(', ')})`;
  }
  if (where.app && token.apps !== null && !token.apps.includes(where.app)) {
    return `token "${token.name}" may not touch app "${where.app}" (only ${token.apps.join(', ')})`;
  }
  if (where.env && token.envs !== null && !token.envs.includes(where.env)) {
    return `token "${token.name}" may not touch environment "${where.env}" (only ${token.envs.join(', ')})`;
  }
  return null;
}
