import { describe, expect, it } from 'vitest';
import type { Deployment, DeploymentEvent } from '../../src/domain/deployment.ts';
import type { LogEntry } from '../../src/domain/event-log.ts';
import type { DeploymentStatus } from '../../src/domain/status.ts';
import { judgeAttempt, maskedUrl, retryAfterMs, webhookEventOf, webhookPayload, type AttemptResult } from '../../src/domain/webhook.ts';

const status = (s: DeploymentStatus, service: string | null = null): DeploymentEvent => ({ kind: 'status', deploymentId: 7, status: s, service, reason: null });

describe('which log entries are webhook events', () => {
  const cases: [string, LogEntry, string | null][] = [
    ['the first service building', status('BUILDING', 'web'), 'started'],
    ['a service deploying', status('DEPLOYING', 'web'), 'started'],
    ['a stop beginning', status('STOPPING', 'web'), 'started'],
    ['a restart beginning', status('RESTARTING', 'worker'), 'started'],
    ['the deployment itself going to work', status('DEPLOYING'), 'started'],
    ['a deploy ending well', status('DEPLOYED'), 'succeeded'],
    ['a stop ending well', status('STOPPED'), 'succeeded'],
    ['a restart ending well', status('RESTARTED'), 'succeeded'],
    ['a build failing', status('BUILD_ERROR'), 'failed'],
    ['a rollout failing', status('DEPLOYMENT_ERROR'), 'failed'],
    ['a stop failing', status('STOP_ERROR'), 'failed'],
    ['a restart failing', status('RESTART_ERROR'), 'failed'],
    ['canceled', status('CANCELED'), 'canceled'],
    ['rejected by an approver', status('REJECTED'), 'rejected'],
    ['approval timed out', status('EXPIRED'), 'expired'],
    // Not an end: one service finishing, or one being canceled while others run.
    ['a service deployed', status('DEPLOYED', 'web'), null],
    ['a service failing', status('DEPLOYMENT_ERROR', 'web'), null],
    ['a service canceled', status('CANCELED', 'web'), null],
    ['queued after approval', status('QUEUED'), null],
    ['waiting for approval', status('AWAITING_APPROVAL'), null],
    ['being canceled', status('CANCELING'), null],
    ['requested', { kind: 'requested', deploymentId: 7 }, null],
    ['a failure line', { kind: 'failure', deploymentId: 7, service: 'web', status: 'DEPLOYMENT_ERROR', reason: 'x', logTail: [] }, null],
    ['a queue move', { kind: 'queue', deploymentId: 7 }, null],
  ];
  it.each(cases)('%s', (_name, entry, expected) => {
    expect(webhookEventOf(entry)?.event ?? null).toBe(expected);
  });

  it('carries the status the event stands for', () => {
    expect(webhookEventOf(status('BUILDING', 'web'))).toEqual({ event: 'started', status: 'BUILDING' });
    expect(webhookEventOf(status('STOP_ERROR'))).toEqual({ event: 'failed', status: 'STOP_ERROR' });
  });
});

