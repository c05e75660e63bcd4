import { whoMayApprove, type RuleProgress } from '../../domain/approval.ts';
import type { Deployment } from '../../domain/deployment.ts';
import type { ApprovalView, Refusal, VoteOutcome } from '../../service/contract.ts';
import type { CommandAnswer } from './command-answers.ts';
import { escapeMrkdwn } from './format.ts';

/** `#12 (deploy shop to production)` */
export const deploymentTitle = (d: Pick<Deployment, 'id' | 'action' | 'app' | 'env'>): string =>
  `#${d.id} (${d.action} ${d.app} ${d.action === 'deploy' ? 'to' : 'in'} ${d.env})`;

/** Each rule and how far it got: `@sre 1 of 2: ✓ @carol; @product 0 of 1`. */
export function progressText(rules: readonly RuleProgress[]): string {
  return rules
    .map((r) => `${r.approvers.join(', ')} ${r.voters.length} of ${r.count}${r.voters.length > 0 ? `: ✓ ${r.voters.map((v) => `@${v.name}`).join(', ')}` : ''}`)
    .join('; ');
}

const both = (text: string, icon: string): CommandAnswer => ({ text: `${icon} ${escapeMrkdwn(text)}`, plain: text });

/** What the requester of an action that waits for approval is told: who may approve, and how. */
export function renderAwaitingApproval(deployment: Deployment, approval: ApprovalView, prefix: string): CommandAnswer {
  const how = `${prefix}approve #${deployment.id}`;
  const self = approval.selfApproval ? '' : ' (not you: someone else must approve what you asked for)';
  const text = `${deploymentTitle(deployment)} waits for approval: ${progressText(approval.rules)}. Approvers${self} approve with the card's Approve button or \`${how}\`.`;
  return both(text, ':raised_hand:');
}

/** A vote taken: counted, the last one needed, or one already counted. */
export function renderVoted(result: { deployment: Deployment; outcome: VoteOutcome; approval: ApprovalView }): CommandAnswer {
  const what = deploymentTitle(result.deployment);
  switch (result.outcome) {
    case 'approved':
      return both(`You approved ${what}: every rule holds (${progressText(result.approval.rules)}), and it joins the queue of ${result.deployment.app} in ${result.deployment.env}.`, ':white_check_mark:');
    case 'counted':
      return both(`You approved ${what}; it waits for more: ${progressText(result.approval.rules)}.`, ':ballot_box_with_check:');
    case 'already-counted':
      return both(`You had approved ${what} already; a vote counts once. Now: ${progressText(result.approval.rules)}.`, ':ballot_box_with_check:');
  }
}

/** A rejection: the deployment ended REJECTED and nothing runs. */
export function renderRejected(deployment: Deployment): CommandAnswer {
  const why = deployment.reason ? ` (${deployment.reason})` : '';
  return both(`You rejected ${deploymentTitle(deployment)}${why}; nothing runs, and its requester is told in the thread.`, ':no_entry_sign:');
}

/**
 * In the terminal, whose user is the requester and can be no one else: the vote is not
 * taken, the deployment waits for an approver, and this is how they approve it.
 */
export function renderWaitsForApprover(id: number, rules: readonly RuleProgress[], refusal: Refusal): CommandAnswer {
  const who = rules.length === 0 ? '' : ` (${whoMayApprove({ rules: [...rules] })}; now ${progressText(rules)})`;
  const why = refusal.code === 'OWN_DEPLOYMENT' ? 'you requested it, and someone else must approve it' : 'you are not one of its approvers';
  return both(
    `Your vote is not counted: ${why}. #${id} waits for an approver${who}. An approver approves it from Slack: the card's Approve button, or \`/hoist approve #${id}\`.`,
    ':raised_hand:',
  );
}
