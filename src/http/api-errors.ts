import type { Hook } from '@hono/zod-openapi';
import type { ApiEnv } from './auth.ts';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Refusal } from '../service/contract.ts';
import { ErrorSchema } from './api-schemas.ts';

/** The one table from the service's refusal codes to HTTP statuses. */
export const STATUS_OF: Record<Refusal['code'], 400 | 403 | 404 | 409 | 422 | 501 | 503> = {
  UNKNOWN_APP: 404,
  UNKNOWN_ENVIRONMENT: 404,
  UNKNOWN_SERVICE: 404,
  NOT_FOUND: 404,
  BAD_REF: 400,
  REF_NOT_FOUND: 422,
  // Allowed in general, not now or not here (a rollback with nothing to roll back to, a ttl past the longest).
  NOT_ALLOWED: 422,
  CHANNEL_NOT_ALLOWED: 403,
  NOT_SUPPORTED: 501,
  LOCKED: 409,
  FORBIDDEN: 403,
  BAD_REQUEST: 400,
  UNAVAILABLE: 503,
  NOT_APPROVER: 403,
  OWN_DEPLOYMENT: 403,
  DECIDED: 409,
  CHECKS_FAILED: 409,
  CONFIRMATION_NEEDED: 400,
};

export type ErrorBody = { error: { code: string; message: string } };
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 415 | 422 | 501 | 503;

export const errorBody = (code: string, message: string): ErrorBody => ({ error: { code, message } });

export const refused = (c: Context, refusal: Refusal) => c.json(errorBody(refusal.code, refusal.reason), STATUS_OF[refusal.code]);
export const badRequest = (c: Context, message: string) => c.json(errorBody('BAD_REQUEST', message), 400);

const DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: 'The request is malformed: the message names the field and what would work.',
  401: 'No API token, or one that is not accepted (unknown, expired, revoked).',
  403: 'The token, or the person it acts for, may not do this here.',
  404: 'No such app, environment, service or deployment.',
  409: 'Locked, or already decided.',
  415: 'The body is not JSON.',
  422: 'Not allowed now (the rules of the environment), or an Idempotency-Key reused for a different request.',
  501: 'Not supported by this target.',
  503: 'Hoist’s database does not answer.',
};

/** Every status a refusal of the service maps to (any route may meet one), with 401 for a missing or refused token. */
const REFUSAL_STATUSES = [400, 401, 403, 404, 409, 422, 501, 503] as const;
type RefusalStatus = (typeof REFUSAL_STATUSES)[number];

/** The error answers a route declares, each `{ error: { code, message } }`: every refusal's status, and `extra` (415 for a body). */
export function errorResponses<S extends ErrorStatus = never>(...extra: S[]) {
  const all = [...new Set<ErrorStatus>([...REFUSAL_STATUSES, ...extra])].sort();
  return Object.fromEntries(all.map((s) => [s, { description: DESCRIPTIONS[s], content: { 'application/json': { schema: ErrorSchema } } }])) as Record<
    S | RefusalStatus,
    { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } }
  >;
}

const PLACE: Record<string, string> = { json: 'body', query: 'query', param: 'path', header: 'header', form: 'body', cookie: 'cookie' };

/**
 * A request that does not match its route's schemas: 400 with one sentence naming the
 * field and what would work (the schemas carry those words), never zod's issue list.
 */
export const validationHook: Hook<unknown, ApiEnv, string, unknown> = (result, c) => {
  if (result.success) return;
  const issue = result.error.issues[0];
  const place = PLACE[result.target] ?? result.target;
  if (issue === undefined) return c.json(errorBody('BAD_REQUEST', `the request's ${place} is not valid`), 400);
  // A message that says it all (a deployment number, with the request that would work; the unknown fields).
  const whole = (issue.code === 'custom' && (issue.params as { whole?: boolean } | undefined)?.whole === true) || issue.code === 'unrecognized_keys';
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : place;
  return c.json(errorBody('BAD_REQUEST', whole ? issue.message : `${field}: ${issue.message}`), 400);
};

/** What Hono itself throws on a request it cannot read (a body that is not JSON), as the API's JSON error. */
export function httpExceptionBody(error: HTTPException): { status: ContentfulStatusCode; body: ErrorBody } {
  const status = error.status as ContentfulStatusCode;
  if (status === 415) return { status, body: errorBody('UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON, with "Content-Type: application/json"') };
  if (status === 400 && /json/i.test(error.message)) {
    return { status, body: errorBody('BAD_REQUEST', 'body: not valid JSON; send a JSON object, such as {"action":"deploy"}') };
  }
  return { status, body: errorBody(status === 400 ? 'BAD_REQUEST' : `HTTP_${status}`, error.message || 'the request could not be read') };
}
