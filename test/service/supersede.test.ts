import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asking, bob, command, openServiceFixture, type ServiceFixture } from './service-fixture.ts';

/** `queue: { supersede: true }`: a newer deploy of the same services replaces older ones still waiting. */
describe('service: supersede', () => {
  let f: ServiceFixture;
  beforeAll(async () => {
    f = await openServiceFixture({
      environments: {
        latest: '{ target: engine, queue: { supersede: true } }',
        scopes: '{ target: engine, queue: { supersede: true } }',
        actions: '{ target: engine, queue: { supersede: true } }',
        busy: '{ target: engine, queue: { supersede: true } }',
        keep: '{ target: engine }',
      },
    });
  });
  afterAll(async () => {
    await f?.close();
  });

  const deploy = (env: string, services: string[] | null = ['db']) => f.request(command.deploy(env, { services }), asking(bob));
  const queue = async (env: string) => (await f.view(env)).queue.map((q) => [q.id, q.action, q.position]);

  it('a newer deploy replaces the older one waiting: CANCELED "superseded by #N"', async () => {
    const first = await deploy('latest');
    const second = await deploy('latest');
    const third = await deploy('latest');
    expect(await f.service.getDeployment(first.id)).toMatchObject({ status: 'CANCELED', reason: `superseded by #${second.id}` });
    expect(await f.service.getDeployment(second.id)).toMatchObject({ status: 'CANCELED', reason: `superseded by #${third.id}` });
    expect(await queue('latest')).toEqual([[third.id, 'deploy', 1]]);
  });

  it('a deploy of other services does not replace one waiting', async () => {
    const db = await deploy('scopes', ['db']);
    const web = await deploy('scopes', ['web']);
    const whole = await deploy('scopes', null);
    expect(await queue('scopes')).toEqual([
      [db.id, 'deploy', 1],
      [web.id, 'deploy', 2],
      [whole.id, 'deploy', 3],
    ]);
  });

  it('only deploys replace, and only deploys are replaced', async () => {
    await f.run((await deploy('actions')).id);
    const stop = await f.request(command.stop('actions', ['db']), asking(bob));
    const next = await deploy('actions');
    const restart = await f.request(command.restart('actions', ['db']), asking(bob));
    expect(await queue('actions')).toEqual([
      [stop.id, 'stop', 1],
      [next.id, 'deploy', 2],
      [restart.id, 'restart', 3],
    ]);
  });

  it('a running deploy is not replaced', async () => {
    const running = await deploy('busy');
    await f.start(running.id);
    const newer = await deploy('busy');
    expect(await queue('busy')).toEqual([
      [running.id, 'deploy', null],
      [newer.id, 'deploy', 1],
    ]);
  });

  it('without `supersede`, every deploy waits its turn', async () => {
    const first = await deploy('keep');
    const second = await deploy('keep');
    expect(await queue('keep')).toEqual([
      [first.id, 'deploy', 1],
      [second.id, 'deploy', 2],
    ]);
  });
});
