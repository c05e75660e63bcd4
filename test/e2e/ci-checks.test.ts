import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github-api/index.ts';
import { deliverWebhook } from '../fakes/github-webhook.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { removeAppContainers } from '../support/containers.ts';
import { DOCKER_HOST, REGISTRY, eventually, freePort, randomName, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';

const SECRET = 'checks-webhook-secret';
const GH_TOKEN = 'ghp_checks000000000000000000000000000000000';
const OUTSIDER = 'hoist_outsider-token-for-checks-tests-0000000000';

interface DeploymentJson {
  id: number;
  status: string;
  reason: string | null;
  checks: { waitingFor: string[] | null; forced: { by: { id: string }; reason: string; verdict: string; checks: string[] } | null } | null;
}

/**
 * Don't ship a red commit: deploys of an environment with `checks:` wait for the commit's CI
 * checks on the fake GitHub, through the HTTP API and GitHub's webhooks into a real Hoist.
 */
describe('CI checks before a deploy', () => {
  const app = randomName('ci');
  let gh: FakeGitHub;
  let hoist: TestHoist;
  let repo: GitFixture;
  let n = 0;

  /** A new commit of the app (each case deploys its own). */
  const commit = () => repo.commit(`change ${++n}`, webAppFiles(`${app} v${n}`));
  const deploy = (env: string, sha: string, extra: Record<string, unknown> = {}, token?: string) =>
    hoist.api(`/apps/${app}/environments/${env}/deployments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ action: 'deploy', ref: sha, ...extra }),
    });
  const outsiderDeploy = (env: string, sha: string, extra: Record<string, unknown>) =>
    fetch(`${hoist.baseUrl}/api/v1/apps/${app}/environments/${env}/deployments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${OUTSIDER}` },
      body: JSON.stringify({ action: 'deploy', ref: sha, ...extra }),
    });
  const deployment = async (id: number) => (await (await hoist.api(`/deployments/${id}`)).json()) as DeploymentJson;
  const until = (id: number, status: string, timeoutMs = 90_000) =>
    eventually(async () => {
      const d = await deployment(id);
      return d.status === status ? d : null;
    }, timeoutMs, `#${id} ${status}`);
  const requested = async (res: Response) => {
    const body = (await res.json()) as { deployment: DeploymentJson; outcome: string };
    expect(res.status, JSON.stringify(body)).toBe(202);
    return body;
  };

  beforeAll(async () => {
    repo = createGitFixture('hoist-ci-checks');
    commit();
    gh = await startFakeGitHub({ token: GH_TOKEN });
    gh.addRepo('acme/shop', repo.dir);
    const port = await freePort();
    hoist = await startTestHoist({
      yaml: `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
  ${app}:
    repo: ${repo.dir}
    github: acme/shop
    services:
      web: { type: application, build: { context: . }, port: 8080, health: { path: /, timeout: 20s } }
    environments:
      production: { target: engine, branch: main, expose: { web: ${port} }, deployers: ["token:test-admin"], checks: { require: all, timeout: 10m } }
      quick: { target: engine, branch: main, checks: { require: [ci/build], timeout: 3s } }
`,
      env: { GITHUB_TOKEN: GH_TOKEN, GITHUB_API_URL: gh.url, GITHUB_WEBHOOK_SECRET: SECRET, HOIST_API_TOKENS: `outsider:deploy:${OUTSIDER}` },
    });
  });

  afterAll(async () => {
    await hoist?.stop();
    await gh?.close();
    await removeAppContainers(app);
    repo?.remove();
  });

  it('deploys a green commit at once', async () => {
    const sha = commit();
    gh.addCheckRun('acme/shop', { name: 'build', head_sha: sha, status: 'completed', conclusion: 'success' });
    gh.addCheckRun('acme/shop', { name: 'docs', head_sha: sha, status: 'completed', conclusion: 'neutral' });
    const body = await requested(await deploy('production', sha));
    expect(body.outcome).toBe('queued');
    await until(body.deployment.id, 'DEPLOYED');
  });

  it('waits for pending checks without holding the environment, and runs once a check_run webhook says they passed', async () => {
    const sha = commit();
    const build = gh.addCheckRun('acme/shop', { name: 'build', head_sha: sha, status: 'in_progress', conclusion: null, completed: false });
    const body = await requested(await deploy('production', sha));
    expect(body.outcome).toBe('awaiting-checks');
    expect(body.deployment).toMatchObject({ status: 'AWAITING_CHECKS', reason: 'waiting for CI: build', checks: { waitingFor: ['build'] } });
    // Not in the queue: a green deploy requested after it runs first.
    const other = commit();
    gh.addCheckRun('acme/shop', { name: 'build', head_sha: other, status: 'completed', conclusion: 'success' });
    const passing = await requested(await deploy('production', other));
    await until(passing.deployment.id, 'DEPLOYED');
    expect((await deployment(body.deployment.id)).status).toBe('AWAITING_CHECKS');

    build.status = 'completed';
    build.conclusion = 'success';
    const payload = JSON.stringify({ action: 'completed', check_run: { id: build.id, head_sha: sha, name: 'build', status: 'completed', conclusion: 'success' }, repository: { full_name: 'acme/shop' } });
    const delivered = await deliverWebhook(`${hoist.baseUrl}/webhooks/github`, SECRET, { event: 'check_run', body: payload });
    expect(delivered.status).toBe(202);
    const done = await until(body.deployment.id, 'DEPLOYED');
    expect(done.checks?.waitingFor).toBeNull();
  });

  it('waits while no check is reported yet', async () => {
    const sha = commit();
    const body = await requested(await deploy('production', sha));
    expect(body.deployment).toMatchObject({ status: 'AWAITING_CHECKS', reason: 'waiting for CI: no check reported yet' });
    const canceled = await hoist.api(`/deployments/${body.deployment.id}/cancel`, { method: 'POST' });
    expect(canceled.status).toBeLessThan(300);
    expect((await deployment(body.deployment.id)).status).toBe('CANCELED');
  });

  it('ends CANCELED when the checks are still pending past the timeout', async () => {
    const sha = commit();
    const body = await requested(await deploy('quick', sha));
    expect(body.deployment).toMatchObject({ status: 'AWAITING_CHECKS', reason: 'waiting for CI: ci/build' });
    const ended = await until(body.deployment.id, 'CANCELED', 20_000);
    expect(ended.reason).toBe('checks still pending after 3s');
  });

  it('refuses a red commit, naming each failing check and its link', async () => {
    const sha = commit();
    const lint = gh.addCheckRun('acme/shop', { name: 'lint', head_sha: sha, status: 'completed', conclusion: 'failure' });
    gh.addCheckRun('acme/shop', { name: 'build', head_sha: sha, status: 'completed', conclusion: 'success' });
    const res = await deploy('production', sha);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(res.status).toBe(409);
    expect(body.error.code).toBe('CHECKS_FAILED');
    expect(body.error.message).toMatch(new RegExp(`lint \\(https?://[^)]*/runs/${lint.id}\\)`));
    expect(body.error.message).not.toContain('build');
  });

  it('lets a deployer --force a red commit with a reason, recorded and announced; refuses a non-deployer', async () => {
    const sha = commit();
    gh.addCheckRun('acme/shop', { name: 'lint', head_sha: sha, status: 'completed', conclusion: 'failure' });
    const noReason = await deploy('production', sha, { force: true });
    expect(noReason.status).toBe(400);

    const outsider = await outsiderDeploy('production', sha, { force: true, reason: 'trust me' });
    const refusal = (await outsider.json()) as { error: { code: string; message: string } };
    expect(outsider.status).toBe(403);
    expect(refusal.error.message).toContain("only production's deployers may deploy");
    expect(refusal.error.message).toContain('--force');

    const body = await requested(await deploy('production', sha, { force: true, reason: 'hotfix for incident 88' }));
    expect(body.deployment.checks?.forced).toMatchObject({ by: { id: 'token:test-admin' }, reason: 'hotfix for incident 88', verdict: 'red', checks: ['lint'] });
    // Announced: the event the chat broadcasts to the channel.
    const db = new pg.Client({ connectionString: hoist.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ payload: { step: string; reason: string; actor: { id: string } } }>("select payload from deployment_events where deployment_id = $1 and kind = 'checks'", [body.deployment.id]);
      expect(rows.map((r) => r.payload)).toEqual([{ kind: 'checks', deploymentId: body.deployment.id, step: 'forced', actor: expect.objectContaining({ id: 'token:test-admin' }), reason: 'hotfix for incident 88 (checks failing: lint)' }]);
    } finally {
      await db.end();
    }
    await until(body.deployment.id, 'DEPLOYED');
  });
});
