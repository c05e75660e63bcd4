import type { Context, TypedResponse } from 'hono';
import type { StatusCode } from 'hono/utils/http-status';
import { tokenDenial, tokenPerson, type Scope } from '../domain/api-token.ts';
import type { Deployment } from '../domain/deployment.ts';
import type { Actor, HoistService } from '../service/contract.ts';
import { errorBody, type ErrorBody } from './api-errors.ts';
import { callerOf, denied, type ApiEnv } from './auth.ts';

/**
 * A deployment the caller may act on with `scope`: the scope is checked first, then the
 * deployment is loaded and its app and environment checked, before anything of it is
 * answered. A Response (403, 404) when it may not.
 */
export async function deploymentFor(
  c: Context<ApiEnv>,
  api: HoistService,
  id: number,
  scope: Scope,
  missing = `there is no deployment #${id}`,
): Promise<Deployment | ErrorResponse<403 | 404>> {
  const lacking = guard(c, scope);
  if (lacking) return lacking;
  const deployment = await api.getDeployment(id);
  if (deployment === null) return c.json(errorBody('NOT_FOUND', missing), 404);
  return guard(c, scope, { app: deployment.app, env: deployment.env }) ?? deployment;
}

/** An error answer as the routes declare it. */
export type ErrorResponse<S extends StatusCode> = Response & TypedResponse<ErrorBody, S, 'json'>;

/** The shared check (`denied`): its 403 when the caller's token may not do `scope` on `where`, typed as the routes declare it. */
export function guard(c: Context<ApiEnv>, scope: Scope, where: { app?: string | null; env?: string | null } = {}): ErrorResponse<403> | null {
  return denied(c, scope, where) as ErrorResponse<403> | null;
}

/** Whether the caller's token may `scope` on this app and environment (for filtering lists). */
export function mayTouch(c: Context<ApiEnv>, scope: Scope, where: { app: string; env?: string | null }): boolean {
  return tokenDenial(callerOf(c), scope, where) === null;
}

/** Who acts for the request and from where: the token itself (`token:ci`) or the Slack user it acts for, through the API. */
export function actorOf(c: Context<ApiEnv>): Actor {
  const token = callerOf(c);
  return { requester: tokenPerson(token), origin: { kind: 'api', token: token.name, channel: null } };
}

/**
 * A list across apps or environments: a token limited to some of them must say which
 * (a page filtered afterwards would come back short and its cursor would skip).
 */
export function listGuard(c: Context<ApiEnv>, where: { app: string | null; env: string | null }): ErrorResponse<403> | null {
  const no = guard(c, 'read', where);
  if (no) return no;
  const token = callerOf(c);
  const missing = token.apps !== null && where.app === null ? ['app', token.apps] : token.envs !== null && where.env === null ? ['env', token.envs] : null;
  if (missing === null) return null;
  const [filter, allowed] = missing as [string, readonly string[]];
  const message = `token "${token.name}" may read only ${filter === 'app' ? 'apps' : 'environments'} ${allowed.join(', ')}: filter with ?${filter}=${allowed[0]}`;
  return c.json(errorBody('FORBIDDEN', message), 403);
}
