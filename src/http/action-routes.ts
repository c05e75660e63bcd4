import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ACTION_VERBS } from '../domain/command.ts';
import type { Deployment } from '../domain/deployment.ts';
import type { ActionCommand, ApprovalView, HoistService } from '../service/contract.ts';
import { actorOf, guard } from './api-access.ts';
import { errorBody, errorResponses, refused } from './api-errors.ts';
import { deploymentJson, rulesJson } from './api-json.ts';
import { RequestedSchema } from './api-schemas.ts';
import { callerOf, type ApiEnv } from './auth.ts';
import { environmentParams } from './environment-routes.ts';
import { carryOutOnce, unsettled } from './idempotency.ts';
import { deploymentNumber } from './numbers.ts';

const FIELDS = ['action', 'services', 'ref', 'to', 'bypassApproval', 'force', 'reason', 'confirm'];

const RequestBody = z
  .strictObject(
    {
      action: z.enum(ACTION_VERBS, { error: `expected one of ${ACTION_VERBS.join(', ')}` }),
      services: z
        .array(z.string({ error: 'expected service names, such as ["api", "worker"]' }).min(1, 'a service name is not empty'), {
          error: 'expected a list of service names, such as ["api", "worker"]; leave it out for the whole environment',
        })
        .min(1, 'name at least one service, or leave `services` out for the whole environment')
        .optional()
        .openapi({ description: 'The services to act on; absent: the whole environment.', example: ['api'] }),
      ref: z
        .string({ error: 'expected a branch, tag or commit SHA, such as "main"' })
        .min(1, 'expected a branch, tag or commit SHA, such as "main"')
        .optional()
        .openapi({ description: 'deploy only: a branch, tag or SHA (absent: the branch head), or an image tag for an image service.' }),
      to: z
        .union([z.int(), z.string()], { error: 'expected a deployment number, such as 1040 or "#1040"' })
        .optional()
        .openapi({ description: 'rollback only: the deployment to roll back to (absent: the one before).', example: 1040 }),
      bypassApproval: z
        .string({ error: 'expected the reason for going ahead without approval' })
        .min(1, 'expected the reason for going ahead without approval')
        .optional()
        .openapi({ description: 'deploy only: go ahead without approval, as a `bypass` member, for this reason.' }),
      force: z
        .boolean({ error: 'expected true to deploy past red or pending CI checks (with a `reason`), or leave it out' })
        .optional()
        .openapi({ description: 'deploy only: deploy past red or pending CI checks (`checks:`), as one of the environment’s deployers; needs `reason`.' }),
      reason: z
        .string({ error: 'expected the reason for deploying past the CI checks' })
        .min(1, 'expected the reason for deploying past the CI checks')
        .optional()
        .openapi({ description: 'With `force`: why, for the record and the announcement.' }),
      confirm: z
        .string({ error: 'expected the full name of the service to destroy, such as "shop/db"' })
        .optional()
        .openapi({ description: 'destroy only: the full name of the one service in `services`, typed again (`shop/db`); without it, or with another name, nothing is destroyed.', example: 'shop/db' }),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}; fields: ${FIELDS.join(', ')}`
          : 'expected a JSON object, such as {"action":"deploy","ref":"main"}',
    },
  )
  .openapi('ActionRequest');

type RequestBody = z.infer<typeof RequestBody>;

const IdempotencyHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'expected 1 to 255 visible ASCII characters, such as a UUID')
    .optional()
    .openapi({ description: 'The same key (per token) within 24 hours answers with the same deployment; with a different body, 422.' }),
});

const requestAction = createRoute({
  method: 'post',
  path: '/apps/{app}/environments/{env}/deployments',
  summary: 'Request an action (deploy, redeploy, rollback, stop, restart, destroy): the same rules, locks, approvals and queue as chat',
  description: 'Scope `deploy`. Answers 202 once the deployment is recorded; follow it with GET /deployments/{id} or the event stream.',
  request: {
    params: environmentParams,
    headers: IdempotencyHeaders,
    body: { required: true, content: { 'application/json': { schema: RequestBody } } },
  },
  responses: {
    202: { description: 'Recorded (or the one it joined, or the one this Idempotency-Key requested before).', content: { 'application/json': { schema: RequestedSchema } } },
    ...errorResponses(415),
  },
});

/** The chat command the body stands for; a field the action does not take is a 400 naming it. */
function commandOf(app: string, env: string, body: RequestBody): ActionCommand | string {
  const scope = { app, services: body.services ?? null };
  if (body.ref !== undefined && body.action !== 'deploy') return `ref: only a deploy takes a ref; leave it out of a ${body.action}`;
  if (body.bypassApproval !== undefined && body.action !== 'deploy') return `bypassApproval: only a deploy goes ahead without approval; leave it out of a ${body.action}`;
  if (body.force !== undefined && body.action !== 'deploy') return `force: only a deploy waits for CI checks; leave it out of a ${body.action}`;
  if (body.force === true && body.reason === undefined) return 'reason: deploying past CI checks needs a reason, for the record: {"action":"deploy","force":true,"reason":"hotfix for incident 88"}';
  if (body.reason !== undefined && body.force !== true) return 'reason: only `force: true` takes a reason; leave it out, or add "force": true';
  if (body.to !== undefined && body.action !== 'rollback') return `to: only a rollback takes a deployment to go back to; leave it out of a ${body.action}`;
  if (body.confirm !== undefined && body.action !== 'destroy') return `confirm: only a destroy is confirmed with the service's name; leave it out of a ${body.action}`;
  switch (body.action) {
    case 'deploy':
      return {
        verb: 'deploy',
        scope,
        env,
        ref: body.ref ?? null,
        ...(body.bypassApproval === undefined ? {} : { bypassApproval: body.bypassApproval }),
        ...(body.force === true && body.reason !== undefined ? { force: body.reason } : {}),
      };
    case 'rollback': {
      if (body.to === undefined) return { verb: 'rollback', scope, env, to: null };
      const to = deploymentNumber(String(body.to), '{"action":"rollback","to":1040}');
      return to.ok ? { verb: 'rollback', scope, env, to: to.id } : `to: ${to.message}`;
    }
    case 'redeploy':
    case 'stop':
    case 'restart':
      return { verb: body.action, scope, env };
    case 'destroy':
      return { verb: 'destroy', scope, env, confirm: body.confirm ?? null };
  }
}

