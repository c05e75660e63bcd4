import { describe, expect, it } from 'vitest';
import type { EnvironmentView, ServiceView } from '../../src/service/views.ts';
import { LIMITS, limitViolations } from '../../src/bot/render/limits.ts';
import { renderEnvironments, renderEnvironmentsText } from '../../src/bot/render/environments.ts';
import { renderWhere, renderWhereText } from '../../src/bot/render/where.ts';
import { SHA, sectionText } from './render-fixtures.ts';

const now = new Date('2026-03-01T12:00:00Z');

const svc = (over: Partial<ServiceView> = {}): ServiceView => ({
  name: 'api',
  type: 'application',
  status: 'DEPLOYED',
  version: SHA,
  image: null,
  deploymentId: 10,
  updatedAt: new Date('2026-03-01T10:58:00Z'),
  commitUrl: null,
  url: null,
  running: null,
  ...over,
});

const view = (over: Partial<EnvironmentView> = {}): EnvironmentView => ({
  app: 'shop',
  env: 'staging',
  target: 'main-cluster',
  production: false,
  autoDeploy: false,
  commitBaseUrl: null,
  status: 'DEPLOYED',
  services: [svc({ name: 'db', type: 'database', version: 'postgres:16', updatedAt: null }), svc()],
  queue: [],
  awaitingApproval: [],
  lock: null,
  eventId: 0,
  ...over,
});

describe('renderEnvironments', () => {
  it('shows each environment with its status and each service with status and short version', () => {
    const msg = renderEnvironments(
      [view(), view({ env: 'production', status: 'DEPLOYING', services: [svc({ status: 'DEPLOYING' })], queue: [{ id: 13, action: 'deploy', status: 'QUEUED', position: 1, requestedBy: { id: 'U1', name: 'alice' } }] })],
      { now, repoUrlOf: (app) => (app === 'shop' ? 'https://github.com/acme/shop' : null) },
    );
    expect(msg.text).toBe('shop/staging: DEPLOYED\nshop/production: DEPLOYING');
    expect(msg.blocks).toHaveLength(1);
    const text = sectionText(msg.blocks[0]);
    expect(text.split('\n')).toEqual([
      ':white_check_mark: *shop* in *staging* · Deployed · _main-cluster_',
      '      :white_check_mark: db · Deployed · `postgres:16`',
      `      :white_check_mark: api · Deployed · <https://github.com/acme/shop/commit/${SHA}|abcdef1> · 1h 02m ago`,
      '',
      ':rocket: *shop* in *production* · Deploying · _main-cluster_',
      `      :rocket: api · Deploying · <https://github.com/acme/shop/commit/${SHA}|abcdef1> · 1h 02m ago`,
      '      _queue: #13 deploy (QUEUED)_',
    ]);
  });

  it('shows a service’s public URL while it serves, linked by its host, and not once it is stopped', () => {
    const serving = svc({ url: 'https://shop.example.com' });
    const stopped = svc({ name: 'admin', status: 'STOPPED', url: 'http://127.0.0.1:8081' });
    const msg = renderEnvironments([view({ services: [serving, stopped] })], { now });
    const lines = sectionText(msg.blocks[0]).split('\n');
    expect(lines[1]).toBe('      :white_check_mark: api · Deployed · `abcdef1` · <https://shop.example.com|shop.example.com> · 1h 02m ago');
    expect(lines[2]).not.toContain('127.0.0.1');
    const text = renderEnvironmentsText([view({ services: [serving, stopped] })], { now });
    expect(text).toContain('api    DEPLOYED  abcdef1  https://shop.example.com  1h 02m ago');
    expect(text).not.toContain('127.0.0.1');
    // `where` shows it too, beside the version.
    const where = sectionText(renderWhere('shop', [view({ services: [serving, stopped] })], { now, mention: (id) => `<@${id}>` }).blocks[1]);
    expect(where).toContain('api `abcdef1` <https://shop.example.com|shop.example.com>, admin `abcdef1`');
    expect(where).not.toContain('127.0.0.1');
    expect(renderWhereText('shop', [view({ services: [serving, stopped] })], { now, mention: (id) => `@${id}` })).toContain('api abcdef1 https://shop.example.com, admin abcdef1');
  });

  it('shows the running status beside the deployment status, in Slack, the terminal and where', () => {
    const down = { state: 'DOWN' as const, ready: 0, desired: 2, restarts: 14, reason: 'CrashLoopBackOff (pod api-1)', since: now };
    const running = { state: 'RUNNING' as const, ready: 1, desired: 1, restarts: 0, reason: null, since: now };
    const views = [view({ services: [svc({ name: 'db', type: 'database', version: 'postgres:16', updatedAt: null, running }), svc({ running: down })] })];
    const lines = sectionText(renderEnvironments(views, { now }).blocks[0]).split('\n');
    expect(lines[1]).toBe('      :white_check_mark: db · Deployed · RUNNING 1/1 · `postgres:16`');
    expect(lines[2]).toContain('api · Deployed · *DOWN 0/2, 14 restarts* · ');
    const text = renderEnvironmentsText(views, { now });
    expect(text).toContain('api  DEPLOYED · DOWN 0/2, 14 restarts  abcdef1');
    expect(text).toContain('db   DEPLOYED · RUNNING 1/1            postgres:16');
    expect(renderWhereText('shop', views, { now, mention: (id) => `@${id}` })).toContain('db postgres:16 (RUNNING 1/1), api abcdef1 (DOWN 0/2, 14 restarts)');
    expect(sectionText(renderWhere('shop', views, { now, mention: (id) => `<@${id}>` }).blocks[1])).toContain('(DOWN 0/2, 14 restarts)');
  });

  it('says when nothing matches', () => {
    expect(renderEnvironments([], { now })).toEqual({
      text: 'No environments match.',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'No environments match.' } }],
    });
  });

  it('stays within Block Kit limits for many environments and services', () => {
    const views = Array.from({ length: 120 }, (_, i) =>
      view({ app: `app-${i}`, services: Array.from({ length: 30 }, (_, j) => svc({ name: `service-${j}` })) }),
    );
    const msg = renderEnvironments(views, { now });
    expect(limitViolations(msg)).toEqual([]);
    expect(msg.blocks).toHaveLength(LIMITS.blocks);
    const last = msg.blocks.at(-1)!;
    expect(last.type === 'context' && last.elements[0]!.text).toMatch(/more sections not shown: narrow with `status <app> in <environment>`/);
  });

  it('renders a terminal form', () => {
    const text = renderEnvironmentsText([view({ queue: [{ id: 13, action: 'deploy', status: 'QUEUED', position: 1, requestedBy: { id: 'U1', name: 'alice' } }] })], { now });
    expect(text.split('\n')).toEqual([
      '✓ shop/staging  DEPLOYED  (main-cluster)',
      '  ✓ db   DEPLOYED  postgres:16',
      '  ✓ api  DEPLOYED  abcdef1  1h 02m ago',
      '  queue: #13 deploy (QUEUED)',
    ]);
  });
});
