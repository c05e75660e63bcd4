import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionCommand } from '../../src/service/contract.ts';
import { lastAppliedSpec } from '../../src/store/deployment-sets.ts';
import { alice, asking, bob, command, openServiceFixture, type ServiceFixture } from './service-fixture.ts';

const destroy = (env: string, services: string[] | null, confirm: string | null): ActionCommand => ({
  verb: 'destroy',
  scope: { app: 'shop', services },
  env,
  confirm,
});

/** `destroy`: one service and its data removed for good, confirmed, by a deployer, queued and approved like every action. */
describe('service: destroy', () => {
  let f: ServiceFixture;
  beforeAll(async () => {
    f = await openServiceFixture({
      environments: {
        local: '{ target: engine }',
        guarded: '{ target: engine, deployers: [U0ALICE] }',
        production: '{ target: engine, approval: { required: 1, approvers: [U0BOB] } }',
        edge: '{ target: engine, approval: { required: 1, approvers: [U0BOB], actions: [deploy] } }',
      },
    });
  });
  afterAll(async () => {
    await f?.close();
  });

  /** A deploy of `db` in `env`, run to its end. */
  const deployDb = async (env: string) => {
    const d = await f.run((await f.request(command.deploy(env, { services: ['db'] }), asking(alice))).id);
    expect(d.status).toBe('DEPLOYED');
  };

  it('refuses a missing or different --confirm, saying what to give, and records nothing', async () => {
    await deployDb('local');
    const missing = await f.service.request(destroy('local', ['db'], null), asking(alice));
    expect(missing).toEqual({
      ok: false,
      code: 'CONFIRMATION_NEEDED',
      reason: 'destroying shop/db in local removes it and its data for good; to go ahead, give its full name again: shop/db',
    });
    expect(await f.service.request(destroy('local', ['db'], 'db'), asking(alice))).toEqual({
      ok: false,
      code: 'CONFIRMATION_NEEDED',
      reason: '"db" is not the service to destroy; destroying shop/db in local removes it and its data for good; to go ahead, give its full name again: shop/db',
    });
    expect(await f.service.request(destroy('local', ['db'], 'shop/api'), asking(alice))).toMatchObject({ code: 'CONFIRMATION_NEEDED' });
    // The same check runs before anything is looked up, so a chat can answer before Slack's acknowledgement.
    expect(f.service.validate(destroy('local', ['db'], null), alice.origin)).toMatchObject({ code: 'CONFIRMATION_NEEDED' });
    expect((await f.view('local')).queue).toEqual([]);
    expect(f.target.destroyed).toEqual([]);
  });

  it('takes exactly one named service, never a whole environment or several', async () => {
    expect(await f.service.request(destroy('local', null, 'shop'), asking(alice))).toEqual({
      ok: false,
      code: 'NOT_ALLOWED',
      reason: '`destroy` removes one service and its data at a time; name one: `destroy shop/api in local --confirm shop/api` (services: api, db, web)',
    });
    expect(await f.service.request(destroy('local', ['db', 'web'], 'shop/db'), asking(alice))).toMatchObject({
      code: 'NOT_ALLOWED',
      reason: expect.stringContaining('name one: `destroy shop/db in local --confirm shop/db`'),
    });
  });

  it('refuses what was never deployed: there is nothing to destroy', async () => {
    expect(await f.service.request(destroy('local', ['web'], 'shop/web'), asking(alice))).toEqual({
      ok: false,
      code: 'NOT_ALLOWED',
      reason: 'web in local was never deployed, so there is nothing to destroy',
    });
  });

  it('is for the deployers only', async () => {
    await deployDb('guarded');
    expect(await f.service.request(destroy('guarded', ['db'], 'shop/db'), asking(bob))).toEqual({
      ok: false,
      code: 'FORBIDDEN',
      reason: "only guarded's deployers may destroy shop in guarded: U0ALICE",
    });
    const d = await f.request(destroy('guarded', ['db'], 'shop/db'), asking(alice));
    expect(d).toMatchObject({ action: 'destroy', status: 'QUEUED' });
    expect((await f.run(d.id)).status).toBe('DESTROYED');
  });

  it('destroys: the target removes it, it shows DESTROYED without a version, and only a deploy brings it back afresh', async () => {
    const requested = await f.request(destroy('local', ['db'], 'shop/db'), asking(alice));
    expect(requested.deploymentSet).toMatchObject({ services: [], removed: ['db'] });
    const d = await f.run(requested.id);
    expect(d).toMatchObject({ status: 'DESTROYED', services: [{ name: 'db', status: 'DESTROYED' }] });
    expect(f.target.destroyed).toContain('local/db');
    const view = await f.view('local');
    expect(view.services.find((s) => s.name === 'db')).toMatchObject({ status: 'DESTROYED', version: null });
    // What a later deploy compares with (no changes? what to roll back to on failure?) starts afresh.
    expect(await lastAppliedSpec(f.db, { app: 'shop', env: 'local', service: 'db' })).toBeNull();

    expect(await f.service.request(command.redeploy('local', ['db']), asking(alice))).toEqual({
      ok: false,
      code: 'NOT_ALLOWED',
      reason: 'db in local was destroyed; `deploy` it to start it afresh',
    });
    expect(await f.service.request(destroy('local', ['db'], 'shop/db'), asking(alice))).toMatchObject({
      reason: 'db in local was destroyed already; `deploy` it to start it afresh',
    });
    await deployDb('local');
    expect((await f.view('local')).services.find((s) => s.name === 'db')).toMatchObject({ status: 'DEPLOYED', version: 'postgres:16' });
    expect(await lastAppliedSpec(f.db, { app: 'shop', env: 'local', service: 'db' })).toMatchObject({ spec: { name: 'db', image: 'postgres:16' } });
  });

  it('waits in the queue behind what runs in the environment: one action at a time', async () => {
    const running = await f.request(command.deploy('local', { services: ['db'], ref: null }), asking(alice));
    await f.start(running.id);
    const d = await f.request(destroy('local', ['db'], 'shop/db'), asking(alice));
    expect((await f.view('local')).queue.map((q) => [q.id, q.action, q.position])).toEqual([
      [running.id, 'deploy', null],
      [d.id, 'destroy', 1],
    ]);
    await f.run(running.id);
    expect((await f.run(d.id)).status).toBe('DESTROYED');
  });

  it('waits for approval where the environment’s approval lists destroy, which it does by default', async () => {
    await deployDb('production');
    const waiting = await f.service.request(destroy('production', ['db'], 'shop/db'), asking(alice));
    expect(waiting).toMatchObject({ ok: true, deployment: { action: 'destroy', status: 'AWAITING_APPROVAL' } });
    if (!waiting.ok) return;
    expect(await f.service.approve(waiting.deployment.id, bob)).toMatchObject({ ok: true, outcome: 'approved' });
    // What a worker checks before it starts: the approval holds for what the destroy removes.
    expect(await f.approvalHolds(waiting.deployment.id)).toBe(true);
    expect((await f.run(waiting.deployment.id)).status).toBe('DESTROYED');

    // `actions: [deploy]`: a destroy there goes straight to the queue.
    await deployDb('edge');
    expect(await f.service.request(destroy('edge', ['db'], 'shop/db'), asking(alice))).toMatchObject({ ok: true, deployment: { status: 'QUEUED' } });
  });
});