type Outcome = z.infer<typeof RequestedSchema>['outcome'];

function requested(deployment: Deployment, outcome: Outcome, approval: ApprovalView | null): z.infer<typeof RequestedSchema> {
  return {
    deployment: deploymentJson(deployment),
    outcome,
    ...(approval === null || !approval.required ? {} : { approval: { rules: rulesJson(approval), expiresAt: approval.expiresAt?.toISOString() ?? null } }),
  };
}

/** `POST /apps/{app}/environments/{env}/deployments`: what a chat command requests, through the same service operation. */
export function actionRoutes(api: HoistService): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>();

  /** The deployment an earlier request with the same key made, as it is now. */
  const replay = async (c: Context<ApiEnv>, id: number) => {
    const deployment = await api.getDeployment(id);
    if (deployment === null) return c.json(errorBody('NOT_FOUND', `there is no deployment #${id} any more`), 404);
    const approval = deployment.status === 'AWAITING_APPROVAL' ? await api.approvals(id) : null;
    return c.json(requested(deployment, 'duplicate', approval?.ok ? approval : null), 202);
  };

  app.openapi(requestAction, async (c) => {
    const where = c.req.valid('param');
    const body = c.req.valid('json');
    const key = c.req.valid('header')['Idempotency-Key'];
    const lacking = guard(c, 'deploy', where);
    if (lacking) return lacking;
    const command = commandOf(where.app, where.env, body);
    if (typeof command === 'string') return c.json(errorBody('BAD_REQUEST', command), 400);
    const actor = actorOf(c);
    const request = { app: where.app, env: where.env, ...body };
    const once = await carryOutOnce(api, { token: callerOf(c).name, key, request }, async () => {
      const result = await api.request(command, { ...actor, trigger: 'api' });
      return { value: result, deploymentId: result.ok && !result.duplicate ? result.deployment.id : null };
    });
    switch (once.kind) {
      case 'unavailable':
      case 'pending':
        return unsettled(c, once);
      case 'mismatch':
        return c.json(
          errorBody(
            'IDEMPOTENCY_KEY_REUSED',
            `this Idempotency-Key was used within the last 24 hours for a different request${once.deploymentId === null ? '' : ` (#${once.deploymentId})`}; send that request's body to get its answer again, or use a new key for a new request`,
          ),
          422,
        );
      case 'replay':
        return replay(c, once.deploymentId);
      case 'done':
        break;
    }
    const result = once.value;
    // The field that would have made it go: `confirm`, as a malformed body names its field.
    if (!result.ok) return refused(c, result.code === 'CONFIRMATION_NEEDED' ? { ...result, reason: `confirm: ${result.reason}` } : result);
    const outcome: Outcome = result.duplicate
      ? 'duplicate'
      : result.coalesced
        ? 'coalesced'
        : result.awaitingApproval !== undefined
          ? 'awaiting-approval'
          : result.deployment.status === 'AWAITING_CHECKS'
            ? 'awaiting-checks'
            : 'queued';
    return c.json(requested(result.deployment, outcome, result.awaitingApproval ?? null), 202);
  });

  return app;
}
