import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alice, asking, command, openServiceFixture, type ServiceFixture } from './service-fixture.ts';

/**
 * Which action the service takes at request time, after what ran before (SPEC §3):
 * deployments are run to their end with the no-op target, so the environment's services
 * have a status to judge.
 */
describe('service: the rules at request time', () => {
  let f: ServiceFixture;
  beforeAll(async () => {
    f = await openServiceFixture({
      environments: {
        fresh: '{ target: engine }',
        stopping: '{ target: engine }',
        partial: '{ target: engine }',
        rolling: '{ target: engine }',
        other: '{ target: engine }',
      },
    });
  });
  afterAll(async () => {
    await f?.close();
  });

  const refusal = (cmd: Parameters<ServiceFixture['request']>[0]) => f.service.request(cmd, asking(alice));
  const deployed = async (env: string, services: string[] | null = null) => {
    const d = await f.run((await f.request(command.deploy(env, { services }))).id);
    expect(d.status).toBe('DEPLOYED');
    return d;
  };

  it('refuses a redeploy before a first deploy, saying to deploy first', async () => {
    expect(await refusal(command.redeploy('fresh', ['api']))).toEqual({
      ok: false,
      code: 'NOT_ALLOWED',
      reason: 'api in fresh was never deployed; `deploy` it first',
    });
    expect(await refusal(command.redeploy('fresh'))).toMatchObject({
      code: 'NOT_ALLOWED',
      reason: expect.stringMatching(/^nothing to redeploy in shop in fresh: api in fresh was never deployed; `deploy` it first; db in fresh/),
    });
  });

  it('refuses a rollback and a stop of what never ran', async () => {
    expect(await refusal(command.rollback('fresh', { services: ['web'] }))).toMatchObject({
      code: 'NOT_ALLOWED',
      reason: 'web in fresh was never deployed, so there is nothing to roll back; `deploy` it first',
    });
    expect(await refusal(command.stop('fresh', ['web']))).toMatchObject({ code: 'NOT_ALLOWED', reason: 'web in fresh was never deployed, so there is nothing to stop' });
  });

  it('refuses a restart of a whole environment without I/O, naming a service to restart', () => {
    expect(f.service.validate(command.restart('fresh'), alice.origin)).toEqual({
      ok: false,
      code: 'NOT_ALLOWED',
      reason: '`restart` works on single services, not a whole environment; name one: `restart shop/api in fresh` (services: api, db, web)',
    });
  });

  it('after a deploy has run, a redeploy takes the versions that run now', async () => {
    await deployed('stopping');
    const redeploy = await f.request(command.redeploy('stopping'));
    expect(redeploy.services.map((s) => [s.name, s.version, s.previousVersion])).toEqual([
      ['db', 'postgres:16', 'postgres:16'],
      ['web', 'web:1', 'web:1'],
      ['api', f.firstSha, f.firstSha],
    ]);
    // It applies the images that run: nothing is built again.
    const builds = f.builder.builds.length;
    expect((await f.run(redeploy.id)).status).toBe('DEPLOYED');
    expect(f.builder.builds.length).toBe(builds);
  });

  it('stops in the reverse of the start order; a stopped service refuses stop and restart, with what would work', async () => {
    const stop = await f.request(command.stop('stopping'));
    expect(stop.services.map((s) => s.name)).toEqual(['api', 'web', 'db']);
    expect((await f.run(stop.id)).status).toBe('STOPPED');
    expect(await refusal(command.stop('stopping', ['web']))).toMatchObject({
      code: 'NOT_ALLOWED',
      reason: 'web in stopping is already STOPPED; `deploy` or `redeploy` starts it again',
    });
    expect(await refusal(command.restart('stopping', ['web']))).toMatchObject({ code: 'NOT_ALLOWED', reason: 'web in stopping is STOPPED; `deploy` it first' });
    expect((await f.view('stopping')).services.map((s) => [s.name, s.status])).toEqual([
      ['api', 'STOPPED'],
      ['db', 'STOPPED'],
      ['web', 'STOPPED'],
    ]);
  });

  it('a stop of a whole environment leaves out the services that never ran', async () => {
    await deployed('partial', ['db']);
    const stop = await f.request(command.stop('partial'));
    expect(stop.services.map((s) => s.name)).toEqual(['db']);
    const restart = await f.request(command.restart('partial', ['db']));
    expect(restart.services.map((s) => s.name)).toEqual(['db']);
  });

  it('a rollback goes back to what the previous successful deploy applied', async () => {
    await deployed('rolling');
    const second = f.repo.commit('fix', { 'README': 'shop, fixed\n' });
    expect((await deployed('rolling')).sha).toBe(second);
    const rollback = await f.request(command.rollback('rolling'));
    expect(rollback).toMatchObject({ action: 'rollback', sha: f.firstSha });
    expect(rollback.services.map((s) => [s.name, s.version, s.previousVersion])).toEqual([
      ['db', 'postgres:16', 'postgres:16'],
      ['web', 'web:1', 'web:1'],
      ['api', f.firstSha, second],
    ]);
  });

  it('refuses a rollback to a deployment of another environment, or to one that applied nothing', async () => {
    const elsewhere = await deployed('other', ['db']);
    expect(await refusal(command.rollback('rolling', { to: elsewhere.id }))).toMatchObject({
      code: 'NOT_ALLOWED',
      reason: `#${elsewhere.id} is a deployment of shop in other, not of shop in rolling`,
    });
    const stop = await f.run((await f.request(command.stop('other', ['db']))).id);
    expect(await refusal(command.rollback('other', { to: stop.id }))).toMatchObject({
      code: 'NOT_ALLOWED',
      reason: `#${stop.id} was a stop, which applies no versions; roll back to a deploy, redeploy or rollback`,
    });
    expect(await refusal(command.rollback('other', { to: 9999 }))).toMatchObject({ code: 'NOT_FOUND', reason: 'there is no deployment #9999' });
  });
});
