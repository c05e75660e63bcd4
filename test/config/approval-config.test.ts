import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.ts';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';

const withApproval = (approval: string) => `targets:
  edge: { kind: docker }
apps:
  shop:
    repo: .
    services:
      web: { type: container, image: "example.com/web:1" }
    environments:
      staging: { target: edge }
      production:
        target: edge
        approval:
          ${approval.trim().split('\n').join('\n          ')}
`;

const policyOf = (approval: string) => parseHoistConfig(withApproval(approval), '/etc/hoist.yaml').apps.get('shop')!.environments.get('production')!.approval;

function errorOf(approval: string): string {
  try {
    parseHoistConfig(withApproval(approval), '/etc/hoist.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('approval: in hoist.yaml', () => {
  it('the shorthand is one rule, with the defaults', () => {
    expect(policyOf('required: 1\napprovers: ["@sre", U0BOB]')).toEqual({
      rules: [{ approvers: ['@sre', 'U0BOB'], count: 1 }],
      selfApproval: false,
      timeoutMs: 24 * 3_600_000,
      remindEveryMs: null,
      actions: ['deploy', 'redeploy', 'rollback', 'stop', 'destroy'],
      bypass: [],
    });
  });

  it('destroy is an action that may wait for approval, and is listed on its own', () => {
    expect(policyOf('required: 1\napprovers: [U0BOB]\nactions: [destroy]')?.actions).toEqual(['destroy']);
  });

  it('several rules, and every other key', () => {
    const policy = policyOf(`rules:
  - { approvers: ["@sre"], count: 2 }
  - { approvers: ["@product"], count: 1 }
selfApproval: true
timeout: 4h
remindEvery: 30m
actions: [deploy, rollback]
bypass: ["@sre-leads"]`);
    expect(policy).toEqual({
      rules: [{ approvers: ['@sre'], count: 2 }, { approvers: ['@product'], count: 1 }],
      selfApproval: true,
      timeoutMs: 4 * 3_600_000,
      remindEveryMs: 30 * 60_000,
      actions: ['deploy', 'rollback'],
      bypass: ['@sre-leads'],
    });
  });

  it('an environment without approval: has no policy', () => {
    expect(parseHoistConfig(withApproval('required: 1\napprovers: [U0BOB]'), '/etc/hoist.yaml').apps.get('shop')!.environments.get('staging')!.approval).toBeNull();
  });

  it.each([
    ['both ways at once', 'required: 1\napprovers: [U0BOB]\nrules:\n  - { approvers: ["@sre"], count: 1 }',
      '/etc/hoist.yaml:15: apps.shop.environments.production.approval.rules: write either `required` with `approvers` (one rule) or `rules`, not both'],
    ['neither', 'selfApproval: true', '/etc/hoist.yaml:12: apps.shop.environments.production.approval: add `required` and `approvers` (one rule), or `rules`'],
    ['no approvers', 'required: 1', '/etc/hoist.yaml:12: apps.shop.environments.production.approval.approvers: an empty approver list can never approve'],
    ['an empty approver list in a rule', 'rules:\n  - { approvers: ["@sre"], count: 1 }\n  - { approvers: [], count: 1 }',
      '/etc/hoist.yaml:15: apps.shop.environments.production.approval.rules.1.approvers: an empty approver list can never approve'],
    ['more approvals than named people', 'required: 3\napprovers: [U0BOB, U0CAROL, U0BOB]',
      '/etc/hoist.yaml:13: apps.shop.environments.production.approval.required: 3 approvals can never come from 2 people (U0BOB, U0CAROL); name more approvers or a @group, or ask for fewer'],
    ['a rule asking more of its people than they are', 'rules:\n  - { approvers: [U0BOB], count: 2 }',
      '/etc/hoist.yaml:14: apps.shop.environments.production.approval.rules.0.count: 2 approvals can never come from 1 person (U0BOB)'],
    ['a zero count', 'rules:\n  - { approvers: ["@sre"], count: 0 }', '/etc/hoist.yaml:14: apps.shop.environments.production.approval.rules.0.count: expected a positive integer'],
    ['an unknown action', 'required: 1\napprovers: [U0BOB]\nactions: [deploy, launch]', 'apps.shop.environments.production.approval.actions.1:'],
    ['no actions', 'required: 1\napprovers: [U0BOB]\nactions: []', '/etc/hoist.yaml:15: apps.shop.environments.production.approval.actions: list the actions that wait for approval'],
    ['a bad reminder interval', 'required: 1\napprovers: [U0BOB]\nremindEvery: often', '/etc/hoist.yaml:15: apps.shop.environments.production.approval.remindEvery: expected a duration'],
  ])('refuses %s, naming file, line and path', (_name, approval, expected) => {
    expect(errorOf(approval)).toContain(expected);
  });

  it('a count above a list that names a group is taken: the group may be large enough', () => {
    expect(policyOf('required: 3\napprovers: ["@sre", U0BOB]')?.rules).toEqual([{ approvers: ['@sre', 'U0BOB'], count: 3 }]);
  });
});
