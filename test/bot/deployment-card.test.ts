import { describe, expect, it } from 'vitest';
import { renderCard, renderCardText, type RenderContext } from '../../src/bot/render/deployment-card.ts';
import type { Block } from '../../src/bot/render/blocks.ts';
import { cardActions } from '../../src/bot/card-actions.ts';
import type { Deployment } from '../../src/domain/deployment.ts';
import { LIMITS, limitViolations } from '../../src/bot/render/limits.ts';
import { PREVIOUS_SHA, REPO, SHA, deployment, service, slackMention } from './render-fixtures.ts';

const ctx: RenderContext = { now: new Date('2026-03-01T10:01:14Z'), repoUrl: REPO, mention: slackMention };

function allText(blocks: Block[]): string {
  return blocks
    .map((b) => {
      switch (b.type) {
        case 'header':
        case 'section':
          return b.text.text;
        case 'context':
          return b.elements.map((e) => e.text).join('\n');
        case 'divider':
          return '';
      }
    })
    .join('\n');
}

describe('renderCard', () => {
  it('shows the public URL the deployment set records beside a DEPLOYED service, linked by its host', () => {
    const spec = (name: string, url?: string) => ({ name, type: 'application', version: SHA, image: null, build: null, port: 8080, expose: null, env: {}, command: null, replicas: 1, health: null, schedule: null, storage: null, ...(url ? { url } : {}) }) as const;
    const d = deployment({
      status: 'DEPLOYING',
      services: [service({ name: 'web' }), service({ name: 'admin', status: 'DEPLOYING' }), service({ name: 'worker' })],
      deploymentSet: { target: 'cluster', namespace: 'shop', services: [spec('web', 'https://shop.example.com'), spec('admin', 'https://admin.example.com'), spec('worker')] },
    });
    const text = allText(renderCard(d, ctx).blocks);
    expect(text).toContain(`*web* · Deployed · <https://github.com/acme/shop/commit/${SHA}|abcdef1> · <https://shop.example.com|shop.example.com>`);
    // Not yet serving: no URL until it is DEPLOYED.
    expect(text).not.toContain('admin.example.com');
    expect(renderCardText(d, ctx)).toMatch(/web +DEPLOYED +abcdef1 +https:\/\/shop\.example\.com/);
  });

  it('shows action, app, environment and number in the header', () => {
    const card = renderCard(deployment({ action: 'rollback', env: 'production', id: 1042 }), ctx);
    expect(card.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Rollback shop in production · #1042', emoji: true } });
    expect(card.text).toBe('Rollback shop in production · #1042: DEPLOYING');
  });

  it('shows the overall status with its emoji, the ref and the resolved SHA linked', () => {
    const card = renderCard(deployment({ status: 'DEPLOYING', ref: 'v1.4.2' }), ctx);
    expect(card.blocks[1]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: `:rocket: *Deploying* \`DEPLOYING\` · \`v1.4.2\` → <https://github.com/acme/shop/commit/${SHA}|abcdef1>` },
    });
  });

  it('shows each service with status, version and what it replaces', () => {
    const card = renderCard(
      deployment({
        services: [
          service({ name: 'db', type: 'database', status: 'DEPLOYED', version: 'postgres:16', previousVersion: 'postgres:16' }),
          service({ name: 'api', status: 'BUILDING', version: SHA, previousVersion: PREVIOUS_SHA }),
          service({ name: 'web', status: 'CANCELED', version: SHA, reason: 'earlier step failed' }),
        ],
      }),
      ctx,
    );
    const lines = (card.blocks[2] as Extract<Block, { type: 'section' }>).text.text.split('\n');
    expect(lines).toEqual([
      ':white_check_mark: *db* · Deployed · `postgres:16`',
      `:hammer_and_wrench: *api* · Building · <https://github.com/acme/shop/commit/${PREVIOUS_SHA}|1234567> → <https://github.com/acme/shop/commit/${SHA}|abcdef1>`,
      `:no_entry_sign: *web* · Canceled · <https://github.com/acme/shop/commit/${SHA}|abcdef1> — _earlier step failed_`,
    ]);
  });

  it('shows short SHAs without links when the repository is not https', () => {
    const card = renderCard(deployment(), { ...ctx, repoUrl: 'git@github.com:acme/shop.git' });
    expect(allText(card.blocks)).toContain('*api* · Deployed · `abcdef1`');
    expect(allText(card.blocks)).not.toContain('/commit/');
  });

  it('shows requester and elapsed time', () => {
    const card = renderCard(deployment(), ctx);
    expect(card.blocks.at(-2)).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Requested by <@U0ALICE> · running for 1m 04s' }] });
    const done = renderCard(deployment({ status: 'DEPLOYED', finishedAt: new Date('2026-03-01T10:00:52Z') }), ctx);
    expect(allText(done.blocks)).toContain('took 42s');
    const auto = renderCard(deployment({ trigger: 'webhook' }), ctx);
    expect(allText(auto.blocks)).toContain('Requested by <@U0ALICE> · automatic deploy · running for 1m 04s');
  });

  it('shows the queue position only while queued', () => {
    const queued = deployment({ status: 'QUEUED', startedAt: null });
    expect((renderCard(queued, { ...ctx, queuePosition: 2 }).blocks[1] as Extract<Block, { type: 'section' }>).text.text).toBe(
      `:hourglass_flowing_sand: *Queued* \`QUEUED\` · position 2 in the queue · <https://github.com/acme/shop/commit/${SHA}|abcdef1>`,
    );
    expect(allText(renderCard(queued, ctx).blocks)).toContain('waiting for 1m 14s');
    expect(allText(renderCard(deployment(), { ...ctx, queuePosition: 2 }).blocks)).not.toContain('queue');
  });

  it('shows the reason, escaped', () => {
    const card = renderCard(deployment({ status: 'CANCELED', reason: 'canceled by <@U2> & co' }), ctx);
    expect(allText(card.blocks)).toContain('*Reason:* canceled by &lt;@U2&gt; &amp; co');
  });

  it('offers the buttons the state allows: Cancel while waiting or running, Redeploy and Rollback after a deploy, Logs once started', () => {
    const buttonsOf = (d: Deployment) =>
      renderCard(d, ctx)
        .blocks.filter((b): b is Extract<Block, { type: 'actions' }> => b.type === 'actions')
        .flatMap((b) => b.elements.map((e) => `${e.text.text}:${e.action_id}:${e.value}`));
    expect(buttonsOf(deployment({ status: 'QUEUED', startedAt: null }))).toEqual(['Cancel:hoist_card_cancel:12']);
    expect(buttonsOf(deployment({ status: 'BUILDING' }))).toEqual(['Cancel:hoist_card_cancel:12', 'Logs:hoist_card_logs:12']);
    expect(buttonsOf(deployment({ status: 'CANCELING' }))).toEqual(['Logs:hoist_card_logs:12']);
    expect(buttonsOf(deployment({ status: 'DEPLOYED', finishedAt: new Date() }))).toEqual([
      'Redeploy:hoist_card_redeploy:12',
      'Rollback:hoist_card_rollback:12',
      'Logs:hoist_card_logs:12',
    ]);
    expect(buttonsOf(deployment({ status: 'BUILD_ERROR', finishedAt: new Date() }))).toEqual(['Redeploy:hoist_card_redeploy:12', 'Logs:hoist_card_logs:12']);
    expect(buttonsOf(deployment({ action: 'stop', status: 'STOPPED', finishedAt: new Date() }))).toEqual(['Logs:hoist_card_logs:12']);
    // Canceled before it started: there is no log to show.
    expect(buttonsOf(deployment({ status: 'CANCELED', startedAt: null, finishedAt: new Date() }))).toEqual(['Redeploy:hoist_card_redeploy:12']);
    const card = renderCard(deployment({ status: 'DEPLOYED', finishedAt: new Date() }), ctx);
    expect(card.blocks.at(-1)).toMatchObject({ type: 'actions', block_id: 'hoist_card_12' });
    expect(limitViolations(card)).toEqual([]);
  });

  it('says which command each button stands for, with the deployment\'s scope', () => {
    const scoped = deployment({ status: 'DEPLOYMENT_ERROR', finishedAt: new Date(), scope: ['api', 'web'] });
    expect(cardActions(scoped).map((a) => a.command)).toEqual(['redeploy shop/api,web in staging', 'rollback shop/api,web in staging', 'logs #12']);
    expect(cardActions(deployment({ status: 'QUEUED', startedAt: null })).map((a) => a.command)).toEqual(['cancel #12']);
    expect(cardActions(deployment({ status: 'DEPLOYED', scope: null })).map((a) => a.command)[0]).toBe('redeploy shop in staging');
  });

  it('styles Logs as a plain button and carries it out each time: it only reads', () => {
    const logs = cardActions(deployment({ status: 'DEPLOYED', finishedAt: new Date() })).at(-1);
    expect(logs).toEqual({ kind: 'logs', label: 'Logs', command: 'logs #12', style: null, once: false });
    expect(cardActions(deployment({ status: 'BUILDING' })).map((a) => [a.kind, a.once])).toEqual([
      ['cancel', true],
      ['logs', false],
    ]);
  });

  it('keeps a card with 80 services within Block Kit limits and shows them all', () => {
    const services = Array.from({ length: 80 }, (_, i) =>
      service({ name: `service-with-a-rather-long-name-${i}`, version: SHA, previousVersion: PREVIOUS_SHA, reason: 'x'.repeat(40) }),
    );
    const card = renderCard(deployment({ services, reason: 'r'.repeat(5000) }), ctx);
    expect(card.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
    for (const block of card.blocks) {
      if (block.type === 'section') expect(block.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    }
    expect(limitViolations(card)).toEqual([]);
    const text = allText(card.blocks);
    for (let i = 0; i < 80; i++) expect(text).toContain(`*service-with-a-rather-long-name-${i}*`);
  });

  it('says how many sections it left out when even packed services exceed 50 blocks', () => {
    const services = Array.from({ length: 2000 }, (_, i) => service({ name: `s${i}`, reason: 'y'.repeat(100) }));
    const card = renderCard(deployment({ services }), ctx);
    expect(card.blocks).toHaveLength(LIMITS.blocks);
    expect(limitViolations(card)).toEqual([]);
    expect(allText(card.blocks.slice(-3))).toMatch(/… \d+ more sections of services not shown/);
    expect(card.blocks.at(-2)).toMatchObject({ type: 'context' });
    expect(allText(card.blocks.slice(-2))).toContain('Requested by <@U0ALICE>');
    expect(card.blocks.at(-1)).toMatchObject({ type: 'actions' });
  });

  it('never breaks a header over 150 characters', () => {
    const card = renderCard(deployment({ app: `a${'b'.repeat(200)}` }), ctx);
    const head = card.blocks[0] as Extract<Block, { type: 'header' }>;
    expect(head.text.text.length).toBeLessThanOrEqual(LIMITS.headerText);
    expect(head.text.text.endsWith('…')).toBe(true);
  });
});

describe('renderCardText', () => {
  it('renders the card for a terminal', () => {
    const d = deployment({
      ref: 'v1.4.2',
      services: [
        service({ name: 'db', type: 'database', version: 'postgres:16' }),
        service({ name: 'api', status: 'DEPLOYING', previousVersion: PREVIOUS_SHA }),
        service({ name: 'worker', status: 'BUILD_ERROR', reason: 'npm ci failed' }),
      ],
    });
    expect(renderCardText(d, { ...ctx, mention: () => '@alice' })).toBe(
      [
        '#12 deploy shop to staging — … DEPLOYING',
        '  ref v1.4.2 → abcdef1',
        '  ✓ db      DEPLOYED     postgres:16',
        '  … api     DEPLOYING    1234567 → abcdef1',
        '  ✗ worker  BUILD_ERROR  abcdef1  (npm ci failed)',
        '  requested by @alice · running for 1m 04s',
      ].join('\n'),
    );
  });

  it('shows queue position and reason', () => {
    const text = renderCardText(deployment({ status: 'QUEUED', startedAt: null, reason: 'waiting for #11', services: [] }), {
      ...ctx,
      queuePosition: 1,
      mention: () => '@alice',
    });
    expect(text.split('\n')).toEqual([
      '#12 deploy shop to staging — … QUEUED (position 1 in the queue)',
      '  ref abcdef1',
      '  reason: waiting for #11',
      '  requested by @alice · waiting for 1m 14s',
    ]);
  });
});
