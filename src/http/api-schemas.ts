import { z } from '@hono/zod-openapi';
import { ACTION_VERBS } from '../domain/command.ts';
import { RUNNING_STATES } from '../domain/running-status.ts';
import { SERVICE_TYPES } from '../domain/service-order.ts';
import { PRE_RUN_STATUSES, SERVICE_STATUSES } from '../domain/status.ts';

/**
 * The shapes of the API's answers: what the handlers return and what
 * /api/v1/openapi.json describes, from one source.
 */

const when = z.iso.datetime({ offset: true });
const maybeWhen = when.nullable();

export const RunningSchema = z
  .object({
    state: z.enum(RUNNING_STATES).openapi({ description: 'RUNNING (ready = desired), DEGRADED (some ready), DOWN (none ready, or a replica crash-looping), STOPPED (desired 0, or stopped by Hoist), UNKNOWN (the target could not be reached).' }),
    ready: z.int().openapi({ description: 'Replicas (containers, pods) ready to serve.' }),
    desired: z.int().openapi({ description: 'Replicas that should run.' }),
    restarts: z.int().openapi({ description: 'Restarts of its containers so far, summed over replicas.' }),
    reason: z.string().nullable().openapi({ description: 'Why it is DOWN or UNKNOWN (e.g. CrashLoopBackOff); null otherwise.' }),
    since: when.openapi({ description: 'Since when it is in this state.' }),
  })
  .openapi('RunningStatus');

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'LOCKED', description: 'Stable: BAD_REQUEST, FORBIDDEN, UNAUTHORIZED, NOT_FOUND, LOCKED, NOT_ALLOWED, …' }),
      message: z.string().openapi({ description: 'What is wrong and what would work, in the words chat uses.' }),
    }),
  })
  .openapi('Error');

export const PersonSchema = z.object({ id: z.string(), name: z.string() }).openapi('Person');

export const ServiceStatusSchema = z.enum(SERVICE_STATUSES).openapi('ServiceStatus');
export const DeploymentStatusSchema = z.enum([...SERVICE_STATUSES, ...PRE_RUN_STATUSES]).openapi('DeploymentStatus');
export const ActionSchema = z.enum(ACTION_VERBS).openapi('Action');

export const PushSchema = z
  .object({
    pusher: z.string().openapi({ description: 'The GitHub login of whoever pushed; `polled` for a head found by polling.' }),
    message: z.string().nullable().openapi({ description: "The head commit's message." }),
    forced: z.boolean().openapi({ description: 'A forced push (history was rewritten).' }),
    compareUrl: z.string().nullable(),
    polled: z.boolean().optional().openapi({ description: 'true: found by polling the branch with git ls-remote (`autoDeploy: { poll }`), not told by a webhook.' }),
  })
  .openapi('Push', { description: 'The push that requested an automatic deploy (trigger `webhook`): told by GitHub, or found by polling.' });

export const ChangelogSchema = z
  .object({
    from: z.string().openapi({ description: 'The commit that ran when the deploy was requested.' }),
    to: z.string(),
    ahead: z.int().openapi({ description: 'Commits the deploy brings.' }),
    behind: z.int().openapi({ description: 'Commits that ran and that the deploy takes away (it rolls them back).' }),
    commits: z.array(
      z.object({
        sha: z.string(),
        title: z.string(),
        author: z.string().nullable(),
        pull: z.object({ number: z.int(), url: z.string() }).nullable(),
      }),
    ).openapi({ description: 'The first ten commits it brings, oldest first.' }),
    compareUrl: z.string().nullable(),
  })
  .openapi('Changelog');

export const DeploymentSummarySchema = z
  .object({
    id: z.int(),
    app: z.string(),
    env: z.string(),
    action: ActionSchema,
    status: DeploymentStatusSchema,
    reason: z.string().nullable(),
    ref: z.string().nullable(),
    sha: z.string().nullable(),
    requestedBy: PersonSchema,
    trigger: z.enum(['chat', 'api', 'shell', 'webhook']).openapi({ description: '`webhook`: an automatic deploy, requested by a push.' }),
    push: PushSchema.nullable(),
    requestedAt: when,
    startedAt: maybeWhen,
    finishedAt: maybeWhen,
  })
  .openapi('DeploymentSummary');

