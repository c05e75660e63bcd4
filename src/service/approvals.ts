import type { EnvironmentConfig } from '../config/hoist-config.ts';
import { approversOf, tally, voteRight, type ApprovalPolicy, type Ballot } from '../domain/approval.ts';
import type { Deployment } from '../domain/deployment.ts';
import type { Person } from '../domain/person.ts';
import { approvalHistory, awaitingSetKey, castVote, endAwaiting, enterQueue, hasVoted, holdAwaiting, recordApprovalStep, votesOf, type NewApprovalStep } from '../store/approvals.ts';
import { getDeployment } from '../store/deployments.ts';
import type { Actor, ApprovalResult, ApprovalView, RejectResult, Refusal, VoteOutcome, VoteResult } from './contract.ts';
import type { EnvironmentQueueDeps } from './environment-queue.ts';
import { checkChannel, refuse } from './lookup.ts';
import { handOver, unlessDatabaseDown } from './outage.ts';
import { createPermissions } from './permissions.ts';

/** Where a vote or decision came from, as the approval history records it. */
const edgeOf = (actor: Actor): string => actor.origin.kind;

/** A deployment waiting for approval and the policy of its environment, where `actor` may act on it. */
interface Subject {
  deployment: Deployment;
  env: EnvironmentConfig;
  policy: ApprovalPolicy;
}

/**
 * Approvals (SPEC §5): votes and rejections of deployments that wait for approval.
 * Votes on one deployment take turns on its row, so however many arrive at once, each
 * person counts once and the deployment joins its environment's queue once.
 */
