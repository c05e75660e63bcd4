import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, testHttpApp, testToken } from '../support/api-app.ts';
import { openServiceFixture, type ServiceFixture } from '../service/service-fixture.ts';

const tokens = [
  testToken('ci', { scopes: ['read', 'deploy', 'cancel', 'lock'] }),
  testToken('ci2', { scopes: ['read', 'deploy', 'lock'] }),
  testToken('reader', { scopes: ['read'] }),
  testToken('elsewhere', { scopes: ['deploy', 'read'], apps: ['blog'] }),
  testToken('bob', { scopes: ['read', 'approve'], actAs: 'U0BOB' }),
];

interface Answer {
  status: number;
  /** A JSON answer, read field by field by each assertion. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

describe('the API’s write routes', () => {
  let f: ServiceFixture;
  let app: ReturnType<typeof testHttpApp>;

  beforeAll(async () => {
    f = await openServiceFixture({
      environments: {
        staging: '{ target: engine }',
        production: '{ target: engine, deployers: [U0ALICE, "token:ci"], approval: { required: 1, approvers: [U0BOB] } }',
      },
    });
    app = testHttpApp(f.service, tokens);
  });
  afterAll(async () => {
    await f?.close();
  });

  const call = async (method: string, path: string, options: { token?: string; body?: unknown; key?: string } = {}): Promise<Answer> => {
    const headers: Record<string, string> = bearer(options.token);
    if (options.key !== undefined) headers['idempotency-key'] = options.key;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const res = await app.request(`/api/v1${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    return { status: res.status, body: await res.json() };
  };
  const deploy = (env: string, body: unknown, options: { token?: string; key?: string } = {}) =>
    call('POST', `/apps/shop/environments/${env}/deployments`, { token: 'ci', ...options, body });

  it('requests a deploy as the token (202, queued), and an identical one joins it (coalesced)', async () => {
    const first = await deploy('staging', { action: 'deploy', services: ['api'] });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      outcome: 'queued',
      deployment: { app: 'shop', env: 'staging', action: 'deploy', status: 'QUEUED', sha: f.firstSha, requestedBy: { id: 'token:ci', name: 'token:ci' }, trigger: 'api' },
    });
    expect(first.body.approval).toBeUndefined();
    const recorded = await f.service.getDeployment(first.body.deployment.id);
    expect(recorded?.chat).toEqual({ kind: 'api', token: 'ci', channel: 'C0SHOP' });
    const again = await deploy('staging', { action: 'deploy', services: ['api'] });
    expect([again.status, again.body.outcome, again.body.deployment.id]).toEqual([202, 'coalesced', first.body.deployment.id]);
    expect((await f.view('staging')).queue.map((q) => q.id)).toContain(first.body.deployment.id);
  });

  it.each([
    ['an unknown action', { action: 'launch' }, 'action: expected one of deploy, redeploy, rollback, stop, restart, destroy'],
    ['no action', {}, 'action: expected one of deploy, redeploy, rollback, stop, restart, destroy'],
    ['an unknown field', { action: 'deploy', branch: 'main' }, 'unknown field "branch"; fields: action, services, ref, to, bypassApproval, force, reason, confirm'],
    ['services that are not a list', { action: 'deploy', services: 'api' }, 'services: expected a list of service names, such as ["api", "worker"]; leave it out for the whole environment'],
    ['an empty list of services', { action: 'deploy', services: [] }, 'services: name at least one service, or leave `services` out for the whole environment'],
    ['a ref on a stop', { action: 'stop', ref: 'main' }, 'ref: only a deploy takes a ref; leave it out of a stop'],
    ['a rollback target on a deploy', { action: 'deploy', to: 3 }, 'to: only a rollback takes a deployment to go back to; leave it out of a deploy'],
    ['a rollback target that is no number', { action: 'rollback', to: 'last' }, 'to: "last" is not a deployment number; use a positive integer such as {"action":"rollback","to":1040}'],
    ['a list as the body', [], 'body: expected a JSON object, such as {"action":"deploy","ref":"main"}'],
    ['a body that is not JSON', '{"action":', 'body: not valid JSON; send a JSON object, such as {"action":"deploy"}'],
  ])('refuses %s with 400 naming the field and what works', async (_what, body, message) => {
    const answer = await deploy('staging', body);
    expect(answer).toEqual({ status: 400, body: { error: { code: 'BAD_REQUEST', message } } });
  });

  it('refuses a body sent as something other than JSON with 415', async () => {
    const res = await app.request('/api/v1/apps/shop/environments/staging/deployments', { method: 'POST', headers: { ...bearer('ci'), 'content-type': 'text/plain' }, body: 'deploy' });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send the body as JSON, with "Content-Type: application/json"' } });
  });

  it('refuses with the status and the words of the refusal', async () => {
    expect(await deploy('staging', { action: 'deploy' }, { token: 'reader' })).toEqual({
      status: 403,
      body: { error: { code: 'FORBIDDEN', message: 'token "reader" lacks the "deploy" scope (it has read)' } },
    });
    expect(await deploy('staging', { action: 'deploy' }, { token: 'elsewhere' })).toEqual({
      status: 403,
      body: { error: { code: 'FORBIDDEN', message: 'token "elsewhere" may not touch app "shop" (only blog)' } },
    });
    // The environment's deployers decide, as in chat: token:ci is one of production's, ci2 is not.
    expect(await deploy('production', { action: 'deploy' }, { token: 'ci2' })).toEqual({
      status: 403,
      body: { error: { code: 'FORBIDDEN', message: "only production's deployers may deploy shop in production: U0ALICE, token:ci" } },
    });
    const unknownEnv = await call('POST', '/apps/shop/environments/qa/deployments', { token: 'ci', body: { action: 'deploy' } });
    expect(unknownEnv).toEqual({ status: 404, body: { error: { code: 'UNKNOWN_ENVIRONMENT', message: 'app shop has no environment "qa"; its environments: staging, production' } } });
    expect(await deploy('staging', { action: 'restart', services: ['cache'] })).toEqual({
      status: 404,
      body: { error: { code: 'UNKNOWN_SERVICE', message: 'app shop has no service "cache"; its services: api, db, web' } },
    });
    const nothingBefore = await deploy('staging', { action: 'rollback', services: ['web'] });
    expect(nothingBefore.status).toBe(422);
    expect(nothingBefore.body.error).toEqual({
      code: 'NOT_ALLOWED',
      message: 'web in staging was never deployed, so there is nothing to roll back; `deploy` it first',
    });
  });

  it('destroys one service with its name in `confirm`: without it or with another, 400 naming the field and what to give', async () => {
    expect(await deploy('staging', { action: 'destroy', services: ['db'] })).toEqual({
      status: 400,
      body: {
        error: {
          code: 'CONFIRMATION_NEEDED',
          message: 'confirm: destroying shop/db in staging removes it and its data for good; to go ahead, give its full name again: shop/db',
        },
      },
    });
    expect((await deploy('staging', { action: 'destroy', services: ['db'], confirm: 'shop/web' })).body.error.code).toBe('CONFIRMATION_NEEDED');
    expect(await deploy('staging', { action: 'stop', services: ['db'], confirm: 'shop/db' })).toEqual({
      status: 400,
      body: { error: { code: 'BAD_REQUEST', message: "confirm: only a destroy is confirmed with the service's name; leave it out of a stop" } },
    });
    const deployed = await deploy('staging', { action: 'deploy', services: ['db'] });
    await f.run(deployed.body.deployment.id);
    const destroyed = await deploy('staging', { action: 'destroy', services: ['db'], confirm: 'shop/db' });
    expect(destroyed).toMatchObject({ status: 202, body: { outcome: 'queued', deployment: { action: 'destroy', status: 'QUEUED' } } });
    expect((await f.run(destroyed.body.deployment.id)).status).toBe('DESTROYED');
    const view = await call('GET', '/apps/shop/environments/staging', { token: 'ci' });
    expect(view.body.services.find((s: { name: string }) => s.name === 'db')).toMatchObject({ status: 'DESTROYED', version: null });
  });

  it('locks and unlocks through the API; a locked environment refuses others with 409', async () => {
    const badTtl = await call('PUT', '/apps/shop/environments/staging/lock', { token: 'ci', body: { reason: 'demo', ttl: 'soon' } });
    expect(badTtl).toEqual({
      status: 400,
      body: { error: { code: 'BAD_REQUEST', message: 'ttl: "soon" is not a duration: use a number and s, m, h or d, such as "90s", "30m", "2h" or "1h30m"' } },
    });
    expect((await call('PUT', '/apps/shop/environments/staging/lock', { token: 'ci', body: { ttl: '2h' } })).body.error.message).toBe(
      'reason: expected a text: why it is locked, such as "incident 88"',
    );
    const before = Date.now();
    const locked = await call('PUT', '/apps/shop/environments/staging/lock', { token: 'ci', body: { reason: 'demo', ttl: '2h' } });
    expect(locked.status).toBe(200);
    expect(locked.body).toMatchObject({ renewed: false, lock: { kind: 'manual', owner: { id: 'token:ci' }, reason: 'demo' } });
    const expires = Date.parse(locked.body.lock.expiresAt) - before;
    expect(expires).toBeGreaterThan(2 * 3_600_000 - 60_000);
    expect(expires).toBeLessThanOrEqual(2 * 3_600_000 + 60_000);

    const refused = await deploy('staging', { action: 'deploy', services: ['db'] }, { token: 'ci2', key: 'after-the-lock' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('LOCKED');
    expect(refused.body.error.message).toMatch(/^shop in staging is locked by @token:ci .*only @token:ci can act there/);

    const notOwner = await call('DELETE', '/apps/shop/environments/staging/lock', { token: 'ci2' });
    expect(notOwner.status).toBe(409);
    expect(notOwner.body.error.message).toContain('only @token:ci can unlock it');
    expect((await call('DELETE', '/apps/shop/environments/staging/lock?force=yes', { token: 'ci2' })).body.error.message).toBe(
      'force: expected true (a deployer releasing someone else’s lock) or false',
    );
    const forced = await call('DELETE', '/apps/shop/environments/staging/lock?force=true', { token: 'ci2' });
    expect(forced).toMatchObject({ status: 200, body: { forced: true, released: { owner: { id: 'token:ci' } } } });
    expect((await call('GET', '/apps/shop/environments/staging/lock')).body.lock).toBeNull();
    // A refused request did nothing: the same key is judged again once the lock is gone.
    const retried = await deploy('staging', { action: 'deploy', services: ['db'] }, { token: 'ci2', key: 'after-the-lock' });
    expect([retried.status, retried.body.outcome]).toEqual([202, 'queued']);
    expect((await call('DELETE', '/apps/shop/environments/staging/lock', { token: 'reader' })).status).toBe(403);
  });

  it('a deploy waiting for approval says who may approve; a vote approves it, a rejection needs a reason', async () => {
    const waiting = await deploy('production', { action: 'deploy', ref: f.versions[0] });
    expect(waiting.status).toBe(202);
    expect(waiting.body).toMatchObject({
      outcome: 'awaiting-approval',
      deployment: { status: 'AWAITING_APPROVAL' },
      approval: { rules: [{ approvers: ['U0BOB'], count: 1, voters: [], met: false }], expiresAt: expect.any(String) },
    });
    const id = waiting.body.deployment.id as number;
    expect((await call('POST', `/deployments/${id}/approvals`, { token: 'ci', body: { decision: 'approve' } })).body.error.message).toBe(
      'token "ci" lacks the "approve" scope (it has read, deploy, cancel, lock)',
    );
    expect((await call('POST', `/deployments/${id}/approvals`, { token: 'bob', body: { decision: 'reject' } })).body.error).toEqual({
      code: 'BAD_REQUEST',
      message: 'reason: a rejection needs a reason, for the requester and the record, such as {"decision":"reject","reason":"not during the freeze"}',
    });
    expect((await call('POST', `/deployments/${id}/approvals`, { token: 'bob', body: { decision: 'maybe' } })).body.error.message).toBe('decision: expected "approve" or "reject"');
    const approved = await call('POST', `/deployments/${id}/approvals`, { token: 'bob', body: { decision: 'approve' } });
    expect(approved).toMatchObject({ status: 200, body: { outcome: 'approved', deployment: { id, status: 'QUEUED' }, approval: { approved: true } } });
    expect((await call('POST', `/deployments/${id}/approvals`, { token: 'bob', body: { decision: 'approve' } })).body.outcome).toBe('already-counted');
    const decided = await call('POST', `/deployments/${id}/approvals`, { token: 'bob', body: { decision: 'reject', reason: 'too late' } });
    expect([decided.status, decided.body.error.code]).toEqual([409, 'DECIDED']);

    const other = await deploy('production', { action: 'deploy', ref: f.versions[1] });
    const rejected = await call('POST', `/deployments/${other.body.deployment.id}/approvals`, { token: 'bob', body: { decision: 'reject', reason: 'not during the freeze' } });
    expect(rejected).toMatchObject({ status: 200, body: { outcome: 'rejected', deployment: { status: 'REJECTED' } } });
    const history = (await call('GET', `/deployments/${other.body.deployment.id}/approvals`, { token: 'bob' })).body.history;
    expect(history.map((h: { step: string; edge: string }) => [h.step, h.edge])).toEqual([
      ['requested', 'api'],
      ['rejected', 'api'],
    ]);
  });

  it('cancels a waiting deployment (removed) and a running one (canceling); an ended one is 422', async () => {
    const waiting = await deploy('staging', { action: 'deploy', ref: f.versions[2] });
    expect((await call('POST', `/deployments/${waiting.body.deployment.id}/cancel`, { token: 'ci2' })).body.error.message).toBe(
      'token "ci2" lacks the "cancel" scope (it has read, deploy, lock)',
    );
    const removed = await call('POST', `/deployments/${waiting.body.deployment.id}/cancel`, { token: 'ci' });
    expect(removed).toMatchObject({ status: 200, body: { outcome: 'removed', deployment: { status: 'CANCELED' } } });
    const again = await call('POST', `/deployments/${waiting.body.deployment.id}/cancel`, { token: 'ci' });
    expect([again.status, again.body.error.code]).toEqual([422, 'NOT_ALLOWED']);

    const running = await deploy('staging', { action: 'deploy', ref: f.versions[3] });
    await f.start(running.body.deployment.id);
    const canceling = await call('POST', `/deployments/${running.body.deployment.id}/cancel`, { token: 'ci' });
    expect(canceling).toMatchObject({ status: 200, body: { outcome: 'canceling', deployment: { status: 'CANCELING' } } });
    // The scope is checked before the deployment is looked up: a token without it learns nothing of it.
    expect((await call('POST', '/deployments/99999/cancel', { token: 'reader' })).status).toBe(403);
    expect((await call('POST', '/deployments/99999/cancel', { token: 'ci' })).body.error).toEqual({ code: 'NOT_FOUND', message: 'there is no deployment #99999' });
  });

  it('Idempotency-Key: the same key answers with the same deployment; another body is a 422; another token is independent', async () => {
    const body = { action: 'deploy', services: ['web'], ref: f.versions[0] };
    const first = await deploy('staging', body, { key: 'build-118' });
    expect([first.status, first.body.outcome]).toEqual([202, 'queued']);
    const second = await deploy('staging', body, { key: 'build-118' });
    expect([second.status, second.body.outcome, second.body.deployment.id]).toEqual([202, 'duplicate', first.body.deployment.id]);

    const changed = await deploy('staging', { ...body, ref: f.versions[1] }, { key: 'build-118' });
    expect(changed.status).toBe(422);
    expect(changed.body.error).toEqual({
      code: 'IDEMPOTENCY_KEY_REUSED',
      message: `this Idempotency-Key was used within the last 24 hours for a different request (#${first.body.deployment.id}); send that request's body to get its answer again, or use a new key for a new request`,
    });
    const elsewhere = await call('POST', '/apps/shop/environments/production/deployments', { token: 'ci', key: 'build-118', body });
    expect(elsewhere.status).toBe(422);

    // Another token's key of the same name is its own.
    const otherToken = await deploy('staging', { ...body, ref: f.versions[1] }, { token: 'ci2', key: 'build-118' });
    expect([otherToken.status, otherToken.body.outcome]).toEqual([202, 'queued']);
    expect(otherToken.body.deployment.id).not.toBe(first.body.deployment.id);

    // Sent twice at once (a retry racing the first): one deployment, the other answer says so.
    const raced = await Promise.all([0, 1].map(() => deploy('staging', { action: 'deploy', services: ['web'], ref: f.versions[3] }, { key: 'build-119' })));
    expect(raced.map((r) => r.status)).toEqual([202, 202]);
    expect(raced[0]!.body.deployment.id).toBe(raced[1]!.body.deployment.id);
    expect(raced.map((r) => r.body.outcome).sort()).toEqual(['duplicate', 'queued']);

    expect((await deploy('staging', body, { key: 'bad key with spaces' })).body.error.message).toBe('Idempotency-Key: expected 1 to 255 visible ASCII characters, such as a UUID');
  });

  it('GET /apps: every app with its environments’ aggregate status, lock and queue length', async () => {
    const answer = await call('GET', '/apps', { token: 'reader' });
    expect(answer.status).toBe(200);
    const shop = answer.body.items.find((a: { name: string }) => a.name === 'shop');
    expect(shop.environments.map((e: { name: string }) => e.name)).toEqual(['staging', 'production']);
    const staging = shop.environments[0];
    expect(staging).toEqual({ name: 'staging', status: (await f.view('staging')).status, lock: null, queued: (await f.view('staging')).queue.length });
    expect(staging.queued).toBeGreaterThan(0);
    expect((await call('GET', '/apps', { token: 'elsewhere' })).body).toEqual({ items: [] });
  });
});