const ChecksSchema = z
  .object({
    waitingFor: z.array(z.string()).nullable().openapi({ description: 'While AWAITING_CHECKS: the checks not done yet (empty: none reported yet); null otherwise.' }),
    forced: z
      .object({
        by: PersonSchema,
        reason: z.string(),
        verdict: z.enum(['red', 'pending']).openapi({ description: 'What the checks said when it was forced past them.' }),
        checks: z.array(z.string()).openapi({ description: 'The failing checks (red) or those not done (pending).' }),
      })
      .nullable()
      .openapi({ description: 'Deployed past red or pending checks with `force`: by whom and why; null otherwise.' }),
    bypassedApproval: z.boolean(),
  })
  .openapi('DeploymentChecks');

export const DeploymentSchema = DeploymentSummarySchema.extend({
  checks: ChecksSchema.nullable().openapi({ description: 'Its commit’s CI checks (`checks:` in hoist.yaml): what it waits for, whether it was forced past them; null where none were asked for.' }),
  changelog: ChangelogSchema.nullable().openapi({ description: 'What the deploy changes against what ran when it was requested; null until known, and for a first deploy.' }),
  services: z.array(
    z.object({
      name: z.string(),
      type: z.enum(SERVICE_TYPES),
      status: ServiceStatusSchema,
      version: z.string().nullable(),
      previousVersion: z.string().nullable(),
      image: z.string().nullable(),
      reason: z.string().nullable(),
    }),
  ),
}).openapi('Deployment');