export function createApprovals(deps: EnvironmentQueueDeps) {
  const { db, config } = deps;
  const permissions = createPermissions(deps.groupsOf);

  async function view(deployment: Deployment, policy: ApprovalPolicy | null): Promise<ApprovalView> {
    const history = await approvalHistory(db, deployment.id);
    const required = policy !== null && history.length > 0;
    // Most deployments never waited for approval: the notifier asks for every event, so nothing more is read for them.
    const counted = required ? tally(policy.rules, await votesOf(db, deployment.id)) : { rules: [], approved: false };
    const row = required ? await db.selectFrom('deployments').select('approval_expires_at').where('id', '=', deployment.id).executeTakeFirst() : undefined;
    return {
      deploymentId: deployment.id,
      status: deployment.status,
      required,
      rules: counted.rules,
      approved: counted.approved,
      selfApproval: policy?.selfApproval ?? false,
      expiresAt: row?.approval_expires_at ? new Date(row.approval_expires_at) : null,
      history,
    };
  }

  const policyOf = (deployment: Pick<Deployment, 'app' | 'env'>): ApprovalPolicy | null =>
    config.apps.get(deployment.app)?.environments.get(deployment.env)?.approval ?? null;

  /** The deployment `id` and its environment's policy, or why `actor` cannot vote on it. */
  async function subjectOf(id: number, actor: Actor, verb: 'approve' | 'reject'): Promise<Subject | Refusal> {
    const deployment = await getDeployment(db, id);
    if (deployment === null) return refuse('NOT_FOUND', `there is no deployment #${id}`);
    const app = config.apps.get(deployment.app);
    const env = app?.environments.get(deployment.env);
    if (!app || !env) return refuse('NOT_FOUND', `#${id} is of ${deployment.app} in ${deployment.env}, which hoist.yaml no longer has`);
    const channel = checkChannel(app, actor.origin);
    if (channel) return channel;
    if (deployment.status !== 'AWAITING_APPROVAL') {
      const why = deployment.reason ? ` (${deployment.reason})` : '';
      return refuse('DECIDED', `#${id} does not wait for approval: it is ${deployment.status}${why}; there is nothing to ${verb}`);
    }
    if (env.approval === null) return refuse('NOT_ALLOWED', `${app.name} in ${env.name} has no \`approval:\` in hoist.yaml any more; #${id} needs no ${verb === 'approve' ? 'approval' : 'rejection'}`);
    return { deployment, env, policy: env.approval };
  }

  /** The voter's ballot, or why they may not vote (recorded in the history: who tried, and why not). */
  async function ballotOf(subject: Subject, actor: Actor): Promise<Ballot | Refusal> {
    const { deployment, policy } = subject;
    const groups = await permissions.groupsFor(approversOf(policy), actor.requester.id);
    const right = voteRight(policy, { id: actor.requester.id, groups }, deployment);
    if (right.ok) return { voter: actor.requester, groups };
    // Recorded for the set it was about, as a counted vote is: a refusal before a reset is told apart from one after.
    await recordApprovalStep(db, deployment.id, { ...stepAbout(deployment, 'refused', actor), reason: right.reason, setKey: await awaitingSetKey(db, deployment.id) });
    return refuse(right.code, `you may not approve or reject #${deployment.id}: ${right.reason}`);
  }

  const stepAbout = (deployment: Deployment, step: NewApprovalStep['step'], actor: Actor, reason: string | null = null): NewApprovalStep => ({
    step,
    actor: actor.requester,
    edge: edgeOf(actor),
    reason,
    sha: deployment.sha,
    setKey: null,
  });

  async function approve(id: number, actor: Actor): Promise<VoteResult> {
    const subject = await subjectOf(id, actor, 'approve');
    if ('ok' in subject) {
      // A second click after the last vote completed the approval is the same vote, counted once.
      if (subject.code === 'DECIDED' && (await hasVoted(db, id, actor.requester.id))) return voted(id, 'already-counted');
      return subject;
    }
    const ballot = await ballotOf(subject, actor);
    if ('ok' in ballot) return ballot;
    const { policy } = subject;
    const outcome = await db.transaction().execute(async (trx): Promise<VoteOutcome | null> => {
      const held = await holdAwaiting(trx, id);
      if (held === null) return null;
      if (!(await castVote(trx, id, ballot))) return 'already-counted';
      await recordApprovalStep(trx, id, { ...stepAbout(subject.deployment, 'voted', actor), setKey: held.setKey });
      const counted = tally(policy.rules, await votesOf(trx, id));
      if (!counted.approved) return 'counted';
      const approvers = uniquePeople(counted.rules.flatMap((r) => r.voters));
      await recordApprovalStep(trx, id, { ...stepAbout(subject.deployment, 'approved', actor), setKey: held.setKey });
      await enterQueue(trx, id, approvers);
      return 'approved';
    });
    if (outcome === null) {
      if (await hasVoted(db, id, actor.requester.id)) return voted(id, 'already-counted');
      const now = await getDeployment(db, id);
      return refuse('DECIDED', `#${id} does not wait for approval any more: it is ${now?.status ?? 'gone'}; there is nothing to approve`);
    }
    if (outcome !== 'already-counted') deps.notify();
    if (outcome === 'approved') await handOver(deps.kick, subject.deployment.app, subject.deployment.env);
    return voted(id, outcome);
  }

  async function voted(id: number, outcome: VoteOutcome): Promise<VoteResult> {
    const deployment = await getDeployment(db, id);
    if (deployment === null) return refuse('NOT_FOUND', `there is no deployment #${id}`);
    return { ok: true, deployment, outcome, approval: await view(deployment, policyOf(deployment)) };
  }

  async function reject(id: number, actor: Actor, reason: string): Promise<RejectResult> {
    const why = reason.trim();
    if (why === '') return refuse('BAD_REQUEST', `a rejection needs a reason, for the requester and the record: \`reject #${id} <reason>\``);
    const subject = await subjectOf(id, actor, 'reject');
    if ('ok' in subject) return subject;
    const ballot = await ballotOf(subject, actor);
    if ('ok' in ballot) return ballot;
    const ended = await db.transaction().execute(async (trx) => {
      const held = await holdAwaiting(trx, id);
      if (held === null) return false;
      await recordApprovalStep(trx, id, { ...stepAbout(subject.deployment, 'rejected', actor, why), setKey: held.setKey });
      await endAwaiting(trx, id, 'REJECTED', `rejected by @${actor.requester.name}: ${why}`);
      return true;
    });
    const now = await getDeployment(db, id);
    if (now === null) return refuse('NOT_FOUND', `there is no deployment #${id}`);
    if (!ended) return refuse('DECIDED', `#${id} does not wait for approval any more: it is ${now.status}; there is nothing to reject`);
    deps.notify();
    return { ok: true, deployment: now };
  }

  async function approvals(id: number): Promise<ApprovalResult> {
    const deployment = await getDeployment(db, id);
    if (deployment === null) return refuse('NOT_FOUND', `there is no deployment #${id}`);
    return { ok: true, ...(await view(deployment, policyOf(deployment))) };
  }

  return {
    approve: (id: number, actor: Actor) => unlessDatabaseDown('approval', 'your vote was not counted', () => approve(id, actor)),
    reject: (id: number, actor: Actor, reason: string) => unlessDatabaseDown('rejection', 'nothing was rejected', () => reject(id, actor, reason)),
    approvals,
    view,
  };
}

function uniquePeople(people: readonly Person[]): Person[] {
  return [...new Map(people.map((p) => [p.id, p])).values()];
}

export type Approvals = ReturnType<typeof createApprovals>;
