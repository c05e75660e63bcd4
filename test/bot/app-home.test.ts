import { describe, expect, it } from 'vitest';
import { HOME_MAX_BLOCKS, renderAppHome } from '../../src/bot/render/app-home.ts';
import type { Block } from '../../src/bot/render/blocks.ts';
import { LIMITS } from '../../src/bot/render/limits.ts';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';
import { createHomeBoards, type HomeApproval, type HomeBoard } from '../../src/service/home-board.ts';
import type { EnvironmentView } from '../../src/service/views.ts';
import { SHA } from './render-fixtures.ts';

const now = new Date('2026-03-01T12:00:00Z');

const view = (over: Partial<EnvironmentView> = {}): EnvironmentView => ({
  app: 'shop',
  env: 'staging',
  target: 'main-cluster',
  production: false,
  autoDeploy: false,
  commitBaseUrl: null,
  status: 'DEPLOYED',
  services: [{ name: 'api', type: 'application', status: 'DEPLOYED', version: SHA, image: null, deploymentId: 10, updatedAt: null, commitUrl: null, running: null }],
  queue: [],
  awaitingApproval: [],
  lock: null,
  eventId: 0,
  ...over,
});

const approval = (id: number): HomeApproval => ({ id, app: 'shop', env: 'production', action: 'deploy', requestedBy: { id: 'U0BOB', name: 'bob' }, requestedAt: now, expiresAt: null });

const board = (over: Partial<HomeBoard> = {}): HomeBoard => ({ userId: 'U0ALICE', environments: [view()], mine: [], approvals: [], eventId: 0, ...over });

const texts = (blocks: Block[]): string =>
  blocks
    .map((b) => {
      if (b.type === 'section' || b.type === 'header') return b.text.text;
      if (b.type === 'context') return b.elements.map((e) => e.text).join(' ');
      return '';
    })
    .join('\n');

const manyEnvironments = Array.from({ length: 150 }, (_, i) => view({ env: `env-${i}` }));

describe('renderAppHome', () => {
  const cases: { name: string; board: HomeBoard; publicUrl: string | null; has: string[]; lacks?: string[] }[] = [
    { name: 'an environment with its status and version', board: board(), publicUrl: null, has: ['*shop* in *staging*', 'Deployed', '`abcdef1`', 'Nothing of yours waits or runs.'] },
    {
      name: 'the user’s own deployments with their place in the queue',
      board: board({ mine: [{ id: 7, app: 'shop', env: 'staging', action: 'deploy', status: 'QUEUED', position: 2 }] }),
      publicUrl: null,
      has: ['*#7* deploy shop in staging', 'Queued', '#2 in the queue'],
      lacks: ['Nothing of yours'],
    },
    { name: 'approvals waiting for the user', board: board({ approvals: [approval(9)] }), publicUrl: null, has: ['Waiting for your approval', '*#9* deploy shop in production, requested by <@U0BOB>'] },
    { name: 'no environments to operate', board: board({ environments: [] }), publicUrl: null, has: ['No environment is yours to operate'] },
    { name: '150 environments without a public URL: the count and the command', board: board({ environments: manyEnvironments }), publicUrl: null, has: ['more environments: type `/hoist status` to see them all'] },
    {
      name: '150 environments with a public URL: the count and the dashboard',
      board: board({ environments: manyEnvironments }),
      publicUrl: 'https://hoist.example.com',
      has: ['more environments: <https://hoist.example.com/dashboard|see them all on the dashboard>'],
    },
    { name: '15 approvals: ten with buttons, the rest counted', board: board({ approvals: Array.from({ length: 15 }, (_, i) => approval(i + 1)) }), publicUrl: null, has: ['…and 5 more waiting for approval'] },
  ];
  it.each(cases)('$name', ({ board: b, publicUrl, has, lacks }) => {
    const home = renderAppHome(b, { now, publicUrl });
    expect(home.type).toBe('home');
    expect(home.blocks.length).toBeLessThanOrEqual(HOME_MAX_BLOCKS);
    const text = texts(home.blocks);
    for (const part of has) expect(text).toContain(part);
    for (const part of lacks ?? []) expect(text).not.toContain(part);
  });

  it('keeps 150 environments, 40 own deployments and 15 approvals within 100 blocks and says how many were left out', () => {
    const mine = Array.from({ length: 40 }, (_, i) => ({ id: 100 + i, app: 'shop', env: `env-${i}`, action: 'deploy', status: 'DEPLOYING', position: null }));
    const home = renderAppHome(board({ environments: manyEnvironments, mine, approvals: Array.from({ length: 15 }, (_, i) => approval(i + 1)) }), { now, publicUrl: 'https://h.example' });
    expect(home.blocks).toHaveLength(HOME_MAX_BLOCKS);
    const sections = home.blocks.filter((b) => b.type === 'section' && b.text.text.includes('in *env-'));
    const note = /…and (\d+) more environments/.exec(texts(home.blocks));
    expect(Number(note?.[1]) + sections.length).toBe(150);
    expect(texts(home.blocks)).toContain('…and 15 more: <https://h.example/dashboard|');
    for (const block of home.blocks) if (block.type === 'section') expect(block.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(home.blocks.at(-1)).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: '<https://h.example/dashboard|The whole board on the dashboard>' }] });
  });

  it('gives each approval the card’s Approve and Reject buttons', () => {
    const home = renderAppHome(board({ approvals: [approval(9)] }), { now, publicUrl: null });
    const actions = home.blocks.find((b) => b.type === 'actions');
    expect(actions).toEqual({
      type: 'actions',
      block_id: 'hoist_card_9',
      elements: [
        { type: 'button', text: { type: 'plain_text', text: 'Approve' }, action_id: 'hoist_card_approve', value: '9', style: 'primary' },
        { type: 'button', text: { type: 'plain_text', text: 'Reject' }, action_id: 'hoist_card_reject', value: '9', style: 'danger' },
      ],
    });
  });
});

