import { describe, expect, it } from 'vitest';
import type { DeploymentSet, ServiceSpec } from '../../src/domain/deployment-set.ts';
import { serviceUrl } from '../../src/domain/public-url.ts';
import type { DeploymentEvent } from '../../src/domain/deployment.ts';
import type { LogEntry } from '../../src/domain/event-log.ts';
import {
  environmentUrl,
  githubDescription,
  githubEnvironmentName,
  githubPayload,
  githubStatusOf,
  isMirrored,
  payloadNames,
  GITHUB_DESCRIPTION_MAX,
} from '../../src/domain/github-deployment.ts';
import type { DeploymentStatus } from '../../src/domain/status.ts';

const status = (s: DeploymentStatus, service: string | null = null, reason: string | null = null): DeploymentEvent => ({ kind: 'status', deploymentId: 7, status: s, service, reason });
const long = 'x'.repeat(300);

describe('the GitHub deployment status each log entry becomes', () => {
  const cases: [string, LogEntry, string | null, string | null][] = [
    ['requested, queued', { kind: 'requested', deploymentId: 7, status: 'QUEUED' }, 'queued', 'Queued'],
    ['requested before events said their status', { kind: 'requested', deploymentId: 7 }, 'queued', 'Queued'],
    ['requested, waiting for approval', { kind: 'requested', deploymentId: 7, status: 'AWAITING_APPROVAL' }, 'queued', 'Waiting for approval'],
    ['waiting for CI', { kind: 'status', deploymentId: 7, status: 'AWAITING_CHECKS', service: null, reason: 'waiting for CI: lint' }, 'queued', 'Waiting for CI: lint'],
    ['approved, back in the queue', status('QUEUED', null, 'approved by alice'), 'queued', 'Queued'],
    ['a service building', status('BUILDING', 'api'), 'in_progress', 'Building api'],
    ['a service rolling out', status('DEPLOYING', 'api'), 'in_progress', 'Rolling out api'],
    ['deployed', status('DEPLOYED'), 'success', 'Deployed'],
    ['a build failing', status('BUILD_ERROR', null, 'docker build exited 1'), 'failure', 'Build failed: docker build exited 1'],
    ['a rollout failing', status('DEPLOYMENT_ERROR', null, 'api: CrashLoopBackOff'), 'failure', 'Rollout failed: api: CrashLoopBackOff'],
    ['the worker lost (Hoist’s own failure)', status('DEPLOYMENT_ERROR', null, 'worker lost'), 'error', 'Hoist failed: worker lost'],
    ['an internal error', status('DEPLOYMENT_ERROR', null, 'internal error: boom'), 'error', 'Hoist failed: internal error: boom'],
    ['canceled', status('CANCELED', null, 'canceled by alice'), 'inactive', 'Canceled: canceled by alice'],
    ['superseded', status('CANCELED', null, 'superseded by #9'), 'inactive', 'Superseded by #9'],
    ['rejected', status('REJECTED', null, 'not today'), 'inactive', 'Rejected: not today'],
    ['approval expired', status('EXPIRED'), 'inactive', 'Approval expired'],
    ['being canceled: the CANCELED after it says it', status('CANCELING'), null, null],
    ['a service deployed: not the deployment’s end', status('DEPLOYED', 'api'), null, null],
    ['a service failing: the deployment’s line follows', status('BUILD_ERROR', 'api'), null, null],
    ['a service canceled', status('CANCELED', 'api'), null, null],
    ['a changelog', { kind: 'changelog', deploymentId: 7 }, null, null],
    ['a queue move', { kind: 'queue', deploymentId: 7 }, null, null],
  ];
  it.each(cases)('%s', (_name, entry, state, description) => {
    const update = githubStatusOf(entry);
    expect(update?.state ?? null).toBe(state);
    expect(update?.description ?? null).toBe(description);
  });

  it('keeps every description within GitHub’s 140 characters, whatever the reason', () => {
    for (const s of ['BUILD_ERROR', 'DEPLOYMENT_ERROR', 'CANCELED', 'REJECTED', 'EXPIRED', 'DEPLOYED'] as const) {
      const d = githubStatusOf(status(s, null, long))?.description ?? '';
      expect(d.length).toBeLessThanOrEqual(GITHUB_DESCRIPTION_MAX);
      expect(d.endsWith('…')).toBe(true);
    }
    expect(githubStatusOf(status('BUILDING', 'a'.repeat(200)))?.description.length).toBe(GITHUB_DESCRIPTION_MAX);
  });
});

