import { describe, expect, it } from 'vitest';
import { needsApproval, tally, unmeetableRule, voteRight, whoMayApprove, type ApprovalPolicy, type Ballot } from '../../src/domain/approval.ts';

const rules = [
  { approvers: ['@sre'], count: 2 },
  { approvers: ['@product'], count: 1 },
];
const policy: ApprovalPolicy = { rules, selfApproval: false, timeoutMs: 86_400_000, remindEveryMs: null, actions: ['deploy', 'rollback'], bypass: [] };

/** Five users: carol is in both groups, erin in neither. */
const groups: Record<string, string[]> = { alice: ['sre'], bob: ['@sre'], carol: ['sre', 'product'], dave: ['product'], erin: [] };
const ballot = (name: string): Ballot => ({ voter: { id: name, name }, groups: groups[name]! });
const names = (progress: { voters: { name: string }[] }) => progress.voters.map((v) => v.name);

describe('who may vote', () => {
  const request = { requestedBy: { id: 'alice', name: 'alice' }, trigger: 'chat' as const };
  it.each([
    ['a member of a named group', 'bob', { ok: true, rules: [0] }],
    ['a member of both groups, for both rules', 'carol', { ok: true, rules: [0, 1] }],
    ['someone no rule names', 'erin', { ok: false, code: 'NOT_APPROVER', reason: 'only approvers may approve it: 2 of @sre and 1 of @product' }],
    ['the requester', 'alice', { ok: false, code: 'OWN_DEPLOYMENT', reason: 'you requested it, and someone else must approve it: 2 of @sre and 1 of @product' }],
  ])('%s', (_name, voter, expected) => {
    expect(voteRight(policy, { id: voter, groups: groups[voter]! }, request)).toEqual(expected);
  });

  it('a user id named directly, whatever their groups', () => {
    const named = { ...policy, rules: [{ approvers: ['U0BOB', '@sre'], count: 1 }] };
    expect(voteRight(named, { id: 'U0BOB', groups: [] }, request)).toEqual({ ok: true, rules: [0] });
  });

  it('the requester with selfApproval, and every approver of an automatic deploy', () => {
    const alice = { id: 'alice', groups: groups.alice! };
    expect(voteRight({ ...policy, selfApproval: true }, alice, request)).toEqual({ ok: true, rules: [0] });
    expect(voteRight(policy, alice, { requestedBy: { id: 'alice', name: 'alice' }, trigger: 'webhook' })).toEqual({ ok: true, rules: [0] });
  });

  it('which actions wait', () => {
    expect(needsApproval(policy, 'deploy')).toBe(true);
    expect(needsApproval(policy, 'restart')).toBe(false);
    expect(needsApproval(null, 'deploy')).toBe(false);
    expect(whoMayApprove(policy)).toBe('2 of @sre and 1 of @product');
  });
});

describe('the tally: votes assigned so that as many rules as possible hold', () => {
  it.each([
    ['nobody yet', [], [[], []], false],
    ['carol alone counts toward one rule only', ['carol'], [[], ['carol']], false],
    ['carol and bob: @sre is met before @product, carol counted once', ['carol', 'bob'], [['carol', 'bob'], []], false],
    ['carol then dave: carol moves to @sre so that dave counts for @product', ['carol', 'dave'], [['carol'], ['dave']], false],
    ['carol, dave, alice: both rules hold', ['carol', 'dave', 'alice'], [['carol', 'alice'], ['dave']], true],
    ['alice, bob, carol: carol is the only @product voter', ['alice', 'bob', 'carol'], [['alice', 'bob'], ['carol']], true],
    ['erin counts toward nothing', ['erin', 'alice', 'dave'], [['alice'], ['dave']], false],
  ])('%s', (_name, voters, expected, approved) => {
    const result = tally(rules, voters.map(ballot));
    expect(result.rules.map(names)).toEqual(expected);
    expect(result.rules.map((r) => r.met)).toEqual([expected[0]!.length >= 2, expected[1]!.length >= 1]);
    expect(result.approved).toBe(approved);
  });

  /** Whether two distinct @sre voters and a third distinct @product voter exist among `voters`. */
  function canApprove(voters: string[]): boolean {
    const inGroup = (v: string, g: string) => groups[v]!.some((h) => h.replace('@', '') === g);
    return voters.some((p) => inGroup(p, 'product') && voters.filter((s) => s !== p && inGroup(s, 'sre')).length >= 2);
  }

  it('in random orders of the five users, approves exactly when both rules can hold, and never counts anyone twice', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 300; round++) {
      const order = Object.keys(groups).sort(() => random() - 0.5);
      const votes: string[] = [];
      for (const voter of order) {
        votes.push(voter);
        const result = tally(rules, votes.map(ballot));
        const counted = result.rules.flatMap(names);
        expect(new Set(counted).size).toBe(counted.length);
        expect(result.rules[0]!.voters.every((v) => groups[v.id]!.some((g) => g.endsWith('sre')))).toBe(true);
        expect(result.rules[1]!.voters.every((v) => groups[v.id]!.some((g) => g.endsWith('product')))).toBe(true);
        expect(result.approved).toBe(canApprove(votes));
        expect(result.rules.map((r) => r.voters.length <= r.count)).toEqual([true, true]);
      }
    }
  });
});

describe('a rule that can never be met, the groups being known', () => {
  const members: Record<string, string[]> = { '@sre': ['U0CAROL', 'U0DAVE'], '@product': ['U0DAVE'], '@empty': [] };
  const known = (handle: string) => members[handle] ?? [];
  it.each([
    ['a group as large as the count', { approvers: ['@sre'], count: 2 }, null],
    ['people in two groups counted once', { approvers: ['@sre', '@product'], count: 3 }, '3 approvals can never come from @sre, @product: 2 people in all'],
    ['a group and a user id it already holds', { approvers: ['@sre', 'U0DAVE'], count: 3 }, '3 approvals can never come from @sre, U0DAVE: 2 people in all'],
    ['a group and another person', { approvers: ['@sre', 'U0ERIN'], count: 3 }, null],
    ['an empty group', { approvers: ['@empty'], count: 1 }, '1 approvals can never come from @empty: 0 people in all'],
    ['a group Slack does not have', { approvers: ['@nobody', 'U0ERIN'], count: 2 }, '2 approvals can never come from @nobody, U0ERIN: 1 person in all'],
  ])('%s', (_name, rule, expected) => {
    const why = unmeetableRule(rule, known);
    if (expected === null) expect(why).toBeNull();
    else expect(why).toContain(expected);
  });

  it('tells nothing when the groups cannot be read', () => {
    expect(unmeetableRule({ approvers: ['@sre'], count: 9 }, () => null)).toBeNull();
  });
});
