import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alice, APP, asking, bob, command, openServiceFixture, type ServiceFixture } from './service-fixture.ts';

/** Requests as the service records them: refs resolved, services planned, refusals named. */
describe('service: requesting an action', () => {
  let f: ServiceFixture;
  beforeAll(async () => {
    f = await openServiceFixture({
      environments: {
        plan: '{ target: engine }',
        refs: '{ target: engine }',
        images: '{ target: engine }',
        keyed: '{ target: engine }',
        scoped: '{ target: engine }',
      },
    });
  });
  afterAll(async () => {
    await f?.close();
  });

  it('records a deploy QUEUED at the branch head, services in start order, and hands it to a worker', async () => {
    const d = await f.request(command.deploy('plan'));
    expect(d).toMatchObject({ app: APP, env: 'plan', action: 'deploy', status: 'QUEUED', ref: null, sha: f.firstSha, requestedBy: { id: 'U0ALICE', name: 'alice' } });
    expect(d.services.map((s) => [s.name, s.status, s.version])).toEqual([
      ['db', 'QUEUED', 'postgres:16'],
      ['web', 'QUEUED', 'web:1'],
      ['api', 'QUEUED', f.firstSha],
    ]);
    expect(f.kicks.at(-1)).toBe(`${APP}/plan`);
    expect((await f.view('plan')).queue).toEqual([{ id: d.id, action: 'deploy', status: 'QUEUED', position: 1, requestedBy: { id: 'U0ALICE', name: 'alice' } }]);
  });

  it('resolves a commit SHA prefix to the full commit and keeps the ref as typed', async () => {
    const second = f.repo.commit('second', { 'README': 'shop, second\n' });
    const d = await f.request(command.deploy('refs', { ref: second.slice(0, 7) }));
    expect(d).toMatchObject({ ref: second.slice(0, 7), sha: second });
    expect(d.services.find((s) => s.name === 'api')?.version).toBe(second);
  });

  it('resolves a tag', async () => {
    f.repo.git('tag', 'v1.0.0', f.firstSha);
    const d = await f.request(command.deploy('refs', { ref: 'v1.0.0' }));
    expect(d.sha).toBe(f.firstSha);
  });

  it('refuses a ref the repository does not have with REF_NOT_FOUND, and records nothing', async () => {
    const kicks = f.kicks.length;
    const result = await f.service.request(command.deploy('refs', { ref: 'no-such-branch' }), asking(alice));
    expect(result).toEqual({ ok: false, code: 'REF_NOT_FOUND', reason: `no branch, tag or commit "no-such-branch" in ${basename(f.repo.dir)}; deploy a branch, a tag or a commit SHA (7 characters or more)` });
    expect(f.kicks.length).toBe(kicks);
  });

  it('refuses a malformed ref with BAD_REF before looking it up', async () => {
    const result = f.service.validate(command.deploy('refs', { ref: 'main..evil' }), alice.origin);
    expect(result).toEqual({ ok: false, code: 'BAD_REF', reason: 'bad ref: "main..evil" contains ".."' });
    await expect(f.service.request(command.deploy('refs', { ref: '-x' }), asking(alice))).resolves.toMatchObject({ code: 'BAD_REF', reason: 'bad ref: "-x" starts with "-"' });
  });

  it('deploys services that run a prebuilt image without resolving a commit', async () => {
    const d = await f.request(command.deploy('images', { services: ['db', 'web'] }));
    expect(d.sha).toBeNull();
    expect(d.services.map((s) => [s.name, s.version])).toEqual([
      ['db', 'postgres:16'],
      ['web', 'web:1'],
    ]);
  });

  it.each([
    { cmd: { ...command.deploy('plan'), scope: { app: 'shoe', services: null } }, code: 'UNKNOWN_APP', reason: 'there is no app "shoe"; known apps: shop' },
    { cmd: command.deploy('prod'), code: 'UNKNOWN_ENVIRONMENT', reason: 'app shop has no environment "prod"; its environments: plan, refs, images, keyed, scoped' },
    { cmd: command.stop('plan', ['api', 'cache']), code: 'UNKNOWN_SERVICE', reason: 'app shop has no service "cache"; its services: api, db, web' },
  ])('refuses $code naming what exists', async ({ cmd, code, reason }) => {
    expect(await f.service.request(cmd, asking(alice))).toEqual({ ok: false, code, reason });
  });

  it('records a repeated request key once: the same deployment, marked duplicate, announced once', async () => {
    const first = await f.service.request(command.deploy('keyed'), asking(alice, { requestKey: 'delivery-1' }));
    const notified = f.notifications();
    const again = await f.service.request(command.deploy('keyed'), asking(alice, { requestKey: 'delivery-1' }));
    expect(first).toMatchObject({ ok: true, duplicate: false });
    expect(again).toMatchObject({ ok: true, duplicate: true });
    expect(again.ok && first.ok && again.deployment.id).toBe(first.ok && first.deployment.id);
    expect(f.notifications()).toBe(notified);
    const other = await f.service.request(command.deploy('keyed'), asking(bob, { requestKey: 'delivery-2' }));
    expect(other).toMatchObject({ ok: true, duplicate: false });
    expect((await f.view('keyed')).queue.map((q) => q.position)).toEqual([1, 2]);
  });

  it('plans only the services named, and records the scope', async () => {
    const d = await f.request(command.deploy('scoped', { services: ['api'] }));
    expect(d.services.map((s) => s.name)).toEqual(['api']);
    expect(d.scope).toEqual(['api']);
  });
});
