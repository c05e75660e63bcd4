import { describe, expect, it } from 'vitest';
import type { DeploymentEvent } from '../../src/domain/deployment.ts';
import { LIMITS, TRUNCATED, limitViolations } from '../../src/bot/render/limits.ts';
import { logSnippet, renderApprovalStep, renderFailure, renderFailureText, renderSummary, renderTransition } from '../../src/bot/render/thread-lines.ts';
import { deployment, sectionText, slackMention } from './render-fixtures.ts';

type StatusEvent = Extract<DeploymentEvent, { kind: 'status' }>;
type FailureEvent = Extract<DeploymentEvent, { kind: 'failure' }>;

const status = (over: Partial<StatusEvent>): StatusEvent => ({
  kind: 'status',
  deploymentId: 12,
  status: 'BUILDING',
  service: null,
  reason: null,
  ...over,
});

const failure = (over: Partial<FailureEvent> = {}): FailureEvent => ({
  kind: 'failure',
  deploymentId: 12,
  service: 'api',
  status: 'DEPLOYMENT_ERROR',
  reason: 'CrashLoopBackOff: back-off restarting failed container',
  logTail: ['Starting server', 'Error: connect ECONNREFUSED 10.0.0.5:5432'],
  ...over,
});

describe('renderTransition', () => {
  const finished = deployment({ finishedAt: new Date('2026-03-01T10:00:52Z') });
  it.each([
    [status({ service: 'web', status: 'BUILDING' }), deployment(), 'web → BUILDING'],
    [status({ service: 'web', status: 'DEPLOYMENT_ERROR', reason: 'image pull failed' }), deployment(), 'web → DEPLOYMENT_ERROR — image pull failed'],
    [status({ status: 'DEPLOYING' }), deployment(), '#12 → DEPLOYING'],
    [status({ status: 'AWAITING_APPROVAL' }), deployment(), '#12 → AWAITING_APPROVAL'],
    [status({ status: 'DEPLOYED' }), finished, '#12 DEPLOYED in 42s'],
    [status({ status: 'CANCELED', reason: 'canceled by <@U2>' }), finished, '#12 CANCELED in 42s — canceled by &lt;@U2&gt;'],
    [status({ status: 'DEPLOYED' }), deployment(), '#12 DEPLOYED'],
    [status({ status: 'EXPIRED' }), deployment({ startedAt: null, finishedAt: new Date('2026-03-01T10:30:00Z') }), '#12 EXPIRED in 30m 00s'],
  ])('%#: %j', (event, d, line) => {
    expect(renderTransition(event, d)).toBe(line);
  });

  it('does not escape for the terminal', () => {
    expect(renderTransition(status({ service: 'web', status: 'STOPPED', reason: 'a < b' }), deployment(), 'text')).toBe('web → STOPPED — a < b');
  });

  it('stays short when the reason is long', () => {
    expect(renderTransition(status({ service: 'web', reason: 'r'.repeat(5000) }), deployment()).length).toBeLessThan(400);
  });
});

