import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { parseDuration } from '../domain/duration.ts';
import type { HoistService } from '../service/contract.ts';
import { actorOf, deploymentFor, guard } from './api-access.ts';
import { badRequest, errorResponses, refused } from './api-errors.ts';
import { deploymentJson, lockJson, rulesJson } from './api-json.ts';
import { CanceledSchema, LockedSchema, UnlockedSchema, VotedSchema } from './api-schemas.ts';
import type { ApiEnv } from './auth.ts';
import { deploymentIdParams } from './deployment-routes.ts';
import { environmentParams } from './environment-routes.ts';

/** As long as chat takes a reason. */
const MAX_REASON_LENGTH = 500;

const reason = (what: string) =>
  z
    .string({ error: `expected a text: ${what}` })
    .trim()
    .min(1, `expected a text: ${what}`)
    .max(MAX_REASON_LENGTH, `longer than ${MAX_REASON_LENGTH} characters; say it in fewer`);

const object = <T extends z.ZodRawShape>(shape: T, example: string) =>
  z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}; fields: ${Object.keys(shape).join(', ')}`
        : `expected a JSON object, such as ${example}`,
  });

const VoteBody = object(
  {
    decision: z.enum(['approve', 'reject'], { error: 'expected "approve" or "reject"' }),
    reason: reason('why it is rejected').optional().openapi({ description: 'Required to reject (for the requester and the record); not taken with approve.' }),
  },
  '{"decision":"approve"}',
).openapi('Vote');

const LockBody = object(
  {
    reason: reason('why it is locked, such as "incident 88"'),
    ttl: z
      .string({ error: 'expected a duration, such as "2h"' })
      .optional()
      .openapi({ description: 'How long, such as `30m`, `2h`, `1h30m`; absent: the environment’s `lock.ttl` (or until unlocked).', example: '2h' }),
  },
  '{"reason":"incident 88","ttl":"2h"}',
).openapi('LockRequest');

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const body = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });

const cancel = createRoute({
  method: 'post',
  path: '/deployments/{id}/cancel',
  summary: 'Cancel a deployment: removed if it waits, told to stop if it runs',
  description: 'Scope `cancel`.',
  request: { params: deploymentIdParams('/api/v1/deployments/12/cancel') },
  responses: { 200: json(CanceledSchema, 'Removed from the queue, or canceling.'), ...errorResponses() },
});

const vote = createRoute({
  method: 'post',
  path: '/deployments/{id}/approvals',
  summary: 'Approve or reject a deployment waiting for approval',
  description: 'Scope `approve`. The person voting is the token’s (`--as` user, or the token itself, such as `token:ci`): the environment’s approvers decide who counts.',
  request: { params: deploymentIdParams('/api/v1/deployments/12/approvals'), body: body(VoteBody) },
  responses: { 200: json(VotedSchema, 'The vote counted, approved it, was already counted, or rejected it.'), ...errorResponses(415) },
});

const lock = createRoute({
  method: 'put',
  path: '/apps/{app}/environments/{env}/lock',
  summary: 'Lock an environment: others’ actions there are refused until it is unlocked or lapses',
  description: 'Scope `lock`. Locking again renews one’s own lock.',
  request: { params: environmentParams, body: body(LockBody) },
  responses: { 200: json(LockedSchema, 'Locked (or renewed).'), ...errorResponses(415) },
});

const unlock = createRoute({
  method: 'delete',
  path: '/apps/{app}/environments/{env}/lock',
  summary: 'Unlock an environment; `force=true` releases someone else’s lock (deployers only)',
  description: 'Scope `lock`.',
  request: {
    params: environmentParams,
    query: z.object({
      force: z
        .enum(['true', 'false'], { error: 'expected true (a deployer releasing someone else’s lock) or false' })
        .optional()
        .openapi({ description: '`true`: release someone else’s lock, as a deployer (recorded and announced).' }),
    }),
  },
  responses: { 200: json(UnlockedSchema, 'The lock released.'), ...errorResponses() },
});

/** Cancel, approve or reject, lock and unlock: chat's operations through the API. */
export function decisionRoutes(api: HoistService): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>();

  app.openapi(cancel, async (c) => {
    const { id } = c.req.valid('param');
    const d = await deploymentFor(c, api, id, 'cancel');
    if (!('services' in d)) return d;
    const result = await api.cancel({ kind: 'deployment', id }, actorOf(c));
    if (!result.ok) return refused(c, result);
    return c.json({ deployment: deploymentJson(result.deployment), outcome: result.outcome }, 200);
  });

  app.openapi(vote, async (c) => {
    const { id } = c.req.valid('param');
    const { decision, reason: why } = c.req.valid('json');
    if (decision === 'approve' && why !== undefined) return badRequest(c, 'reason: only a rejection takes a reason; leave it out to approve');
    if (decision === 'reject' && why === undefined) {
      return badRequest(c, 'reason: a rejection needs a reason, for the requester and the record, such as {"decision":"reject","reason":"not during the freeze"}');
    }
    const d = await deploymentFor(c, api, id, 'approve');
    if (!('services' in d)) return d;
    if (decision === 'reject') {
      const rejected = await api.reject(id, actorOf(c), why ?? '');
      if (!rejected.ok) return refused(c, rejected);
      return c.json({ deployment: deploymentJson(rejected.deployment), outcome: 'rejected' as const }, 200);
    }
    const voted = await api.approve(id, actorOf(c));
    if (!voted.ok) return refused(c, voted);
    const approval = { rules: rulesJson(voted.approval), approved: voted.approval.approved, expiresAt: voted.approval.expiresAt?.toISOString() ?? null };
    return c.json({ deployment: deploymentJson(voted.deployment), outcome: voted.outcome, approval }, 200);
  });

  app.openapi(lock, async (c) => {
    const where = c.req.valid('param');
    const input = c.req.valid('json');
    const ttlMs = input.ttl === undefined ? undefined : parseDuration(input.ttl);
    if (ttlMs === null) return badRequest(c, `ttl: "${input.ttl}" is not a duration: use a number and s, m, h or d, such as "90s", "30m", "2h" or "1h30m"`);
    const lacking = guard(c, 'lock', where);
    if (lacking) return lacking;
    const result = await api.lockEnvironment({ ...where, reason: input.reason, ...(ttlMs === undefined ? {} : { ttlMs }) }, actorOf(c));
    if (!result.ok) return refused(c, result);
    return c.json({ lock: lockJson(result.lock), renewed: result.renewed }, 200);
  });

  app.openapi(unlock, async (c) => {
    const where = c.req.valid('param');
    const { force } = c.req.valid('query');
    const lacking = guard(c, 'lock', where);
    if (lacking) return lacking;
    const result = await api.unlockEnvironment({ ...where, force: force === 'true' }, actorOf(c));
    if (!result.ok) return refused(c, result);
    return c.json({ released: lockJson(result.released), forced: result.forced }, 200);
  });

  return app;
}
