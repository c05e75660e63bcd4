import { describe, expect, it } from 'vitest';
import type { ActionVerb } from '../../src/domain/command.ts';
import { checkAction, serviceRule, type ServiceNow } from '../../src/domain/rules.ts';
import type { ServiceStatus } from '../../src/domain/status.ts';

const where = { env: 'staging' };
const svc = (status: ServiceStatus, version: string | null = status === 'NEVER_DEPLOYED' ? null : 'abc1234'): ServiceNow => ({
  name: 'api',
  status,
  version,
});

describe('which action is allowed on which service status', () => {
  // verb, status, allowed, what the refusal says (a fragment)
  const table: [ActionVerb, ServiceStatus, boolean, string?][] = [
    ['deploy', 'NEVER_DEPLOYED', true],
    ['deploy', 'STOPPED', true],
    ['deploy', 'DEPLOYMENT_ERROR', true],
    ['deploy', 'CANCELED', true],
    ['redeploy', 'NEVER_DEPLOYED', false, 'api in staging was never deployed; `deploy` it first'],
    ['redeploy', 'DEPLOYED', true],
    ['redeploy', 'STOPPED', true],
    ['redeploy', 'BUILD_ERROR', true],
    ['redeploy', 'RESTARTED', true],
    ['rollback', 'NEVER_DEPLOYED', false, 'nothing to roll back; `deploy` it first'],
    ['rollback', 'DEPLOYED', true],
    ['rollback', 'DEPLOYMENT_ERROR', true],
    ['rollback', 'STOPPED', true],
    ['stop', 'DEPLOYED', true],
    ['stop', 'RESTARTED', true],
    ['stop', 'BUILD_ERROR', true],
    ['stop', 'DEPLOYMENT_ERROR', true],
    ['stop', 'STOP_ERROR', true],
    ['stop', 'RESTART_ERROR', true],
    ['stop', 'STOPPED', false, 'api in staging is already STOPPED; `deploy` or `redeploy` starts it again'],
    ['stop', 'NEVER_DEPLOYED', false, 'api in staging was never deployed, so there is nothing to stop'],
    ['stop', 'CANCELED', false, 'api in staging is CANCELED; only a DEPLOYED service or one in error can be stopped'],
    ['restart', 'DEPLOYED', true],
    ['restart', 'RESTARTED', true],
    ['restart', 'STOPPED', false, 'api in staging is STOPPED; `deploy` it first'],
    ['restart', 'NEVER_DEPLOYED', false, 'api in staging was never deployed; `deploy` it first'],
    ['restart', 'DEPLOYMENT_ERROR', false, 'api in staging is DEPLOYMENT_ERROR; `redeploy` or `deploy` it instead'],
    ['restart', 'STOP_ERROR', false, 'api in staging is STOP_ERROR; `redeploy` or `deploy` it instead'],
    ['restart', 'CANCELED', false, 'api in staging is CANCELED; `deploy` it first'],
  ];
  it.each(table)('%s on %s: allowed %s', (verb, status, ok, reason) => {
    const rule = serviceRule(verb, svc(status), where, 'start');
    expect(rule.ok).toBe(ok);
    if (!rule.ok) expect(rule.reason).toContain(reason);
  });

  it('a service that failed its first deploy has nothing to stop, restart or redeploy', () => {
    for (const verb of ['stop', 'restart', 'redeploy'] as const) {
      const rule = serviceRule(verb, svc('BUILD_ERROR', null), where, 'start');
      expect(rule).toEqual({ ok: false, reason: expect.stringContaining('was never deployed') });
    }
  });

  it.each(['BUILDING', 'DEPLOYING', 'STOPPING', 'RESTARTING'] as const)(
    'a service %s when the action is requested is decided when it starts',
    (status) => {
      expect(serviceRule('restart', svc(status), where, 'request')).toEqual({ ok: true });
      expect(serviceRule('restart', svc(status), where, 'start')).toMatchObject({ ok: false });
      expect(serviceRule('stop', svc(status), where, 'start')).toEqual({ ok: true });
    },
  );
});

describe('an action on its scope', () => {
  const services: ServiceNow[] = [
    { name: 'db', status: 'DEPLOYED', version: 'postgres:16' },
    { name: 'api', status: 'STOPPED', version: 'abc1234' },
    { name: 'web', status: 'NEVER_DEPLOYED', version: null },
  ];
  const input = { app: 'shop', env: 'staging', services, moment: 'request' as const };

  it('refuses `restart` of a whole environment and says what would work', () => {
    const result = checkAction({ ...input, verb: 'restart', chosen: null });
    expect(result).toEqual({
      ok: false,
      reason: '`restart` works on single services, not a whole environment; name one: `restart shop/db in staging` (services: db, api, web)',
    });
  });

  it('skips, for a whole environment, the services an action does not apply to', () => {
    expect(checkAction({ ...input, verb: 'stop', chosen: null })).toEqual({
      ok: true,
      services: ['db'],
      skipped: [
        { name: 'api', reason: 'api in staging is already STOPPED; `deploy` or `redeploy` starts it again' },
        { name: 'web', reason: 'web in staging was never deployed, so there is nothing to stop' },
      ],
    });
    expect(checkAction({ ...input, verb: 'redeploy', chosen: null })).toMatchObject({ ok: true, services: ['db', 'api'] });
    expect(checkAction({ ...input, verb: 'deploy', chosen: null })).toMatchObject({ ok: true, services: ['db', 'api', 'web'] });
  });

  it('refuses named services as soon as one of them does not allow it', () => {
    const chosen = services.filter((s) => s.name !== 'web');
    expect(checkAction({ ...input, services: chosen, verb: 'restart', chosen: ['db', 'api'] })).toEqual({
      ok: false,
      reason: 'api in staging is STOPPED; `deploy` it first',
    });
    expect(checkAction({ ...input, services: [services[0]!], verb: 'restart', chosen: ['db'] })).toEqual({ ok: true, services: ['db'], skipped: [] });
  });

  it('refuses a whole environment only when the action applies to none of it', () => {
    const fresh = [{ name: 'web', status: 'NEVER_DEPLOYED', version: null }] as const;
    expect(checkAction({ ...input, services: fresh, verb: 'redeploy', chosen: null })).toEqual({
      ok: false,
      reason: 'web in staging was never deployed; `deploy` it first',
    });
    const none = checkAction({ ...input, services: services.slice(1), verb: 'stop', chosen: null });
    expect(none).toEqual({ ok: false, reason: expect.stringMatching(/^nothing to stop in shop in staging: api in staging is already STOPPED.*; web in staging was never deployed/) });
  });
});