const CONFIG = `
targets: { k: { kind: docker, host: unix:///var/run/docker.sock } }
registry: { url: registry.example.com/acme }
apps:
  shop:
    repo: https://github.com/acme/shop.git
    services: { api: { type: container, image: nginx:1 } }
    environments:
      staging: { target: k }
      production:
        target: k
        deployers: [U0ALICE, "@sre"]
        approval: { rules: [{ approvers: ["@sre"], count: 1 }] }
  billing:
    repo: https://github.com/acme/billing.git
    channels: [C0OPS, C0BILLING]
    services: { api: { type: container, image: nginx:1 } }
    environments:
      staging: { target: k }
`;

describe('createHomeBoards', () => {
  const config = parseHoistConfig(CONFIG, 'hoist.yaml');
  const bob = { id: 'U0BOB', name: 'bob' };
  const alice = { id: 'U0ALICE', name: 'alice' };
  const views = [
    view({ queue: [{ id: 3, action: 'deploy', status: 'DEPLOYING', position: null, requestedBy: bob }, { id: 4, action: 'deploy', status: 'QUEUED', position: 1, requestedBy: alice }] }),
    view({ app: 'billing', env: 'staging' }),
    view({ env: 'production', awaitingApproval: [{ id: 5, action: 'deploy', requestedBy: bob, requestedAt: now, expiresAt: null }, { id: 6, action: 'stop', requestedBy: alice, requestedAt: now, expiresAt: null }] }),
  ];
  const groups: Record<string, string[]> = { U0CAROL: ['sre'], U0ALICE: ['sre'] };
  const members: Record<string, string[]> = { C0OPS: ['U0BOB'], C0BILLING: ['U0CAROL'] };
  const memberOf = async (channel: string, user: string) => members[channel]?.includes(user) ?? false;
  const boards = createHomeBoards({ api: { environments: async () => views }, config, groupsOf: async (id) => groups[id] ?? [], memberOf });

  const cases = [
    { user: 'U0ALICE', environments: ['shop/staging', 'shop/production'], mine: [4, 6], approvals: [5] },
    { user: 'U0BOB', environments: ['shop/staging', 'billing/staging'], mine: [3, 5], approvals: [] },
    { user: 'U0CAROL', environments: ['shop/staging', 'billing/staging', 'shop/production'], mine: [], approvals: [5, 6] },
    { user: 'U0DAVE', environments: ['shop/staging'], mine: [], approvals: [] },
  ];
  it.each(cases)('$user sees the environments they may deploy to, their deployments and what they may approve', async ({ user, environments, mine, approvals }) => {
    const home = await boards.of(user);
    if (!('userId' in home)) throw new Error(home.reason);
    expect(home.environments.map((e) => `${e.app}/${e.env}`)).toEqual(environments);
    expect(home.mine.map((d) => d.id)).toEqual(mine);
    expect(home.approvals.map((d) => d.id)).toEqual(approvals);
  });
});

it('asks about an app’s channels once per board, and only until one has the user', async () => {
  const config = parseHoistConfig(CONFIG, 'hoist.yaml');
  const asked: string[] = [];
  const boards = createHomeBoards({
    api: { environments: async () => [view({ app: 'billing' }), view({ app: 'billing', env: 'qa' })] },
    config,
    memberOf: async (channel, user) => {
      asked.push(`${user}@${channel}`);
      return channel === 'C0OPS';
    },
  });
  await boards.of('U0BOB');
  expect(asked).toEqual(['U0BOB@C0OPS']);
});
