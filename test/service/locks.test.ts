import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alice, asking, bob, carol, command, openServiceFixture, type ServiceFixture } from './service-fixture.ts';

/** Manual locks and the pin a rollback leaves, as every action request checks them (SPEC §4). */
describe('service: locks on request', () => {
  let f: ServiceFixture;
  beforeAll(async () => {
    f = await openServiceFixture({
      environments: {
        held: '{ target: engine }',
        auto: '{ target: engine }',
        capped: '{ target: engine, deployers: [U0ALICE, U0BOB], lock: { ttl: 2h } }',
        pinned: '{ target: engine }',
        frozen: '{ target: engine }',
      },
    });
  });
  afterAll(async () => {
    await f?.close();
  });

  const deploy = (env: string, who = bob, trigger: 'chat' | 'webhook' = 'chat') => f.service.request(command.deploy(env, { services: ['db'] }), asking(who, { trigger }));
  const lock = async (env: string, who = alice, reason: string | null = 'release freeze') => {
    const taken = await f.service.lockEnvironment({ app: 'shop', env, reason }, who);
    if (!taken.ok) throw new Error(taken.reason);
    return taken.lock;
  };
  const minute = (at: Date) => `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

  it('refuses others while a lock is held, naming the owner and the reason, and lets the owner act', async () => {
    const held = await lock('held');
    expect(await deploy('held')).toEqual({
      ok: false,
      code: 'LOCKED',
      reason: `shop in held is locked by @alice since ${minute(held.since)}: "release freeze"; only @alice can act there until it is unlocked`,
    });
    expect(await deploy('held', alice)).toMatchObject({ ok: true, deployment: { status: 'QUEUED', requestedBy: { id: 'U0ALICE' } } });
    expect((await f.view('held')).lock).toMatchObject({ kind: 'manual', owner: { id: 'U0ALICE', name: 'alice' }, reason: 'release freeze' });
  });

  it('once unlocked, others may act again', async () => {
    expect(await f.service.unlockEnvironment({ app: 'shop', env: 'held', force: false }, alice)).toMatchObject({ ok: true, forced: false });
    expect(await deploy('held')).toMatchObject({ ok: true });
  });

  it('skips an automatic deploy while locked, saying so', async () => {
    const held = await lock('auto', alice, null);
    expect(await deploy('auto', bob, 'webhook')).toEqual({
      ok: false,
      code: 'LOCKED',
      reason: `automatic deploy skipped: shop in auto is locked by @alice since ${minute(held.since)}`,
    });
    expect((await f.view('auto')).queue).toEqual([]);
    expect(await deploy('auto', alice, 'webhook')).toMatchObject({ ok: true });
  });

  it('answers locked before anything else a deploy could be refused for, and records what ran as the previous version under its owner', async () => {
    // What runs there before the lock: db at the first version.
    const first = await f.request(command.deploy('frozen', { services: ['db'] }), asking(alice));
    expect((await f.run(first.id)).status).toBe('DEPLOYED');
    expect(first.services[0]?.version).toBeTruthy();
    const held = await lock('frozen');
    // The owner goes ahead (her deploy's insert meets the lock, and the request reads the
    // environment): it says what it replaces, as any deploy does.
    const next = await f.service.request(command.deploy('frozen', { services: ['db'] }), asking(alice));
    expect(next).toMatchObject({ ok: true, deployment: { status: 'QUEUED', services: [{ name: 'db', previousVersion: first.services[0]?.version }] } });
    // A ref that does not exist is not what stops bob: the lock is.
    expect(await f.service.request(command.deploy('frozen', { ref: 'no-such-ref', services: ['api'] }), asking(bob))).toEqual({
      ok: false,
      code: 'LOCKED',
      reason: `shop in frozen is locked by @alice since ${minute(held.since)}: "release freeze"; only @alice can act there until it is unlocked`,
    });
    // Once the environments' views show the lock, a deploy it stops is refused before its ref is looked up.
    expect((await f.view('frozen')).queue.map((q) => q.id)).toEqual([next.ok ? next.deployment.id : 0]);
    const looked = f.resolves.length;
    expect(await f.service.request(command.deploy('frozen', { ref: 'main', services: ['api'] }), asking(bob))).toMatchObject({ ok: false, code: 'LOCKED' });
    expect(f.resolves.length).toBe(looked);
  });

  it('refuses a lock longer than the environment allows, naming its `lock.ttl`', async () => {
    expect(await f.service.lockEnvironment({ app: 'shop', env: 'capped', reason: null, ttlMs: 3 * 3_600_000 }, alice)).toEqual({
      ok: false,
      code: 'NOT_ALLOWED',
      reason: 'locks of shop in capped last at most 2h (its `lock.ttl`); ask for `--ttl 2h` or less',
    });
    const held = await lock('capped');
    expect(held.expiresAt?.getTime()).toBe(held.since.getTime() + 2 * 3_600_000);
  });

  it('someone else unlocks only with --force, and only as a deployer', async () => {
    expect(await f.service.unlockEnvironment({ app: 'shop', env: 'capped', force: false }, bob)).toMatchObject({
      code: 'LOCKED',
      reason: expect.stringMatching(/; only @alice can unlock it, or a deployer of capped with `unlock shop in capped --force`$/),
    });
    expect(await f.service.unlockEnvironment({ app: 'shop', env: 'capped', force: true }, carol)).toEqual({
      ok: false,
      code: 'FORBIDDEN',
      reason: "only capped's deployers may force an unlock of shop in capped: U0ALICE, U0BOB",
    });
    expect(await f.service.unlockEnvironment({ app: 'shop', env: 'capped', force: true }, bob)).toMatchObject({ ok: true, forced: true, released: { owner: { id: 'U0ALICE' } } });
    expect((await f.view('capped')).lock).toBeNull();
  });

  it('refuses a lock to someone who may not deploy there', async () => {
    expect(await f.service.lockEnvironment({ app: 'shop', env: 'capped', reason: null }, carol)).toEqual({
      ok: false,
      code: 'FORBIDDEN',
      reason: "only capped's deployers may lock shop in capped: U0ALICE, U0BOB",
    });
  });

  it('a successful rollback pins the environment: only rollbacks pass until someone unlocks it', async () => {
    const api = ['api'];
    const first = await f.run((await f.request(command.deploy('pinned', { services: api }))).id);
    f.repo.commit('a bad change', { 'README': 'shop, broken\n' });
    await f.run((await f.request(command.deploy('pinned', { services: api }))).id);
    const rollback = await f.run((await f.request(command.rollback('pinned'), asking(bob))).id);
    expect(rollback.services.map((s) => [s.name, s.version])).toEqual([['api', f.firstSha]]);
    expect(rollback.status).toBe('DEPLOYED');
    expect((await f.view('pinned')).lock).toMatchObject({ kind: 'pin', reason: expect.stringMatching(/^rolled back by @bob from #\d+$/) });
    expect(await deploy('pinned', alice)).toMatchObject({
      code: 'LOCKED',
      reason: expect.stringContaining('nothing but a rollback runs there until it is unlocked; `unlock` it once the fix is out'),
    });
    expect(await f.service.request(command.rollback('pinned', { to: first.id }), asking(alice))).toMatchObject({ ok: true });
  });
});
