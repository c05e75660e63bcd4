import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { SCOPES, tokenDenial } from '../domain/api-token.ts';
import { TOKEN_ORIGINS, tokenRecordJson } from '../domain/api-token-record.ts';
import { parseGrant } from '../domain/token-grant.ts';
import type { TokenService } from '../service/api-tokens.ts';
import { callerOf, type ApiEnv } from './auth.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** The answer carries a secret for its caller (a new token's): the answer masking leaves it whole. */
    revealsSecret: true;
  }
}

export type TokenRouteDeps = Pick<TokenService, 'create' | 'list' | 'revoke'>;

const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).openapi('Error');

const TokenSchema = z
  .object({
    name: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    apps: z.array(z.string()).nullable().openapi({ description: 'The apps it may touch; null: every app.' }),
    envs: z.array(z.string()).nullable().openapi({ description: 'The environments it may touch; null: every environment.' }),
    actAs: z.string().nullable().openapi({ description: 'The Slack user it acts for; null: it acts as itself (such as token:ci for the token named ci).' }),
    origin: z.enum(TOKEN_ORIGINS),
    createdAt: z.string().datetime(),
    expiresAt: z.string().datetime().nullable(),
    lastUsedAt: z.string().datetime().nullable().openapi({ description: 'Recorded at most once a minute.' }),
    revokedAt: z.string().datetime().nullable(),
  })
  .openapi('ApiToken');

const CreateTokenSchema = z
  .object({
    name: z.string().openapi({ example: 'ci' }),
    scopes: z.array(z.string()).openapi({ example: ['read', 'deploy'], description: `Any of ${SCOPES.join(', ')}.` }),
    apps: z.array(z.string()).optional(),
    envs: z.array(z.string()).optional(),
    actAs: z.string().optional().openapi({ example: 'U0ALICE' }),
    expiresIn: z.string().optional().openapi({ example: '90d', description: 'How long it lasts (90d, 12h, 30m); absent: it does not expire.' }),
  })
  .openapi('ApiTokenRequest');

const errors = {
  400: { description: 'The request is malformed', content: { 'application/json': { schema: ErrorSchema } } },
  401: { description: 'No token, or one not accepted', content: { 'application/json': { schema: ErrorSchema } } },
  403: { description: 'The token lacks the admin scope', content: { 'application/json': { schema: ErrorSchema } } },
};

const createToken = createRoute({
  method: 'post',
  path: '/tokens',
  summary: 'Create an API token; its secret is in this answer only',
  request: { body: { required: true, content: { 'application/json': { schema: CreateTokenSchema } } } },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: z.object({ token: TokenSchema, secret: z.string() }).openapi('NewApiToken') } } },
    409: { description: 'A token of that name is in use', content: { 'application/json': { schema: ErrorSchema } } },
    ...errors,
  },
});

const listTokens = createRoute({
  method: 'get',
  path: '/tokens',
  summary: 'Every API token, revoked ones included (never a secret)',
  responses: { 200: { description: 'The tokens', content: { 'application/json': { schema: z.object({ items: z.array(TokenSchema) }) } } }, ...errors },
});

const revokeToken = createRoute({
  method: 'delete',
  path: '/tokens/{name}',
  summary: 'Revoke an API token',
  request: { params: z.object({ name: z.string() }) },
  responses: {
    200: { description: 'Revoked', content: { 'application/json': { schema: z.object({ token: TokenSchema }) } } },
    404: { description: 'No token of that name in use', content: { 'application/json': { schema: ErrorSchema } } },
    ...errors,
  },
});

const tokenJson = tokenRecordJson;

const fail = <S extends 400 | 403 | 404 | 409>(c: Context<ApiEnv>, status: S, code: string, message: string) => c.json({ error: { code, message } }, status);
const notAdmin = (c: Context<ApiEnv>) => tokenDenial(callerOf(c), 'admin');

/** `POST /tokens`, `GET /tokens`, `DELETE /tokens/{name}`: the `hoist token` commands over HTTP, for admin tokens. */
export function tokenRoutes(tokens: TokenRouteDeps): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result, c) => {
      if (result.success) return undefined;
      const message = result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      return c.json({ error: { code: 'BAD_REQUEST', message } }, 400);
    },
  });

  app.openapi(createToken, async (c) => {
    const no = notAdmin(c);
    if (no) return fail(c, 403, 'FORBIDDEN', no);
    const body = c.req.valid('json');
    const grant = parseGrant(body, new Date());
    if (!grant.ok) return fail(c, 400, 'BAD_REQUEST', `${grant.field}: ${grant.reason}`);
    const made = await tokens.create(grant.grant, 'api');
    if (!made.ok) return fail(c, 409, made.code, made.reason);
    c.set('revealsSecret', true);
    return c.json({ token: tokenJson(made.token), secret: made.secret }, 201, { 'cache-control': 'no-store' });
  });

  app.openapi(listTokens, async (c) => {
    const no = notAdmin(c);
    if (no) return fail(c, 403, 'FORBIDDEN', no);
    return c.json({ items: (await tokens.list()).map(tokenJson) }, 200);
  });

  app.openapi(revokeToken, async (c) => {
    const no = notAdmin(c);
    if (no) return fail(c, 403, 'FORBIDDEN', no);
    const revoked = await tokens.revoke(c.req.valid('param').name);
    if (!revoked.ok) return fail(c, 404, revoked.code, revoked.reason);
    return c.json({ token: tokenJson(revoked.token) }, 200);
  });

  return app;
}
