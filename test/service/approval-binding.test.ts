import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentEvent } from '../../src/domain/deployment.ts';
import { alice, asking, bob, carol, command, openServiceFixture, shopConfig, type ServiceFixture } from './service-fixture.ts';

const ENVIRONMENTS = {
  production: '{ target: engine, approval: { required: 1, approvers: [U0BOB], bypass: ["@sre-leads"] } }',
  guarded: '{ target: engine, approval: { required: 1, approvers: [U0BOB] } }',
  latest: '{ target: engine, queue: { supersede: true }, approval: { required: 1, approvers: [U0BOB], bypass: [U0CAROL] } }',
  staging: '{ target: engine }',
};

/** An approval is for what will run (SPEC §5); going ahead without one; supersede and cancel of deployments awaiting approval. */
describe('approvals bound to what will run', () => {
  let f: ServiceFixture;
  beforeAll(async () => {
    f = await openServiceFixture({ environments: ENVIRONMENTS, groups: { U0CAROL: ['sre-leads'] } });
  });
  afterAll(async () => {
    await f?.close();
  });

  /** A worker's check before it starts a deployment, with hoist.yaml as that worker read it. */
  const holds = (id: number, config = f.config) => f.approvalHolds(id, config);
  const history = async (id: number) => {
    const view = await f.service.approvals(id);
    if (!view.ok) throw new Error(view.reason);
    return view.history;
  };
  const approved = async (ref: string | null) => {
    const d = await f.request(command.deploy('production', { services: ['api'], ref }), asking(alice));
    expect(await f.service.approve(d.id, bob)).toMatchObject({ ok: true, outcome: 'approved' });
    return d;
  };

  it('unchanged, it starts; the SHA a branch resolved to stays, whatever the branch gets since', async () => {
    const d = await approved(null);
    f.repo.commit('newer on main', { 'README': 'shop, newer\n' });
    expect(await holds(d.id)).toBe(true);
    expect(await f.service.getDeployment(d.id)).toMatchObject({ status: 'QUEUED', sha: f.firstSha });
    await f.run(d.id);
    expect(f.builder.builds.at(-1)?.sha).toBe(f.firstSha);
  });

  it('hoist.yaml changed between approval and start: the votes are discarded, approval is asked again with the diff, and it runs only after a new approval', async () => {
    const d = await approved(f.versions[0]);
    const changed = shopConfig(f.repo.dir, ENVIRONMENTS, { api: '{ type: application, build: { context: . }, port: 8080, env: { GREETING: hello }, replicas: 2 }' });
    const queueBefore = (await f.view('production')).queue.map((q) => q.id);
    expect(queueBefore).toContain(d.id);

    expect(await holds(d.id, changed)).toBe(false);
    const reset = await f.service.getDeployment(d.id);
    expect(reset?.status).toBe('AWAITING_APPROVAL');
    expect((await f.view('production')).queue.map((q) => q.id)).not.toContain(d.id);
    const steps = await history(d.id);
    expect(steps.map((h) => h.step)).toEqual(['requested', 'voted', 'approved', 'reset']);
    expect(steps.at(-1)).toMatchObject({
      actor: null,
      sha: reset?.sha,
      reason: 'what it would run changed since it was approved: services[api].env.GREETING added; services[api].replicas: 1 → 2',
    });
    expect(steps.at(-1)?.setKey).not.toBe(steps[0]?.setKey);
    const events = (await f.db.selectFrom('deployment_events').select('payload').where('deployment_id', '=', d.id).orderBy('id').execute()).map((r) => r.payload as DeploymentEvent);
    expect(events.filter((e) => e.kind === 'approval').at(-1)).toMatchObject({ step: 'reset', to: ['U0BOB'] });
    const approval = await f.service.approvals(d.id);
    expect(approval).toMatchObject({ ok: true, approved: false, rules: [{ voters: [], met: false }] });
    // The deployment now stands for what it would apply: the set it records is the changed one (its env value, not public, masked).
    expect(await f.service.deploymentManifests(d.id)).toMatchObject({
      set: { services: [{ name: 'api', replicas: 2, env: { GREETING: expect.stringMatching(/^••••[0-9a-f]{8}$/) } }] },
    });

    // Not started: a worker (with the changed hoist.yaml) finds it waiting, and it starts only after a new approval.
    expect(await holds(d.id, changed)).toBe(true);
    expect(await f.service.approve(d.id, bob)).toMatchObject({ ok: true, outcome: 'approved' });
    expect(await holds(d.id, changed)).toBe(true);
    expect(await f.run(d.id)).toMatchObject({ status: 'DEPLOYED', sha: reset?.sha });
    expect(f.target.rollouts.filter((r) => r.deploymentId === d.id).map((r) => r.service)).toEqual(['api']);
  });

  it('a redeploy approved for the versions that ran then, where another version runs by its start: the votes reset, saying which', async () => {
    const bypassed = async (ref: string) => {
      const result = await f.service.request(command.deploy('production', { services: ['api'], ref, bypassApproval: 'hotfix' }), asking(carol));
      if (!result.ok) throw new Error(result.reason);
      return f.run(result.deployment.id);
    };
    const before = await bypassed(f.versions[2]);
    expect(before.status).toBe('DEPLOYED');
    const redeploy = await f.request(command.redeploy('production', ['api']), asking(alice));
    expect(redeploy.status).toBe('AWAITING_APPROVAL');
    // Meanwhile someone goes ahead without approval with another version: the redeploy would now apply that one.
    const after = await bypassed(f.versions[3]);
    expect(after.sha).not.toBe(before.sha);
    expect(await f.service.approve(redeploy.id, bob)).toMatchObject({ ok: true, outcome: 'approved' });

    expect(await holds(redeploy.id)).toBe(false);
    expect(await f.service.getDeployment(redeploy.id)).toMatchObject({ status: 'AWAITING_APPROVAL', startedAt: null });
    const reset = (await history(redeploy.id)).at(-1);
    expect(reset).toMatchObject({ step: 'reset', actor: null });
    expect(reset?.reason).toContain(`services[api].version: "${before.sha}" → "${after.sha}"`);

    // Approved again for what runs now, it starts with that version.
    expect(await f.service.approve(redeploy.id, bob)).toMatchObject({ ok: true, outcome: 'approved' });
    expect(await holds(redeploy.id)).toBe(true);
    expect(await f.run(redeploy.id)).toMatchObject({ status: 'DEPLOYED' });
    expect(f.builder.builds.at(-1)?.sha).toBe(after.sha);
  });

  it('a bypass member deploys without approval, with a reason: recorded, and announced', async () => {
    const result = await f.service.request(command.deploy('production', { services: ['db'], bypassApproval: 'incident 88' }), asking(carol));
    if (!result.ok) throw new Error(result.reason);
    expect(result.deployment.status).toBe('QUEUED');
    expect(result.awaitingApproval).toBeUndefined();
    expect(await history(result.deployment.id)).toMatchObject([{ step: 'bypassed', actor: { id: 'U0CAROL' }, edge: 'slack', reason: 'incident 88', sha: null }]);
    const events = (await f.db.selectFrom('deployment_events').select('payload').where('deployment_id', '=', result.deployment.id).execute()).map((r) => r.payload as DeploymentEvent);
    expect(events).toContainEqual({ kind: 'approval', deploymentId: result.deployment.id, step: 'bypassed', actor: { id: 'U0CAROL', name: 'carol' }, reason: 'incident 88' });
    // Bypassed, it is not bound to a set that was approved: a changed hoist.yaml does not hold it back.
    const changed = shopConfig(f.repo.dir, ENVIRONMENTS, { db: '{ type: database, image: postgres:17 }' });
    expect(await holds(result.deployment.id, changed)).toBe(true);
  });

  it('refuses a bypass to a non-member, saying who may; and where nobody may, or no approval is needed', async () => {
    const bypass = (env: string, who = alice, reason = 'incident 88') => f.service.request(command.deploy(env, { services: ['web'], bypassApproval: reason }), asking(who));
    expect(await bypass('production')).toEqual({
      ok: false,
      code: 'FORBIDDEN',
      reason: 'only @sre-leads may deploy shop in production without approval (its `approval.bypass`); deploy without `--bypass-approval` and ask 1 of U0BOB to approve it',
    });
    expect(await bypass('guarded', carol)).toMatchObject({ ok: false, code: 'FORBIDDEN', reason: expect.stringContaining('nobody may deploy shop in guarded without approval') });
    expect(await bypass('staging', carol)).toEqual({ ok: false, code: 'NOT_ALLOWED', reason: 'a deploy of shop to staging needs no approval; leave out `--bypass-approval`' });
    expect(await bypass('production', carol, '  ')).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect((await f.view('production')).queue.filter((q) => q.requestedBy.id === 'U0ALICE' && q.action === 'deploy')).toEqual([]);
  });

  it('with supersede, a newer deploy replaces an older one awaiting approval; both threads say so', async () => {
    const older = await f.request(command.deploy('latest', { services: ['api'], ref: f.versions[1] }), asking(alice));
    const newer = await f.request(command.deploy('latest', { services: ['api'], ref: f.versions[2] }), asking(alice));
    expect(newer.status).toBe('AWAITING_APPROVAL');
    expect(await f.service.getDeployment(older.id)).toMatchObject({ status: 'CANCELED', reason: `superseded by #${newer.id}` });
    const newerEvents = (await f.db.selectFrom('deployment_events').select('payload').where('deployment_id', '=', newer.id).execute()).map((r) => r.payload as DeploymentEvent);
    expect(newerEvents).toContainEqual({ kind: 'supersedes', deploymentId: newer.id, superseded: older.id });

    // An approved one is not replaced by one still waiting for approval; one going ahead without approval replaces what waits.
    expect(await f.service.approve(newer.id, bob)).toMatchObject({ outcome: 'approved' });
    const third = await f.request(command.deploy('latest', { services: ['api'], ref: f.versions[3] }), asking(alice));
    expect((await f.service.getDeployment(newer.id))?.status).toBe('QUEUED');
    const bypassed = await f.service.request(command.deploy('latest', { services: ['api'], ref: null, bypassApproval: 'hotfix' }), asking(carol));
    if (!bypassed.ok) throw new Error(bypassed.reason);
    expect(await f.service.getDeployment(third.id)).toMatchObject({ status: 'CANCELED', reason: `superseded by #${bypassed.deployment.id}` });
    expect(await f.service.getDeployment(newer.id)).toMatchObject({ status: 'CANCELED', reason: `superseded by #${bypassed.deployment.id}` });
  });

  it('`cancel <app> in <env>` reaches one awaiting approval when nothing runs or waits in the queue', async () => {
    const d = await f.request(command.deploy('guarded', { services: ['web'] }), asking(alice));
    const canceled = await f.service.cancel({ kind: 'environment', app: 'shop', env: 'guarded' }, alice);
    expect(canceled).toMatchObject({ ok: true, outcome: 'removed', deployment: { id: d.id, status: 'CANCELED', reason: 'canceled by @alice' } });
    expect(await f.service.cancel({ kind: 'environment', app: 'shop', env: 'guarded' }, alice)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });
});