describe('what follows an attempt', () => {
  const cases: [string, AttemptResult, string][] = [
    ['200', { kind: 'answered', statusCode: 200, retryAfterMs: null }, 'delivered'],
    ['204', { kind: 'answered', statusCode: 204, retryAfterMs: null }, 'delivered'],
    ['connection refused', { kind: 'unreachable', error: 'could not reach the receiver: ECONNREFUSED' }, 'retry'],
    ['500', { kind: 'answered', statusCode: 500, retryAfterMs: null }, 'retry'],
    ['503', { kind: 'answered', statusCode: 503, retryAfterMs: null }, 'retry'],
    ['429', { kind: 'answered', statusCode: 429, retryAfterMs: 30_000 }, 'retry'],
    ['400', { kind: 'answered', statusCode: 400, retryAfterMs: null }, 'failed'],
    ['401', { kind: 'answered', statusCode: 401, retryAfterMs: null }, 'failed'],
    ['404', { kind: 'answered', statusCode: 404, retryAfterMs: null }, 'failed'],
    ['a redirect (not followed)', { kind: 'answered', statusCode: 301, retryAfterMs: null }, 'failed'],
  ];
  it.each(cases)('%s', (_name, result, outcome) => {
    expect(judgeAttempt(result).outcome).toBe(outcome);
  });

  it('says why a refused one is not retried, and caps a Retry-After at an hour', () => {
    expect(judgeAttempt({ kind: 'answered', statusCode: 410, retryAfterMs: null })).toEqual({
      outcome: 'failed',
      why: 'the receiver answered 410: not retried (only network errors, 5xx and 429 are); fix the receiver and redeliver',
    });
    expect(judgeAttempt({ kind: 'answered', statusCode: 429, retryAfterMs: 86_400_000 })).toMatchObject({ outcome: 'retry', retryAfterMs: 3_600_000 });
  });

  it('reads Retry-After as seconds or a date', () => {
    const now = new Date('2026-12-05T10:00:00Z');
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs('Sat, 05 Dec 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs(null, now)).toBeNull();
    expect(retryAfterMs('soon', now)).toBeNull();
  });
});

describe('a webhook URL in answers', () => {
  it.each([
    ['https://user:pa55@hooks.example.com/x?token=abc', 'https://[redacted]@hooks.example.com/x?token=abc'],
    ['https://tok3n@hooks.example.com/x', 'https://[redacted]@hooks.example.com/x'],
    ['http://127.0.0.1:9000/hook', 'http://127.0.0.1:9000/hook'],
  ])('%s', (url, shown) => expect(maskedUrl(url)).toBe(shown));
});

describe('the payload', () => {
  const deployment: Deployment = {
    id: 12,
    app: 'shop',
    env: 'production',
    action: 'deploy',
    status: 'DEPLOYED',
    reason: null,
    ref: 'main',
    sha: 'a'.repeat(40),
    requestedBy: { id: 'U0ALICE', name: 'alice' },
    trigger: 'api',
    chat: { kind: 'api', token: 'ci', channel: 'C0SHOP' },
    requestedAt: new Date('2026-12-05T10:00:00Z'),
    startedAt: new Date('2026-12-05T10:00:01Z'),
    finishedAt: new Date('2026-12-05T10:00:42Z'),
    services: [{ name: 'web', type: 'application', status: 'DEPLOYED', version: 'a'.repeat(40), previousVersion: null, image: 'reg/shop-web:aaaa', reason: null }],
  };

  it('links to the dashboard where the public URL is known, and carries the event’s own status and reason', () => {
    const payload = webhookPayload({ event: 'started', status: 'BUILDING', reason: null, deliveryId: 'd-1', deployment, publicUrl: 'https://hoist.example.com' });
    expect(payload).toEqual({
      event: 'started',
      deliveryId: 'd-1',
      deployment: {
        id: 12,
        app: 'shop',
        env: 'production',
        action: 'deploy',
        status: 'BUILDING',
        reason: null,
        ref: 'main',
        sha: 'a'.repeat(40),
        services: [{ name: 'web', version: 'a'.repeat(40), image: 'reg/shop-web:aaaa' }],
        requestedBy: { id: 'U0ALICE', name: 'alice' },
        trigger: 'api',
        requestedAt: '2026-12-05T10:00:00.000Z',
        startedAt: '2026-12-05T10:00:01.000Z',
        finishedAt: '2026-12-05T10:00:42.000Z',
        url: 'https://hoist.example.com/dashboard/deployments/12',
      },
    });
    // Where the chat came from (a reply handle, a token's name) is not the receiver's business.
    expect(JSON.stringify(payload)).not.toContain('C0SHOP');
    expect(webhookPayload({ event: 'failed', status: 'BUILD_ERROR', reason: 'no Dockerfile', deliveryId: 'd-2', deployment, publicUrl: null }).deployment).toMatchObject({ url: null, status: 'BUILD_ERROR', reason: 'no Dockerfile' });
  });
});
