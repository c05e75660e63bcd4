import { SCOPES, type Scope } from './api-token.ts';
import { TOKEN_NAME, TOKEN_NAME_RULE, type TokenGrant } from './api-token-record.ts';
import { parseDuration } from './duration.ts';
import { isSlackUserId } from './person.ts';

/** A token's grant as a person writes it: flags of `hoist token create`, a body of `POST /api/v1/tokens`, an entry of HOIST_API_TOKENS. */
export interface GrantInput {
  name?: string | null;
  scopes?: readonly string[] | null;
  apps?: readonly string[] | null;
  envs?: readonly string[] | null;
  actAs?: string | null;
  /** How long it lasts: `90d`, `12h`; none: it does not expire. */
  expiresIn?: string | null;
}

export type GrantResult = { ok: true; grant: TokenGrant } | { ok: false; field: keyof GrantInput; reason: string };

/** Checks a grant; each refusal names the field, what is wrong and what would work. */
export function parseGrant(input: GrantInput, now: Date): GrantResult {
  const name = input.name?.trim() ?? '';
  if (name === '') return { ok: false, field: 'name', reason: 'a token needs a name (such as ci)' };
  if (!TOKEN_NAME.test(name)) return { ok: false, field: 'name', reason: `"${name}" is not a token name: ${TOKEN_NAME_RULE}` };
  const scopes = [...new Set((input.scopes ?? []).map((s) => s.trim().toLowerCase()).filter(Boolean))];
  if (scopes.length === 0) return { ok: false, field: 'scopes', reason: `a token needs at least one scope: ${SCOPES.join(', ')}` };
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) {
    return { ok: false, field: 'scopes', reason: `unknown scope ${unknown.map((s) => `"${s}"`).join(', ')}; scopes: ${SCOPES.join(', ')}` };
  }
  const apps = names(input.apps);
  const envs = names(input.envs);
  const actAs = input.actAs?.trim() || null;
  if (actAs !== null && !isSlackUserId(actAs)) {
    return { ok: false, field: 'actAs', reason: `"${actAs}" is not a Slack user id: give one such as U0ALICE (the token then acts for that user)` };
  }
  let expiresAt: Date | null = null;
  const expiresIn = input.expiresIn?.trim() || null;
  if (expiresIn !== null) {
    const ms = parseDuration(expiresIn);
    if (ms === null) return { ok: false, field: 'expiresIn', reason: `"${expiresIn}" is not a duration: use such as 90d, 12h or 30m` };
    expiresAt = new Date(now.getTime() + ms);
  }
  return { ok: true, grant: { name, scopes: scopes as Scope[], apps, envs, actAs, expiresAt } };
}

/** A list of apps or environments; empty or absent: all of them. */
function names(list: readonly string[] | null | undefined): string[] | null {
  const cleaned = [...new Set((list ?? []).map((s) => s.trim()).filter(Boolean))];
  return cleaned.length === 0 ? null : cleaned;
}