describe('descriptions', () => {
  it.each([
    ['short', 'short'],
    ['lines\nfolded  into one', 'lines folded into one'],
    ['é'.repeat(140), 'é'.repeat(140)],
    ['é'.repeat(141), `${'é'.repeat(139)}…`],
    ['😀'.repeat(150), `${'😀'.repeat(69)}…`],
    [`a${'😀'.repeat(150)}`, `a${'😀'.repeat(69)}…`],
  ])('%j', (text, expected) => {
    expect(githubDescription(text)).toBe(expected);
  });
});

describe('which deployments GitHub hears of', () => {
  const sha = 'a'.repeat(40);
  it.each([
    ['a deploy of a commit', { action: 'deploy', sha }, true],
    ['a redeploy', { action: 'redeploy', sha }, true],
    ['a rollback', { action: 'rollback', sha }, true],
    ['a deploy of images only (no commit)', { action: 'deploy', sha: null }, false],
    ['a stop', { action: 'stop', sha }, false],
    ['a restart', { action: 'restart', sha }, false],
    ['an abbreviated SHA', { action: 'deploy', sha: 'abc1234' }, false],
  ] as const)('%s', (_name, d, expected) => {
    expect(isMirrored(d)).toBe(expected);
  });
});

describe('the GitHub environment of a Hoist environment', () => {
  it.each([
    ['one app in the repository', 'shop', 'staging', 1, 'staging'],
    ['two apps sharing it', 'shop', 'staging', 2, 'shop/staging'],
  ])('%s', (_name, app, env, apps, expected) => {
    expect(githubEnvironmentName(app, env, apps)).toBe(expected);
  });
});

describe('environment_url', () => {
  const spec = (name: string, url?: string) => ({ name, ...(url === undefined ? {} : { url }) }) as ServiceSpec;
  const set = (...services: ServiceSpec[]): DeploymentSet => ({ target: 't', namespace: 'n', services });
  it.each([
    ['the first URL the deployment applied', set(spec('db'), spec('web', 'https://shop.example.com'), spec('admin', 'http://admin.example.com')), ['http://127.0.0.1:8080'], 'https://shop.example.com'],
    ['an applied set without URLs: the configured one', set(spec('db')), [null, 'http://127.0.0.1:8080'], 'http://127.0.0.1:8080'],
    ['no set (a restart): the configured one', null, ['https://shop.example.com'], 'https://shop.example.com'],
    ['nothing exposed', set(spec('web')), [], null],
    ['nothing known (a remote docker engine)', null, [null], null],
  ])('%s', (_name, applied, configured, expected) => {
    expect(environmentUrl(applied, configured)).toBe(expected);
  });
});

describe('public URLs', () => {
  it.each([
    ['docker, local socket, exposed', { kind: 'docker', host: 'unix:///run/podman/podman.sock' }, { expose: 8080 }, 'http://127.0.0.1:8080'],
    ['docker, default engine', { kind: 'docker' }, { expose: 8080 }, 'http://127.0.0.1:8080'],
    ['docker, nothing exposed', { kind: 'docker' }, { expose: null }, null],
    ['docker on a remote engine (published on its loopback)', { kind: 'docker', host: 'tcp://edge:2375' }, { expose: 8080 }, null],
    ['kubernetes, tls', { kind: 'kubernetes' }, { expose: null, ingress: { host: 'shop.example.com', tls: true, className: null, clusterIssuer: 'le' } }, 'https://shop.example.com'],
    ['kubernetes, plain http', { kind: 'kubernetes' }, { expose: null, ingress: { host: 'shop.example.com', tls: false, className: 'nginx', clusterIssuer: null } }, 'http://shop.example.com'],
    ['kubernetes, no ingress', { kind: 'kubernetes' }, { expose: null }, null],
  ])('%s', (_name, target, exposed, expected) => {
    expect(serviceUrl(target, exposed)).toBe(expected);
  });
});

describe('the payload', () => {
  const payload = githubPayload({ id: 12, app: 'shop', env: 'prod', action: 'deploy', requestedBy: { id: 'U1', name: 'alice' }, trigger: 'chat' });
  it('names the Hoist deployment and who asked', () => {
    expect(payload).toEqual({ hoist: { deploymentId: 12, app: 'shop', env: 'prod', action: 'deploy', requestedBy: 'alice', trigger: 'chat' } });
  });
  it.each([
    ['the object', payload, 12, true],
    ['as GitHub may return it, a JSON string', JSON.stringify(payload), 12, true],
    ['another deployment', payload, 13, false],
    ['someone else’s payload', { foo: 1 }, 12, false],
    ['no payload', null, 12, false],
    ['a string that is not JSON', 'deploy', 12, false],
  ])('%s', (_name, value, id, expected) => {
    expect(payloadNames(value, id)).toBe(expected);
  });
});
