import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { removeAppContainers } from '../support/containers.ts';
import { channelAppYaml, eventually, freePort, randomName, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';
import { expectMatchesDocument, servedDocument } from '../support/openapi-check.ts';

const SLACK_TOKEN = 'xoxb-api-actions';
const CHANNEL = 'C0APIACT';
/** A token acting for U0BOB, production's approver. */
const BOB_SECRET = `hoist_${'b0b'.repeat(12)}`;
/** A pipeline's token that may deploy, acting as itself. */
const CI_SECRET = `hoist_${'c1'.repeat(18)}`;

interface Deployment {
  id: number;
  status: string;
  finishedAt: string | null;
}

/**
 * Every /api/v1 route against a whole Hoist and a real container engine, each answer
 * checked against the OpenAPI document the same Hoist serves (ajv, not the zod schemas).
 */
describe('the API end to end: every route, each answer as its document says', () => {
  const app = randomName('api');
  let hoist: TestHoist;
  let slack: FakeSlack;
  let repo: GitFixture;
  let doc: unknown;
  let v2: string;

  beforeAll(async () => {
    repo = createGitFixture('hoist-api-actions');
    repo.commit('v1', webAppFiles('api v1'));
    repo.git('checkout', '--quiet', '-b', 'v2');
    v2 = repo.commit('v2', webAppFiles('api v2'));
    repo.git('checkout', '--quiet', 'main');
    const port = await freePort();
    const yaml = channelAppYaml({
      app,
      repo: repo.dir,
      channel: CHANNEL,
      environments: `      e2e: { target: engine, expose: { web: ${port} } }
      production: { target: engine, approval: { required: 1, approvers: [U0BOB] } }
`,
    });
    slack = await startFakeSlack({ token: SLACK_TOKEN, rateLimitPerChannelPerSecond: 0 });
    hoist = await startTestHoist({
      yaml,
      slack: { apiUrl: slack.url, token: SLACK_TOKEN, signingSecret: 'api-actions-secret' },
      env: { HOIST_API_TOKENS: `bob:approve+read:as=U0BOB:${BOB_SECRET},ci:deploy+read:${CI_SECRET}` },
    });
    doc = await servedDocument(hoist);
  });

  afterAll(async () => {
    await hoist?.stop();
    await slack?.close();
    await removeAppContainers(app);
    repo?.remove();
  });

  /** Calls the API as the harness's admin token (or `secret`) and checks the answer against the served document. */
  async function call(method: string, path: string, template: string, options: { body?: unknown; secret?: string; key?: string } = {}) {
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.secret !== undefined) headers.authorization = `Bearer ${options.secret}`;
    if (options.key !== undefined) headers['idempotency-key'] = options.key;
    const init = { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) };
    // hoist.api always sends the admin token: another token's calls go out as they are.
    const res = options.secret === undefined ? await hoist.api(path, init) : await fetch(`${hoist.baseUrl}/api/v1${path}`, init);
    // A JSON answer, read field by field by each assertion (its shape is checked against the document just below).
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const body = (await res.json()) as any;
    expectMatchesDocument(doc, method, `/api/v1${template}`, res.status, body);
    return { status: res.status, body };
  }

  const finished = (id: number) =>
    eventually(async () => {
      const d = (await call('GET', `/deployments/${id}`, '/deployments/{id}')).body as Deployment;
      return d.finishedAt ? d : null;
    }, 90_000, `#${id} to finish`);

  const deployments = `/apps/${app}/environments/e2e/deployments`;
  const template = '/apps/{app}/environments/{env}/deployments';

  it('deploys through the API: 202, the card in the app’s channel, the run, and every read route', async () => {
    const first = await call('POST', deployments, template, { body: { action: 'deploy' }, key: 'pipeline-1' });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ outcome: 'queued', deployment: { trigger: 'api', requestedBy: { id: 'token:test-admin' } } });
    const id = first.body.deployment.id as number;
    const again = await call('POST', deployments, template, { body: { action: 'deploy' }, key: 'pipeline-1' });
    expect([again.body.outcome, again.body.deployment.id]).toEqual(['duplicate', id]);
    expect((await finished(id)).status).toBe('DEPLOYED');
    // Requested through the API, it is shown where the app's messages go.
    await slack.waitFor((s) => s.messages.find((m) => m.channel === CHANNEL && m.threadTs === null && m.text.includes(`#${id}`)), 10_000);

    const second = await call('POST', deployments, template, { body: { action: 'deploy', ref: 'v2' } });
    expect(second.body.deployment.sha).toBe(v2);
    expect((await finished(second.body.deployment.id)).status).toBe('DEPLOYED');

    const apps = await call('GET', '/apps', '/apps');
    expect(apps.body.items.find((a: { name: string }) => a.name === app).environments[0]).toMatchObject({ name: 'e2e', status: 'DEPLOYED' });
    expect((await call('GET', `/apps/${app}/environments`, '/apps/{app}/environments')).body.items).toHaveLength(2);
    expect((await call('GET', `/apps/${app}/environments/e2e`, '/apps/{app}/environments/{env}')).body.status).toBe('DEPLOYED');
    expect((await call('GET', `/deployments?app=${app}`, '/deployments')).body.items.map((d: { id: number }) => d.id)).toEqual([second.body.deployment.id, id]);
    expect((await call('GET', `/deployments/${id}/manifests`, '/deployments/{id}/manifests')).status).toBe(200);
    const diff = await call('GET', `/deployments/${second.body.deployment.id}/diff?against=${id}`, '/deployments/{id}/diff');
    expect(diff.body.changes.length).toBeGreaterThan(0);
    expect((await call('GET', `/deployments/${id}/logs?tail=5`, '/deployments/{id}/logs')).body.lines.length).toBeGreaterThan(0);
    expect((await call('GET', `/deployments/${id}/approvals`, '/deployments/{id}/approvals')).body.required).toBe(false);
  });

  it('answers refusals as the document says: 400, 404, 409 locked, 422', async () => {
    expect((await call('POST', deployments, template, { body: { action: 'launch' } })).status).toBe(400);
    expect((await call('POST', `/apps/${app}/environments/qa/deployments`, template, { body: { action: 'deploy' } })).status).toBe(404);
    expect((await call('GET', '/deployments/999999', '/deployments/{id}')).status).toBe(404);
    const mismatch = await call('POST', deployments, template, { body: { action: 'restart' }, key: 'pipeline-1' });
    expect([mismatch.status, mismatch.body.error.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);

    const lock = `/apps/${app}/environments/e2e/lock`;
    const locked = await call('PUT', lock, '/apps/{app}/environments/{env}/lock', { body: { reason: 'api e2e', ttl: '1h' } });
    expect(locked.body.lock.reason).toBe('api e2e');
    expect((await call('GET', lock, '/apps/{app}/environments/{env}/lock')).body.lock.owner.id).toBe('token:test-admin');
    const refused = await call('POST', deployments, template, { body: { action: 'deploy', ref: 'main' }, secret: CI_SECRET });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'LOCKED']);
    const lacking = await call('POST', deployments, template, { body: { action: 'deploy', ref: 'main' }, secret: BOB_SECRET });
    expect(lacking.body.error).toEqual({ code: 'FORBIDDEN', message: 'token "bob" lacks the "deploy" scope (it has approve, read)' });
    const unlocked = await call('DELETE', lock, '/apps/{app}/environments/{env}/lock');
    expect(unlocked.body.released.reason).toBe('api e2e');
    expect((await call('DELETE', lock, '/apps/{app}/environments/{env}/lock')).status).toBe(404);
  });

  it('waits for approval: the requester may not approve, the approver’s token rejects, another is canceled', async () => {
    const prod = `/apps/${app}/environments/production/deployments`;
    const waiting = await call('POST', prod, template, { body: { action: 'deploy' } });
    expect(waiting.body).toMatchObject({ outcome: 'awaiting-approval', approval: { rules: [{ approvers: ['U0BOB'], count: 1, met: false }] } });
    const id = waiting.body.deployment.id as number;
    // The admin token asked for it: its own vote does not count here.
    const own = await call('POST', `/deployments/${id}/approvals`, '/deployments/{id}/approvals', { body: { decision: 'approve' } });
    expect([own.status, own.body.error.code]).toEqual([403, 'OWN_DEPLOYMENT']);
    const rejected = await call('POST', `/deployments/${id}/approvals`, '/deployments/{id}/approvals', { body: { decision: 'reject', reason: 'not today' }, secret: BOB_SECRET });
    expect(rejected.body).toMatchObject({ outcome: 'rejected', deployment: { status: 'REJECTED' } });

    const next = await call('POST', prod, template, { body: { action: 'deploy', ref: 'v2' } });
    const canceled = await call('POST', `/deployments/${next.body.deployment.id}/cancel`, '/deployments/{id}/cancel');
    expect(canceled.body).toMatchObject({ outcome: 'removed', deployment: { status: 'CANCELED' } });
    expect((await call('POST', `/deployments/${next.body.deployment.id}/cancel`, '/deployments/{id}/cancel')).status).toBe(422);
  });

  it('manages tokens: created with its secret once, listed without it, refused to a non-admin, revoked', async () => {
    // The whole served document (token routes and event stream included) passes the answers' redaction untouched.
    expect(JSON.stringify(doc)).not.toContain('[redacted]');
    const created = await call('POST', '/tokens', '/tokens', { body: { name: 'deployer', scopes: ['read', 'deploy'], apps: [app], expiresIn: '1d' } });
    expect(created.status).toBe(201);
    const secret = created.body.secret as string;
    expect(secret).toMatch(/^hoist_/);
    const listed = await call('GET', '/tokens', '/tokens');
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(listed.body.items.map((t: { name: string }) => t.name)).toContain('deployer');
    expect((await call('GET', `/apps/${app}/environments/e2e`, '/apps/{app}/environments/{env}', { secret })).status).toBe(200);
    expect((await call('GET', '/tokens', '/tokens', { secret })).status).toBe(403);
    expect((await call('POST', '/tokens', '/tokens', { body: { name: 'deployer', scopes: ['read'] } })).status).toBe(409);
    expect((await call('POST', '/tokens', '/tokens', { body: { name: 'odd', scopes: ['launch'] } })).status).toBe(400);
    const revoked = await call('DELETE', '/tokens/deployer', '/tokens/{name}');
    expect(revoked.body.token.revokedAt).not.toBeNull();
    expect((await call('GET', `/apps/${app}/environments/e2e`, '/apps/{app}/environments/{env}', { secret })).status).toBe(401);
    expect((await call('DELETE', '/tokens/deployer', '/tokens/{name}')).status).toBe(404);
  });
});
