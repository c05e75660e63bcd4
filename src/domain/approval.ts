import type { ActionVerb, Trigger } from './command.ts';
import { isNamedIn, type Person } from './person.ts';

/**
 * Approvals (SPEC §5): who may vote on a deployment that waits for approval, and
 * whether the votes cast so far satisfy the environment's rules.
 */

/** `count` votes from the people `approvers` names (Slack user ids and `@group` handles). */
export interface ApprovalRule {
  approvers: string[];
  count: number;
}

/** An environment's `approval:`; every rule must hold. */
export interface ApprovalPolicy {
  rules: ApprovalRule[];
  /** Whether the requester's own vote counts. */
  selfApproval: boolean;
  /** How long a request waits for a decision before it expires. */
  timeoutMs: number;
  /** How often the approvers are reminded while nobody decided; null: never. */
  remindEveryMs: number | null;
  /** The actions that wait for approval. */
  actions: ActionVerb[];
  /** Who may act without approval, giving a reason. */
  bypass: string[];
}

export const DEFAULT_APPROVAL_ACTIONS: readonly ActionVerb[] = ['deploy', 'redeploy', 'rollback', 'stop', 'destroy'];

/** Whether `action` in an environment with `policy` waits for approval. */
export function needsApproval(policy: ApprovalPolicy | null, action: ActionVerb): policy is ApprovalPolicy {
  return policy !== null && policy.actions.includes(action);
}

/** `2 of @sre, U0BOB` */
export function ruleText(rule: ApprovalRule): string {
  return `${rule.count} of ${rule.approvers.join(', ')}`;
}

/** Who may approve under a policy, for refusals and help: `2 of @sre and 1 of @product`. */
export function whoMayApprove(policy: Pick<ApprovalPolicy, 'rules'>): string {
  return policy.rules.map(ruleText).join(' and ');
}

/** Every user id and group handle a policy's rules name, each once: whose groups are worth looking up. */
export function approversOf(policy: Pick<ApprovalPolicy, 'rules'>): string[] {
  return [...new Set(policy.rules.flatMap((r) => r.approvers))];
}

/**
 * Why `rule` can never be met by the people its approvers are, the members of its groups
 * being known (`membersOf`: a group's member ids; null when the groups cannot be read);
 * null when it can be met, or when that cannot be told.
 */
export function unmeetableRule(rule: ApprovalRule, membersOf: (handle: string) => readonly string[] | null): string | null {
  const people = new Set<string>();
  for (const entry of rule.approvers) {
    const members = entry.startsWith('@') ? membersOf(entry) : [entry];
    if (members === null) return null;
    for (const id of members) people.add(id);
  }
  if (rule.count <= people.size) return null;
  const who = people.size === 1 ? 'person' : 'people';
  return `${rule.count} approvals can never come from ${rule.approvers.join(', ')}: ${people.size} ${who} in all, as Slack's user groups stand now; add people to the groups, name more approvers, or ask for fewer`;
}

/** Someone about to vote: their user id and the `@group` handles they belong to. */
export interface Voter {
  id: string;
  groups: readonly string[];
}

export type VoteRight =
  | { ok: true; rules: number[] }
  | { ok: false; code: 'NOT_APPROVER' | 'OWN_DEPLOYMENT'; reason: string };

/**
 * Whether `voter` may vote on a request, and for which rules (their indices). The
 * requester never may, unless `selfApproval`; an automatic deploy (`webhook`) has no
 * person who asked, so every approver may.
 */
export function voteRight(policy: ApprovalPolicy, voter: Voter, request: { requestedBy: Person; trigger: Trigger }): VoteRight {
  const who = whoMayApprove(policy);
  if (!policy.selfApproval && request.trigger !== 'webhook' && voter.id === request.requestedBy.id) {
    return { ok: false, code: 'OWN_DEPLOYMENT', reason: `you requested it, and someone else must approve it: ${who}` };
  }
  const rules = policy.rules.flatMap((rule, index) => (isNamedIn(rule.approvers, voter.id, voter.groups) ? [index] : []));
  if (rules.length === 0) return { ok: false, code: 'NOT_APPROVER', reason: `only approvers may approve it: ${who}` };
  return { ok: true, rules };
}

/** A vote as it is counted: who, and the groups they belonged to when they voted. */
export interface Ballot {
  voter: Person;
  groups: readonly string[];
}

export interface RuleProgress extends ApprovalRule {
  /** The voters counted toward this rule, in the order they voted. */
  voters: Person[];
  met: boolean;
}

export interface Tally {
  rules: RuleProgress[];
  /** Every rule holds. */
  approved: boolean;
}

/**
 * Fills rule slots with voters (Kuhn's augmenting paths), slots in the order given:
 * a slot once filled stays filled, so the slots listed first are filled whenever they can be.
 * Returns the voter (index) of each slot, or null.
 */
