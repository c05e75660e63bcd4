import { DEFAULT_APPROVAL_ACTIONS, type ApprovalPolicy, type ApprovalRule } from '../domain/approval.ts';
import { parseDuration } from '../domain/duration.ts';
import type { ApprovalFileConfig } from './hoist-schema.ts';

type Fail = (path: readonly PropertyKey[], message: string) => never;

/** The tally tries sets of rules against each other; a handful is what teams write, and keeps that cheap. */
const MAX_RULES = 8;

/** A rule that can never be met is refused here, rather than leave a deployment waiting for ever. */
function checkRule(rule: ApprovalRule, path: readonly PropertyKey[], countKey: string, fail: Fail): void {
  if (rule.approvers.length === 0) {
    fail([...path, 'approvers'], 'an empty approver list can never approve; name Slack user ids (U0BOB) or @group handles (@sre)');
  }
  // A group's size is not known here; a list of user ids only can give as many votes as it names people.
  const people = new Set(rule.approvers);
  if (rule.approvers.every((a) => !a.startsWith('@')) && rule.count > people.size) {
    fail([...path, countKey], `${rule.count} approvals can never come from ${people.size} ${people.size === 1 ? 'person' : 'people'} (${[...people].join(', ')}); name more approvers or a @group, or ask for fewer`);
  }
}

const durationMs = (text: string, path: readonly PropertyKey[], fail: Fail): number => parseDuration(text) ?? fail(path, `not a duration: ${text}`);

/** An environment's `approval:` as the policy the service applies; null without one. */
export function approvalPolicy(raw: ApprovalFileConfig | undefined, path: readonly PropertyKey[], fail: Fail): ApprovalPolicy | null {
  if (raw === undefined) return null;
  const at = [...path, 'approval'];
  let rules: ApprovalRule[];
  if (raw.rules !== undefined) {
    if (raw.required !== undefined || raw.approvers !== undefined) {
      fail([...at, 'rules'], 'write either `required` with `approvers` (one rule) or `rules`, not both');
    }
    if (raw.rules.length === 0) fail([...at, 'rules'], 'list at least one rule, such as `- { approvers: ["@sre"], count: 1 }`');
    if (raw.rules.length > MAX_RULES) fail([...at, 'rules'], `at most ${MAX_RULES} rules`);
    rules = raw.rules.map((r) => ({ approvers: r.approvers, count: r.count }));
    rules.forEach((rule, index) => checkRule(rule, [...at, 'rules', index], 'count', fail));
  } else {
    if (raw.required === undefined) fail(at, 'add `required` and `approvers` (one rule), or `rules`');
    rules = [{ approvers: raw.approvers ?? [], count: raw.required }];
    checkRule(rules[0]!, at, 'required', fail);
  }
  if (raw.actions.length === 0) fail([...at, 'actions'], `list the actions that wait for approval (default: ${DEFAULT_APPROVAL_ACTIONS.join(', ')}), or remove \`approval\``);
  return {
    rules,
    selfApproval: raw.selfApproval,
    timeoutMs: durationMs(raw.timeout, [...at, 'timeout'], fail),
    remindEveryMs: raw.remindEvery === undefined ? null : durationMs(raw.remindEvery, [...at, 'remindEvery'], fail),
    actions: [...new Set(raw.actions)],
    bypass: raw.bypass,
  };
}