export const DeploymentPageSchema = z
  .object({ items: z.array(DeploymentSummarySchema), nextCursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null: the last page.' }) })
  .openapi('DeploymentPage');

export const LockSchema = z
  .object({
    kind: z.enum(['manual', 'pin']),
    owner: PersonSchema,
    reason: z.string().nullable(),
    since: when,
    expiresAt: maybeWhen,
  })
  .openapi('Lock');

export const LockStateSchema = z
  .object({
    lock: LockSchema.nullable(),
    history: z.array(
      z.object({
        action: z.enum(['taken', 'renewed', 'released', 'forced', 'expired', 'replaced']),
        kind: z.enum(['manual', 'pin']),
        owner: PersonSchema,
        by: PersonSchema.nullable(),
        reason: z.string().nullable(),
        at: when,
      }),
    ),
  })
  .openapi('LockState');

export const EnvironmentSchema = z
  .object({
    app: z.string(),
    env: z.string(),
    target: z.string(),
    production: z.boolean().openapi({ description: 'Marked `production: true` in hoist.yaml: a production environment (GitHub Deployments say so with `production_environment`).' }),
    commitBaseUrl: z.string().nullable().openapi({ description: 'Where a commit of the app’s repository is shown, its SHA appended (GitHub-style https repositories); null otherwise.' }),
    autoDeploy: z.boolean().openapi({ description: 'true: a push to its branch deploys it (automatic); false: only people and pipelines do (manual).' }),
    status: ServiceStatusSchema.openapi({ description: 'The aggregate of its services’ statuses.' }),
    services: z.array(
      z.object({
        name: z.string(),
        type: z.string(),
        status: ServiceStatusSchema,
        version: z.string().nullable(),
        image: z.string().nullable(),
        deploymentId: z.int().nullable(),
        updatedAt: maybeWhen,
        commitUrl: z.string().nullable().openapi({ description: 'The web page of the commit it runs (GitHub-style https repositories); null otherwise.' }),
        running: RunningSchema.nullable().openapi({ description: 'Whether it runs now, as its target says, beside its deployment status; null while not known (never deployed, a job, or not read yet).' }),
      }),
    ),
    queue: z.array(
      z.object({ id: z.int(), action: z.string(), status: z.string(), position: z.int().nullable(), requestedBy: PersonSchema }),
    ),
    awaitingApproval: z
      .array(z.object({ id: z.int(), action: z.string(), requestedBy: PersonSchema, requestedAt: when, expiresAt: maybeWhen }))
      .openapi({ description: 'Deployments waiting for approval, oldest first (they join the queue once approved).' }),
    lock: LockSchema.nullable(),
    eventId: z.int().openapi({
      description: 'The id of the last event (GET /api/v1/events) this answer includes: follow the stream with `lastEventId` set to it and nothing is missed or counted twice.',
    }),
  })
  .openapi('Environment');

export const AppsSchema = z
  .object({
    items: z.array(
      z.object({
        name: z.string(),
        environments: z.array(
          z.object({ name: z.string(), status: ServiceStatusSchema, lock: LockSchema.nullable(), queued: z.int().openapi({ description: 'Deployments waiting or running there.' }) }),
        ),
      }),
    ),
  })
  .openapi('Apps');

export const RuleProgressSchema = z
  .object({ approvers: z.array(z.string()), count: z.int(), voters: z.array(PersonSchema), met: z.boolean() })
  .openapi('RuleProgress');

export const ApprovalsSchema = z
  .object({
    deploymentId: z.int(),
    status: DeploymentStatusSchema,
    required: z.boolean(),
    approved: z.boolean(),
    selfApproval: z.boolean(),
    expiresAt: maybeWhen,
    rules: z.array(RuleProgressSchema),
    history: z.array(
      z.object({
        step: z.string(),
        actor: PersonSchema.nullable(),
        edge: z.string().nullable(),
        reason: z.string().nullable(),
        sha: z.string().nullable(),
        setKey: z.string().nullable(),
        at: when,
      }),
    ),
  })
  .openapi('Approvals');

export const ManifestsSchema = z
  .object({ deploymentId: z.int(), app: z.string(), env: z.string(), set: z.unknown().openapi({ description: 'The deployment set it applied (secret values masked).' }) })
  .openapi('Manifests');

export const DiffSchema = z
  .object({
    from: z.int(),
    to: z.int(),
    changes: z.array(
      z.object({
        path: z.string(),
        kind: z.enum(['added', 'removed', 'changed']),
        before: z.unknown(),
        after: z.unknown(),
        text: z.string().openapi({ description: 'The change as people read it; values of `env` left out, a rotated secret as `secret changed`.' }),
      }),
    ),
    unified: z.string(),
  })
  .openapi('Diff');

export const LogsSchema = z
  .object({
    deploymentId: z.int(),
    lines: z.array(z.object({ id: z.int(), service: z.string().nullable(), line: z.string(), at: when })),
    nextAfter: z.int().nullable(),
  })
  .openapi('Logs');

/** What a request for an action answers: the deployment, and what became of the request. */
export const RequestedSchema = z
  .object({
    deployment: DeploymentSchema,
    outcome: z.enum(['queued', 'coalesced', 'awaiting-checks', 'awaiting-approval', 'duplicate']).openapi({
      description:
        '`queued`: recorded and in its environment’s queue; `coalesced`: an identical deployment was already waiting, this is it; `awaiting-checks`: it waits for its commit’s CI checks (not in the queue; approval, where needed, is asked once they pass); `awaiting-approval`: nothing runs until it is approved; `duplicate`: this Idempotency-Key requested it before.',
    }),
    approval: z.object({ rules: z.array(RuleProgressSchema), expiresAt: maybeWhen }).optional(),
  })
  .openapi('Requested');

export const CanceledSchema = z
  .object({
    deployment: DeploymentSchema,
    outcome: z.enum(['removed', 'canceling']).openapi({ description: '`removed`: it had not started and will not run; `canceling`: it runs and has been told to stop.' }),
  })
  .openapi('Canceled');

export const VotedSchema = z
  .object({
    deployment: DeploymentSchema,
    outcome: z.enum(['counted', 'approved', 'already-counted', 'rejected']),
    approval: z.object({ rules: z.array(RuleProgressSchema), approved: z.boolean(), expiresAt: maybeWhen }).optional(),
  })
  .openapi('Voted');

export const LockedSchema = z.object({ lock: LockSchema, renewed: z.boolean() }).openapi('Locked');
export const UnlockedSchema = z.object({ released: LockSchema, forced: z.boolean() }).openapi('Unlocked');