function fillSlots(slots: readonly number[], eligible: readonly (readonly boolean[])[]): (number | null)[] {
  const slotOfVoter: (number | null)[] = eligible.map(() => null);
  const voterOfSlot: (number | null)[] = slots.map(() => null);
  const augment = (slot: number, seen: Set<number>): boolean => {
    for (let voter = 0; voter < eligible.length; voter++) {
      if (!eligible[voter]![slots[slot]!] || seen.has(voter)) continue;
      seen.add(voter);
      const held = slotOfVoter[voter]!;
      if (held === null || augment(held, seen)) {
        slotOfVoter[voter] = slot;
        voterOfSlot[slot] = voter;
        return true;
      }
    }
    return false;
  };
  for (let slot = 0; slot < slots.length; slot++) augment(slot, new Set());
  return voterOfSlot;
}

const slotsOf = (rules: readonly ApprovalRule[], chosen: readonly number[]): number[] =>
  chosen.flatMap((index) => Array.from({ length: rules[index]!.count }, () => index));

const bitsOf = (mask: number, size: number): number[] => Array.from({ length: size }, (_, i) => i).filter((i) => (mask & (1 << i)) !== 0);

/** The largest set of rules the voters can satisfy at once (earlier rules first among equals). */
function mostRulesMet(rules: readonly ApprovalRule[], eligible: readonly (readonly boolean[])[]): number[] {
  const masks = Array.from({ length: 1 << rules.length }, (_, mask) => mask).sort((a, b) => bitsOf(b, rules.length).length - bitsOf(a, rules.length).length || a - b);
  for (const mask of masks) {
    const chosen = bitsOf(mask, rules.length);
    if (fillSlots(slotsOf(rules, chosen), eligible).every((voter) => voter !== null)) return chosen;
  }
  return [];
}

/**
 * Assigns votes to rules so that as many rules as possible are met, one person
 * counting toward one rule only (a maximum matching of voters to rule slots), then
 * fills what it can of the others. Recomputed from all votes on each vote, so a
 * later vote may move an earlier one to another rule.
 */
export function tally(rules: readonly ApprovalRule[], ballots: readonly Ballot[]): Tally {
  const eligible = ballots.map((b) => rules.map((rule) => isNamedIn(rule.approvers, b.voter.id, b.groups)));
  const met = mostRulesMet(rules, eligible);
  const rest = rules.map((_, index) => index).filter((index) => !met.includes(index));
  const slots = slotsOf(rules, [...met, ...rest]);
  const filled = fillSlots(slots, eligible);
  const progress = rules.map((rule, index): RuleProgress => {
    const voters = slots
      .map((ruleIndex, slot) => (ruleIndex === index ? filled[slot] : null))
      .filter((voter): voter is number => voter !== null && voter !== undefined)
      .sort((a, b) => a - b)
      .map((voter) => ballots[voter]!.voter);
    return { approvers: rule.approvers, count: rule.count, voters, met: voters.length >= rule.count };
  });
  return { rules: progress, approved: progress.every((p) => p.met) };
}

/** The steps of an approval, as its history records them and its thread tells them. */
export type ApprovalStep = 'requested' | 'voted' | 'refused' | 'approved' | 'rejected' | 'reset' | 'expired' | 'bypassed' | 'reminded';

/** One step of a deployment's approval: who, when, from which edge, about which SHA and deployment set. */
export interface ApprovalEntry {
  step: ApprovalStep;
  /** null: Hoist itself (an expiry, a reset). */
  actor: Person | null;
  /** Where it came from: `slack`, `shell`, `api` (a token), `webhook` (an automatic deploy), `none` (Hoist). */
  edge: string | null;
  /** Why: a rejection's reason, a refused vote's, a reset's. */
  reason: string | null;
  sha: string | null;
  /** The deployment set it was about, as a key (equal keys: the same versions and configuration). */
  setKey: string | null;
  at: Date;
}

/**
 * The reminder after one due at `due`, sent at `now`: on the same beat, `everyMs` apart, so
 * reminders missed while no sweeper ran are sent once rather than one each. Null when there
 * are no reminders or the request expires first (its expiry is the last word).
 */
export function nextReminderAt(due: Date, everyMs: number | null, now: Date, expiresAt: Date): Date | null {
  if (everyMs === null || everyMs <= 0) return null;
  const beats = Math.max(0, Math.floor((now.getTime() - due.getTime()) / everyMs)) + 1;
  const next = due.getTime() + beats * everyMs;
  return next < expiresAt.getTime() ? new Date(next) : null;
}

/** When approval is asked at `since` (requested, or asked again): when it expires and the first reminder (null: none). */
export function approvalDeadlines(policy: Pick<ApprovalPolicy, 'timeoutMs' | 'remindEveryMs'>, since: Date): { expiresAt: Date; remindAt: Date | null } {
  const expiresAt = new Date(since.getTime() + policy.timeoutMs);
  return { expiresAt, remindAt: nextReminderAt(since, policy.remindEveryMs, since, expiresAt) };
}
