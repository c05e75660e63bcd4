import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alice, APP, asking, bob, carol, command, openServiceFixture, person, type ServiceFixture } from './service-fixture.ts';

/** `cancel #N` and `cancel <app> in <env>` (SPEC §4): what is removed, what is told to stop, what is refused. */
describe('service: cancel', () => {
  let f: ServiceFixture;
  beforeAll(async () => {
    f = await openServiceFixture({
      environments: {
        waiting: '{ target: engine }',
        newest: '{ target: engine }',
        running: '{ target: engine }',
        unstoppable: '{ target: engine }',
        empty: '{ target: engine }',
        done: '{ target: engine }',
        guarded: '{ target: engine, deployers: [U0ALICE] }',
      },
    });
  });
  afterAll(async () => {
    await f?.close();
  });

  const deploy = (env: string, who = bob) => f.request(command.deploy(env, { services: ['db'] }), asking(who));
  const positions = async (env: string) => (await f.view(env)).queue.map((q) => [q.id, q.position]);

  it('removes a waiting deployment: CANCELED with who canceled it, the ones behind move up, the environment is kicked', async () => {
    const first = await deploy('waiting');
    const second = await deploy('waiting');
    const third = await deploy('waiting');
    const kicks = f.kicks.length;
    const result = await f.service.cancel({ kind: 'deployment', id: second.id }, bob);
    expect(result).toMatchObject({
      ok: true,
      outcome: 'removed',
      deployment: { id: second.id, status: 'CANCELED', reason: 'canceled by @bob', services: [{ name: 'db', status: 'CANCELED', reason: 'canceled by @bob' }] },
    });
    expect(await positions('waiting')).toEqual([
      [first.id, 1],
      [third.id, 2],
    ]);
    expect(f.kicks.slice(kicks)).toEqual([`${APP}/waiting`]);
  });

  it('`<app> in <env>` with nothing running cancels the newest waiting one', async () => {
    const older = await deploy('newest');
    const newer = await deploy('newest');
    const result = await f.service.cancel({ kind: 'environment', app: APP, env: 'newest' }, bob);
    expect(result).toMatchObject({ ok: true, outcome: 'removed', deployment: { id: newer.id } });
    expect(await positions('newest')).toEqual([[older.id, 1]]);
  });

  it('`<app> in <env>` tells the running deployment to stop: CANCELING, and its worker is signalled', async () => {
    const running = await deploy('running');
    const waiting = await deploy('running');
    await f.start(running.id);
    const result = await f.service.cancel({ kind: 'environment', app: APP, env: 'running' }, bob);
    expect(result).toMatchObject({ ok: true, outcome: 'canceling', deployment: { id: running.id, status: 'CANCELING' } });
    expect(f.signals).toEqual([running.id]);
    expect((await f.service.getDeployment(waiting.id))?.status).toBe('QUEUED');
  });

  it('refuses to stop a running deployment where no worker can be told to, and leaves it running', async () => {
    const running = await deploy('unstoppable');
    await f.start(running.id);
    expect(await f.serviceWithoutCancelSignal.cancel({ kind: 'deployment', id: running.id }, bob)).toEqual({
      ok: false,
      code: 'NOT_SUPPORTED',
      reason: `#${running.id} is running; stopping a running deployment is not available in this version of Hoist yet`,
    });
    expect((await f.service.getDeployment(running.id))?.status).toBe('QUEUED');
  });

  it('refuses when nothing runs or waits, and for an unknown environment, app or deployment', async () => {
    expect(await f.service.cancel({ kind: 'environment', app: APP, env: 'empty' }, bob)).toEqual({
      ok: false,
      code: 'NOT_FOUND',
      reason: 'nothing runs or waits in shop in empty; there is nothing to cancel',
    });
    expect(await f.service.cancel({ kind: 'environment', app: APP, env: 'prod' }, bob)).toMatchObject({
      code: 'UNKNOWN_ENVIRONMENT',
      reason: expect.stringMatching(/^app shop has no environment "prod"; its environments: waiting, newest, /),
    });
    expect(await f.service.cancel({ kind: 'environment', app: 'shoe', env: 'empty' }, bob)).toMatchObject({ code: 'UNKNOWN_APP' });
    expect(await f.service.cancel({ kind: 'deployment', id: 9999 }, bob)).toEqual({ ok: false, code: 'NOT_FOUND', reason: 'there is no deployment #9999' });
  });

  it('refuses a deployment that already ended, naming how it ended', async () => {
    const ended = await f.run((await deploy('done')).id);
    expect(ended.status).toBe('DEPLOYED');
    expect(await f.service.cancel({ kind: 'deployment', id: ended.id }, bob)).toEqual({
      ok: false,
      code: 'NOT_ALLOWED',
      reason: `#${ended.id} already ended DEPLOYED; there is nothing to cancel`,
    });
  });

  it('lets whoever asked or a deployer cancel, and refuses anyone else', async () => {
    const byAlice = await deploy('guarded', alice);
    expect(await f.service.cancel({ kind: 'deployment', id: byAlice.id }, carol)).toEqual({
      ok: false,
      code: 'FORBIDDEN',
      reason: `only whoever requested #${byAlice.id} (alice) or guarded's deployers may cancel it: U0ALICE`,
    });
    expect(await f.service.cancel({ kind: 'deployment', id: byAlice.id }, alice)).toMatchObject({ ok: true, outcome: 'removed' });
    // An automatic deploy is recorded for whoever pushed; they may call it off without being a deployer.
    const pushed = await f.request(command.deploy('guarded', { services: ['db'] }), asking(carol, { trigger: 'webhook' }));
    expect(await f.service.cancel({ kind: 'deployment', id: pushed.id }, carol)).toMatchObject({ ok: true, outcome: 'removed' });
  });

  it('refuses a cancel from a channel the app is not operated from', async () => {
    const d = await deploy('waiting');
    expect(await f.service.cancel({ kind: 'deployment', id: d.id }, person('U0BOB', 'bob', 'C0RANDOM'))).toEqual({
      ok: false,
      code: 'CHANNEL_NOT_ALLOWED',
      reason: "shop can't be operated from this channel; use <#C0SHOP>",
    });
    expect((await f.service.getDeployment(d.id))?.status).toBe('QUEUED');
  });
});
