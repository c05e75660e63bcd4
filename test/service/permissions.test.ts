import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alice, asking, atShell, bob, carol, command, openServiceFixture, person, type ServiceFixture } from './service-fixture.ts';

/** Who may act where: an environment's `deployers` (users and `@groups`) and the app's `channels`. */
describe('service: permissions', () => {
  let f: ServiceFixture;
  beforeAll(async () => {
    f = await openServiceFixture({
      environments: {
        open: '{ target: engine }',
        guarded: "{ target: engine, deployers: [U0ALICE, '@backend'] }",
        named: '{ target: engine, deployers: [U0ALICE] }',
      },
      groups: { U0CAROL: ['@backend'], U0BOB: ['@frontend'] },
    });
  });
  afterAll(async () => {
    await f?.close();
  });

  const deploy = (env: string, who = bob, trigger: 'chat' | 'webhook' = 'chat') => f.service.request(command.deploy(env, { services: ['db'] }), asking(who, { trigger }));

  it('refuses someone who is not a deployer, naming the deployers, and records nothing', async () => {
    expect(await deploy('guarded', bob)).toEqual({
      ok: false,
      code: 'FORBIDDEN',
      reason: "only guarded's deployers may deploy shop in guarded: U0ALICE, @backend",
    });
    expect((await f.view('guarded')).queue).toEqual([]);
  });

  it('takes a deployer named by user id, and one who belongs to a named group', async () => {
    expect(await deploy('guarded', alice)).toMatchObject({ ok: true });
    expect(await deploy('guarded', carol)).toMatchObject({ ok: true, deployment: { requestedBy: { id: 'U0CAROL' } } });
    expect(f.groupLookups).toContain('U0CAROL');
  });

  it('names the action refused', async () => {
    await f.run((await f.request(command.deploy('named', { services: ['db'] }), asking(alice))).id);
    expect(await f.service.request(command.stop('named', ['db']), asking(bob))).toMatchObject({
      code: 'FORBIDDEN',
      reason: "only named's deployers may stop shop in named: U0ALICE",
    });
  });

  it('asks the directory for groups only where the deployers name a group', async () => {
    const lookups = f.groupLookups.length;
    expect(await deploy('named', bob)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await deploy('open', bob)).toMatchObject({ ok: true });
    expect(f.groupLookups.length).toBe(lookups);
  });

  it('an automatic deploy acts for the configuration and needs no deployer', async () => {
    expect(await deploy('named', bob, 'webhook')).toMatchObject({ ok: true, deployment: { trigger: 'webhook' } });
  });

  it('refuses a request from a channel the app is not operated from, before anything else', async () => {
    const elsewhere = person('U0ALICE', 'alice', 'C0RANDOM');
    const refusal = { ok: false, code: 'CHANNEL_NOT_ALLOWED', reason: "shop can't be operated from this channel; use <#C0SHOP>" };
    expect(f.service.validate(command.deploy('open'), elsewhere.origin)).toEqual(refusal);
    expect(await f.service.request(command.deploy('guarded'), asking(person('U0BOB', 'bob', 'C0RANDOM')))).toEqual(refusal);
    expect(await f.service.lockEnvironment({ app: 'shop', env: 'open', reason: null }, elsewhere)).toEqual(refusal);
  });

  it('the terminal chat has no channel, so the channel rule does not apply there', async () => {
    expect(await f.service.request(command.deploy('open', { services: ['db'] }), asking(atShell(bob)))).toMatchObject({ ok: true });
  });
});
