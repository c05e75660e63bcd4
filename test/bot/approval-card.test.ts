import { describe, expect, it } from 'vitest';
import { approverMentions, requesterMention } from '../../src/bot/approval-mentions.ts';
import { cardActions } from '../../src/bot/card-actions.ts';
import type { Block } from '../../src/bot/render/blocks.ts';
import { renderCard, renderCardText, type RenderContext } from '../../src/bot/render/deployment-card.ts';
import { limitViolations } from '../../src/bot/render/limits.ts';
import { renderApprovalStep } from '../../src/bot/render/thread-lines.ts';
import type { ApprovalEntry } from '../../src/domain/approval.ts';
import type { DeploymentSet, ServiceSpec } from '../../src/domain/deployment-set.ts';
import type { ApprovalView } from '../../src/service/contract.ts';
import { REPO, SHA, deployment, sectionText, slackMention } from './render-fixtures.ts';

const NOW = new Date('2026-03-01T10:01:00Z');
const carol = { id: 'U0CAROL', name: 'carol' };
const dave = { id: 'U0DAVE', name: 'dave' };
const erin = { id: 'U0ERIN', name: 'erin' };

const entry = (step: ApprovalEntry['step'], actor: ApprovalEntry['actor'], at: string, reason: string | null = null): ApprovalEntry => ({
  step,
  actor,
  edge: 'slack',
  reason,
  sha: SHA,
  setKey: 'k',
  at: new Date(at),
});

function view(overrides: Partial<ApprovalView> = {}): ApprovalView {
  return {
    deploymentId: 12,
    status: 'AWAITING_APPROVAL',
    required: true,
    rules: [
      { approvers: ['@sre'], count: 2, voters: [carol], met: false },
      { approvers: ['@product', 'U0BOB'], count: 1, voters: [], met: false },
    ],
    approved: false,
    selfApproval: false,
    expiresAt: new Date('2026-03-01T14:00:00Z'),
    history: [entry('requested', { id: 'U0ALICE', name: 'alice' }, '2026-03-01T10:00:00Z'), entry('voted', carol, '2026-03-01T10:00:30Z')],
    ...overrides,
  };
}

const spec = (name: string, version: string): ServiceSpec => ({
  name,
  type: 'application',
  version,
  image: null,
  build: { context: '.', dockerfile: 'Dockerfile' },
  port: 8080,
  expose: null,
  env: {},
  command: null,
  replicas: 1,
  health: null,
  schedule: null,
  storage: null,
});
const SET: DeploymentSet = { target: 'engine', namespace: 'shop-production', services: [spec('api', SHA), spec('web', SHA)] };

const awaiting = deployment({ status: 'AWAITING_APPROVAL', env: 'production', startedAt: null, deploymentSet: SET, ref: 'v1.4.2' });
const ctx = (approval: ApprovalView | null): RenderContext => ({ now: NOW, repoUrl: REPO, mention: slackMention, approval });
const buttons = (blocks: Block[]) =>
  blocks.flatMap((b) => (b.type === 'actions' ? b.elements.map((e) => `${e.text.text}:${e.action_id}:${e.value}:${e.style ?? ''}`) : []));

