import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentPage } from '../../src/service/contract.ts';
import { asking, bob, command, openServiceFixture, type ServiceFixture } from './service-fixture.ts';

/** `history` and the API's deployment list: newest first, a page at a time, malformed queries refused. */
describe('service: listing deployments', () => {
  let f: ServiceFixture;
  const ids: number[] = [];
  beforeAll(async () => {
    f = await openServiceFixture({ environments: { one: '{ target: engine }', two: '{ target: engine }' } });
    // Each at a version of its own: identical requests waiting at once would be one deployment.
    const refs = [null, ...f.versions];
    for (const [i, env] of ['one', 'two', 'one', 'two', 'one'].entries()) {
      ids.push((await f.request(command.deploy(env, { services: ['api'], ref: refs[i] }), asking(bob))).id);
    }
    await f.service.cancel({ kind: 'deployment', id: ids[0]! }, bob);
  });
  afterAll(async () => {
    await f?.close();
  });

  const page = (result: DeploymentPage) => {
    if (!result.ok) throw new Error(result.reason);
    return { ids: result.items.map((i) => i.id), next: result.nextCursor };
  };

  it('pages newest first; the cursor continues where the page ended and the last page has none', async () => {
    const first = page(await f.service.listDeployments({ limit: 2 }));
    expect(first.ids).toEqual([ids[4], ids[3]]);
    const second = page(await f.service.listDeployments({ limit: 2, cursor: first.next }));
    expect(second.ids).toEqual([ids[2], ids[1]]);
    const last = page(await f.service.listDeployments({ limit: 2, cursor: second.next }));
    expect(last).toEqual({ ids: [ids[0]], next: null });
  });

  it('filters by environment and status', async () => {
    expect(page(await f.service.listDeployments({ app: 'shop', env: 'one' })).ids).toEqual([ids[4], ids[2], ids[0]]);
    expect(await f.service.listDeployments({ status: ['CANCELED'] })).toMatchObject({
      ok: true,
      items: [{ id: ids[0], action: 'deploy', status: 'CANCELED', reason: 'canceled by @bob', requestedBy: { id: 'U0BOB', name: 'bob' }, trigger: 'chat' }],
      nextCursor: null,
    });
  });

  it('filters by action, several at once, and refuses one that does not exist', async () => {
    expect(page(await f.service.listDeployments({ action: ['deploy'] })).ids).toEqual([...ids].reverse());
    expect(page(await f.service.listDeployments({ action: ['stop', 'rollback'] })).ids).toEqual([]);
    expect(await f.service.listDeployments({ action: ['launch'] })).toEqual({
      ok: false,
      code: 'BAD_REQUEST',
      reason: 'action: "launch" is not an action; use one or more (comma-separated) of deploy, redeploy, rollback, stop, restart, destroy',
    });
  });

  it.each([
    { query: { limit: 0 }, reason: 'limit: expected a whole number from 1 to 100 (default 20)' },
    { query: { limit: 101 }, reason: 'limit: expected a whole number from 1 to 100 (default 20)' },
    { query: { limit: 2.5 }, reason: 'limit: expected a whole number from 1 to 100 (default 20)' },
    { query: { cursor: 'not-a-cursor' }, reason: 'cursor: not a cursor this API gave out; pass `nextCursor` of the previous page, or none for the newest' },
  ])('refuses $query with BAD_REQUEST', async ({ query, reason }) => {
    expect(await f.service.listDeployments(query)).toEqual({ ok: false, code: 'BAD_REQUEST', reason });
  });

  it.each([
    { query: { app: 'shoe' }, code: 'UNKNOWN_APP', reason: 'there is no app "shoe"; known apps: shop' },
    { query: { app: 'shop', env: 'three' }, code: 'UNKNOWN_ENVIRONMENT', reason: 'there is no environment "three" in app shop; known environments: one, two' },
  ])('refuses $query naming what exists', async ({ query, code, reason }) => {
    expect(await f.service.listDeployments(query)).toEqual({ ok: false, code, reason });
  });

  it('refuses a status that does not exist, listing the ones that do', async () => {
    expect(await f.service.listDeployments({ status: ['DONE', 'DEPLOYED'] })).toMatchObject({
      code: 'BAD_REQUEST',
      reason: expect.stringMatching(/^status: "DONE" is not a status; use one or more \(comma-separated\) of .*\bDEPLOYED\b.*\bCANCELED\b/),
    });
  });
});
