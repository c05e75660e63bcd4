import type { EnvironmentConfig } from '../config/hoist-config.ts';
import { needsApproval, whoMayApprove } from '../domain/approval.ts';
import type { ActionVerb } from '../domain/command.ts';
import { isNamedIn } from '../domain/person.ts';
import type { Refusal } from './contract.ts';
import { list, refuse } from './lookup.ts';
import type { Permissions } from './permissions.ts';

/** What can be told of a bypass without I/O (before Slack is acknowledged): a reason, and an action that waits for approval. */
export function checkBypassRequest(env: EnvironmentConfig, verb: ActionVerb, reason: string): Refusal | null {
  const subject = `${verb} of ${env.app} to ${env.name}`;
  if (reason.trim() === '') return refuse('BAD_REQUEST', `going ahead without approval needs a reason, for the record: \`--bypass-approval "incident 88"\``);
  if (!needsApproval(env.approval, verb)) return refuse('NOT_ALLOWED', `a ${subject} needs no approval; leave out \`--bypass-approval\``);
  return null;
}

/**
 * Whether `userId` may go ahead without approval: only the environment's `approval.bypass`
 * members (user ids and `@group` handles, looked up as deployers' groups are). The refusal
 * says who may, and how to ask for approval instead.
 */
export async function checkBypass(permissions: Permissions, env: EnvironmentConfig, verb: ActionVerb, userId: string): Promise<Refusal | null> {
  const policy = env.approval;
  if (!needsApproval(policy, verb)) return null;
  const ask = `${verb} without \`--bypass-approval\` and ask ${whoMayApprove(policy)} to approve it`;
  if (policy.bypass.length === 0) {
    return refuse('FORBIDDEN', `nobody may ${verb} ${env.app} in ${env.name} without approval (its \`approval.bypass\` names nobody); ${ask}`);
  }
  const groups = await permissions.groupsFor(policy.bypass, userId);
  if (isNamedIn(policy.bypass, userId, groups)) return null;
  return refuse('FORBIDDEN', `only ${list(policy.bypass)} may ${verb} ${env.app} in ${env.name} without approval (its \`approval.bypass\`); ${ask}`);
}
