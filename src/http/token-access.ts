import type { Context } from 'hono';
import { tokenDenial, type Scope } from '../domain/api-token.ts';
import type { HoistService } from '../service/contract.ts';
import { callerOf, denied, type ApiEnv } from './auth.ts';

/** A 403 when the caller may not do `scope` on deployment `id`'s app and environment; null when it may (or there is no such deployment: the route says so). */
export async function deniedDeployment(c: Context<ApiEnv>, api: HoistService, id: number, scope: Scope = 'read'): Promise<Response | null> {
  const deployment = await api.getDeployment(id);
  return deployment === null ? null : denied(c, scope, { app: deployment.app, env: deployment.env });
}

/**
 * A list across apps or environments: a token limited to some of them must say which
 * (a page filtered afterwards would come back short and its cursor would skip).
 */
export function deniedList(c: Context<ApiEnv>, where: { app: string | null; env: string | null }): Response | null {
  const no = denied(c, 'read', where);
  if (no) return no;
  const token = callerOf(c);
  const missing = token.apps !== null && where.app === null ? ['app', token.apps] : token.envs !== null && where.env === null ? ['env', token.envs] : null;
  if (missing === null) return null;
  const [filter, allowed] = missing as [string, readonly string[]];
  const message = `token "${token.name}" may read only ${filter === 'app' ? 'apps' : 'environments'} ${allowed.join(', ')}: filter with ?${filter}=${allowed[0]}`;
  return c.json({ error: { code: 'FORBIDDEN', message } }, 403);
}

/** Whether the caller may read `where`: for lists that show only what the token may see. */
export const mayRead = (c: Context<ApiEnv>) => (where: { app: string; env: string }): boolean => tokenDenial(callerOf(c), 'read', where) === null;