describe('the card of a deployment waiting for approval', () => {
  it('says what is asked and each rule with its progress, and offers Approve, Reject and Cancel', () => {
    const card = renderCard(awaiting, ctx(view()));
    expect(sectionText(card.blocks[1])).toContain(`\`v1.4.2\` → <https://github.com/acme/shop/commit/${SHA}|abcdef1>`);
    expect(sectionText(card.blocks[2])).toBe(
      [
        '*Approval needed*: every rule must hold; not the requester (expires in 3h 59m)',
        '⏳ @sre 1 of 2: ✓ <@U0CAROL>',
        '⏳ @product, <@U0BOB> 0 of 1',
        'Set: engine/shop-production: api (application abcdef1), web (application abcdef1)',
      ].join('\n'),
    );
    expect(buttons(card.blocks)).toEqual(['Approve:hoist_card_approve:12:primary', 'Reject:hoist_card_reject:12:danger', 'Cancel:hoist_card_cancel:12:danger']);
    expect(limitViolations(card)).toEqual([]);
  });

  it('shows the same in the terminal, with the choices the shell numbers', () => {
    const text = renderCardText(awaiting, { ...ctx(view()), mention: (id) => `@${id}` });
    expect(text).toContain('\n  Approval needed: every rule must hold; not the requester (expires in 3h 59m)\n    @sre 1 of 2: ✓ @U0CAROL\n    @product, @U0BOB 0 of 1\n');
    expect(cardActions(awaiting).map((a) => [a.command, a.perUse ?? false, a.needsReason ?? false])).toEqual([
      ['approve #12', true, false],
      ['reject #12', false, true],
      ['cancel #12', false, false],
    ]);
  });

  it('once approved, says who approved and when, and offers what a queued deployment offers', () => {
    const approved = view({
      status: 'QUEUED',
      approved: true,
      expiresAt: null,
      rules: [
        { approvers: ['@sre'], count: 2, voters: [carol, dave], met: true },
        { approvers: ['@product'], count: 1, voters: [erin], met: true },
      ],
      history: [...view().history, entry('approved', erin, '2026-03-01T10:00:50Z')],
    });
    const card = renderCard({ ...awaiting, status: 'QUEUED', reason: 'approved by @carol, @dave, @erin' }, ctx(approved));
    expect(sectionText(card.blocks[2])).toBe('*Approved* by <@U0CAROL>, <@U0DAVE>, <@U0ERIN> at 2026-03-01 10:00 UTC');
    expect(buttons(card.blocks)).toEqual(['Cancel:hoist_card_cancel:12:danger']);
  });

  it('once rejected, says who rejected, when and why, and offers nothing', () => {
    const rejected = view({ status: 'REJECTED', history: [...view().history, entry('rejected', carol, '2026-03-01T10:00:40Z', 'tests are <red>')] });
    const card = renderCard({ ...awaiting, status: 'REJECTED', finishedAt: NOW, reason: 'rejected by @carol: tests are <red>' }, ctx(rejected));
    expect(sectionText(card.blocks[2])).toBe('*Rejected* by <@U0CAROL> at 2026-03-01 10:00 UTC: tests are &lt;red&gt;');
    expect(buttons(card.blocks)).toEqual([]);
  });

  it('stays within Block Kit limits with a long reason and many rules', () => {
    const rules = Array.from({ length: 8 }, (_, i) => ({ approvers: Array.from({ length: 30 }, (_, j) => `@group-with-a-long-handle-${i}-${j}`), count: 3, voters: [carol], met: false }));
    const card = renderCard(awaiting, ctx(view({ rules, history: [...view().history, entry('reset', null, '2026-03-01T10:00:55Z', 'x'.repeat(5_000))] })));
    expect(limitViolations(card)).toEqual([]);
    const reset = renderCard(awaiting, ctx(view({ history: [...view().history, entry('reset', null, '2026-03-01T10:00:55Z', 'hoist.yaml changed: web.replicas 1 → 2')] })));
    expect(sectionText(reset.blocks[2])).toContain('\nVotes reset: hoist.yaml changed: web.replicas 1 → 2\n');
  });

  it('shows nothing of approval for a deployment that never waited for one', () => {
    const card = renderCard(deployment({ status: 'DEPLOYED', finishedAt: NOW }), ctx(view({ required: false, rules: [], history: [] })));
    expect(card.blocks.filter((b) => b.type === 'section')).toHaveLength(2);
  });
});

describe('approval in the thread', () => {
  const chat = {
    mention: slackMention,
    mentionGroup: async (handle: string) => (handle === '@sre' ? '<!subteam^S0SRE>' : handle),
  };

  it('mentions the approvers when approval is asked: people by id, groups with the group mention', async () => {
    const approvers = await approverMentions(chat, view());
    expect(approvers).toBe('<!subteam^S0SRE>, @product, <@U0BOB>');
    const event = { kind: 'approval', deploymentId: 12, step: 'requested', actor: { id: 'U0ALICE', name: 'alice' }, reason: null } as const;
    expect(renderApprovalStep(event, 'mrkdwn', { approvers })).toBe('#12 waits for approval (asked by @alice); approvers: <!subteam^S0SRE>, @product, <@U0BOB>');
    expect(renderApprovalStep({ ...event, step: 'voted', actor: carol }, 'mrkdwn', { approvers })).toBe('@carol approved');
    expect(await approverMentions({ mention: slackMention }, view())).toBe('@sre, @product, <@U0BOB>');
  });

  it('mentions the requester when the deployment is rejected or expires, not for other ends or automatic deploys', () => {
    expect(requesterMention(chat, awaiting, 'REJECTED')).toBe('<@U0ALICE> ');
    expect(requesterMention(chat, awaiting, 'EXPIRED')).toBe('<@U0ALICE> ');
    expect(requesterMention(chat, awaiting, 'QUEUED')).toBe('');
    expect(requesterMention(chat, { ...awaiting, trigger: 'webhook' }, 'EXPIRED')).toBe('');
  });
});