describe('renderFailure', () => {
  it('mentions the requester, names service, status and reason, and fences the log', () => {
    const msg = renderFailure(failure(), deployment(), slackMention);
    expect(msg.blocks).toEqual([
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: ':x: <@U0ALICE> *api* deployment failed in #12 (Deploy shop to staging): `DEPLOYMENT_ERROR`\nCrashLoopBackOff: back-off restarting failed container',
        },
      },
      { type: 'section', text: { type: 'mrkdwn', text: '```\nStarting server\nError: connect ECONNREFUSED 10.0.0.5:5432\n```' } },
    ]);
    expect(msg.text).toBe('<@U0ALICE> api DEPLOYMENT_ERROR in #12: CrashLoopBackOff: back-off restarting failed container');
  });

  it('redacts secrets and escapes the log', () => {
    const msg = renderFailure(
      failure({ logTail: ['export GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'if (a < b && c) <!channel>'] }),
      deployment(),
      slackMention,
    );
    const log = JSON.stringify(msg.blocks[1]);
    expect(log).not.toContain('ghp_');
    expect(log).toContain('GITHUB_TOKEN=[redacted]');
    expect(log).toContain('if (a &lt; b &amp;&amp; c) &lt;!channel&gt;');
  });

  it('keeps backticks in the log from closing the fence', () => {
    const msg = renderFailure(failure({ logTail: ['```', 'after'] }), deployment(), slackMention);
    const text = sectionText(msg.blocks[1]);
    expect(text.split('```')).toHaveLength(3);
    expect(text).toContain('after');
  });

  it('keeps the newest lines of a 10 000-line log, closes the fence and says what it dropped', () => {
    const logTail = Array.from({ length: 10_000 }, (_, i) => `line ${i} ${'.'.repeat(50)}`);
    const msg = renderFailure(failure({ logTail }), deployment(), slackMention);
    expect(limitViolations(msg)).toEqual([]);
    const text = sectionText(msg.blocks[1]);
    expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(text.startsWith('```\n… (')).toBe(true);
    expect(text.endsWith('line 9999 ' + '.'.repeat(50) + '\n```')).toBe(true);
    expect(text.split('```')).toHaveLength(3);
    const kept = text.split('\n').filter((l) => l.startsWith('line '));
    const dropped = Number(/… \((\d+) earlier lines truncated\)/.exec(text)![1]);
    expect(kept.length + dropped).toBe(10_000);
    expect(kept.length).toBeGreaterThan(40);
  });

  it('cuts a single enormous line instead of dropping everything', () => {
    const text = logSnippet(['first', 'x'.repeat(50_000)]);
    expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(text).toContain('first');
    expect(text).toContain('x…');
  });

  it('says when there is no log', () => {
    const msg = renderFailure(failure({ logTail: [] }), deployment(), slackMention);
    expect(msg.blocks[1]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: 'No log lines were captured.' }] });
  });

  it('truncates a huge reason within the limits', () => {
    const msg = renderFailure(failure({ reason: 'why '.repeat(20_000) }), deployment(), slackMention);
    expect(limitViolations(msg)).toEqual([]);
    expect(sectionText(msg.blocks[0])).toContain(TRUNCATED);
  });
});

describe('renderFailureText', () => {
  it('shows the last lines of the log, redacted, for the terminal', () => {
    const logTail = [...Array.from({ length: 60 }, (_, i) => `l${i}`), 'password=hunter2'];
    const text = renderFailureText(failure({ logTail }), deployment(), () => '@alice').split('\n');
    expect(text[0]).toBe('✗ @alice api DEPLOYMENT_ERROR in #12 (deploy shop to staging): CrashLoopBackOff: back-off restarting failed container');
    expect(text[1]).toBe('  | … (11 earlier lines truncated)');
    expect(text[2]).toBe('  | l11');
    expect(text.at(-1)).toBe('  | password=[redacted]');
  });
});

describe('renderSummary', () => {
  const summary: Extract<DeploymentEvent, { kind: 'summary' }> = {
    kind: 'summary',
    deploymentId: 12,
    headline: 'Canceled: what runs now in staging',
    services: [
      { name: 'db', version: 'postgres:16', note: 'unchanged' },
      { name: 'api', version: 'abcdef1234567890abcdef1234567890abcdef12', note: 'new version' },
      { name: 'web', version: null, note: 'canceled before it <started>' },
    ],
  };

  it('lists which service runs which version, in Slack and in the terminal', () => {
    expect(renderSummary(summary)).toBe(
      [
        'Canceled: what runs now in staging',
        '• *db* runs `postgres:16` — unchanged',
        '• *api* runs `abcdef1` — new version',
        '• *web* runs nothing — canceled before it &lt;started&gt;',
      ].join('\n'),
    );
    expect(renderSummary(summary, 'text')).toBe(
      [
        'Canceled: what runs now in staging',
        '  - db runs postgres:16 — unchanged',
        '  - api runs abcdef1 — new version',
        '  - web runs nothing — canceled before it <started>',
      ].join('\n'),
    );
  });
});

describe('renderApprovalStep', () => {
  it.each([
    ['requested', { id: 'U1', name: 'alice' }, null, '#7 waits for approval (asked by @alice)'],
    ['voted', { id: 'U2', name: 'carol' }, null, '@carol approved'],
    ['reset', null, 'hoist.yaml changed', 'the votes were reset; approval is asked again — hoist.yaml changed'],
    ['bypassed', { id: 'U3', name: 'dan' }, 'incident *88*', '@dan went ahead without approval — incident *88*'],
  ] as const)('%s', (step, actor, reason, line) => {
    const event = { kind: 'approval', deploymentId: 7, step, actor, reason } as const;
    expect(renderApprovalStep(event, 'text')).toBe(line);
  });

  it('escapes for Slack', () => {
    expect(renderApprovalStep({ kind: 'approval', deploymentId: 7, step: 'voted', actor: { id: 'U2', name: 'a<b>' }, reason: null })).toBe('@a&lt;b&gt; approved');
  });
});
