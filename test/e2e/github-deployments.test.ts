import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { startFakeGitHub, type FakeDeployment, type FakeGitHub } from '../fakes/github-api/index.ts';
import { removeAppContainers } from '../support/containers.ts';
import { BASE_IMAGE, DOCKER_HOST, REGISTRY, eventually, freePort, randomName, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';

const GH_TOKEN = 'ghp_ghdeploy0000000000000000000000000000000';
const PUBLIC_URL = 'https://hoist.example.com';

/** Each Hoist deployment of a GitHub app as a GitHub Deployment in the fake, its statuses following Hoist's. */
describe('GitHub Deployments', () => {
  const app = randomName('ghd');
  let gh: FakeGitHub;
  let hoist: TestHoist;
  let repo: GitFixture;
  let port: number;

  const post = async (path: string, body: unknown = {}) => {
    const answer = await hoist.api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return (await answer.json()) as { deployment: { id: number; sha: string; status: string } };
  };
  const deploy = async (env: string, ref: string) => (await post(`/apps/${app}/environments/${env}/deployments`, { action: 'deploy', ref })).deployment;
  const deployment = async (id: number) => (await (await hoist.api(`/deployments/${id}`)).json()) as { status: string; sha: string; reason: string | null };
  const finished = (id: number, status: string) => eventually(async () => ((await deployment(id)).status === status ? true : null), 90_000, `#${id} ${status}`);
  const mirrorOf = (id: number): FakeDeployment | undefined => gh.deployments.find((d) => (d.payload as { hoist?: { deploymentId?: number } } | null)?.hoist?.deploymentId === id);
  /** The states of the deployment's GitHub statuses, once its last one is `last`. */
  const statesOf = (id: number, last: string) =>
    eventually(
      () => {
        const states = mirrorOf(id)?.statuses.map((s) => `${s.state}: ${s.description}`) ?? [];
        return states.at(-1)?.startsWith(`${last}:`) ? states : null;
      },
      60_000,
      `#${id}'s GitHub status ${last}`,
    );

  beforeAll(async () => {
    repo = createGitFixture('hoist-ghdeploy-repo');
    repo.commit('v1', webAppFiles(`${app} v1`));
    port = await freePort();
    gh = await startFakeGitHub({ token: GH_TOKEN });
    gh.addRepo('acme/shop', repo.dir);
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
      staging: { target: engine, expose: { web: ${port} }, queue: { supersede: true } }
      production: { target: engine, production: true, approval: { required: 1, approvers: [U0APPROVER] } }
  ${app}-docs:
    repo: ${repo.dir}
    github: acme/shop
    services:
      web: { type: application, build: { context: . }, port: 8080 }
    environments:
      staging: { target: engine }
`,
      env: { GITHUB_TOKEN: GH_TOKEN, GITHUB_API_URL: gh.url, HOIST_PUBLIC_URL: PUBLIC_URL },
    });
  });

  afterAll(async () => {
    await hoist?.stop();
    await gh?.close();
    await removeAppContainers(app);
    repo?.remove();
  });

  it('mirrors a successful deploy: the exact SHA, the environment (app/env: two apps share the repository), the payload, and queued → in progress → success', async () => {
    const sha = repo.commit('v2', webAppFiles(`${app} v2`));
    // A failing commit status: GitHub would refuse the deployment unless Hoist says it gates deployments itself.
    const ci = await fetch(`${gh.url}/repos/acme/shop/statuses/${sha}`, { method: 'POST', headers: { authorization: `token ${GH_TOKEN}` }, body: JSON.stringify({ state: 'failure', context: 'ci/test' }) });
    expect(ci.status).toBe(201);
    const d = await deploy('staging', sha);
    await finished(d.id, 'DEPLOYED');
    expect(await statesOf(d.id, 'success')).toEqual(['queued: Queued', 'in_progress: Building web', 'in_progress: Rolling out web', 'success: Deployed']);
    const mirror = mirrorOf(d.id);
    expect(mirror).toMatchObject({ repo: 'acme/shop', sha, ref: sha, task: 'deploy', environment: `${app}/staging`, production_environment: false, transient_environment: false });
    expect(mirror?.payload).toEqual({ hoist: { deploymentId: d.id, app, env: 'staging', action: 'deploy', requestedBy: 'token:test-admin', trigger: 'api' } });
    expect(mirror?.description).toBe(`Hoist deploy #${d.id} by token:test-admin`);
    const success = mirror?.statuses.at(-1);
    expect(success).toMatchObject({ log_url: `${PUBLIC_URL}/dashboard/deployments/${d.id}`, environment_url: `http://127.0.0.1:${port}`, environment: `${app}/staging` });
    expect(mirror?.statuses[0]?.environment_url ?? '').toBe('');
    expect(gh.deployments.filter((x) => x.sha === sha)).toHaveLength(1);
  });

  it('reports a failed build as failure, with the reason within 140 characters', async () => {
    const sha = repo.commit('broken', { Dockerfile: `FROM ${BASE_IMAGE}\nRUN ["/bin/busybox", "false"]\n` });
    const d = await deploy('staging', sha);
    await finished(d.id, 'BUILD_ERROR');
    const states = await statesOf(d.id, 'failure');
    expect(states.slice(0, 2)).toEqual(['queued: Queued', 'in_progress: Building web']);
    expect(states).toHaveLength(3);
    expect(states[2]).toMatch(/^failure: Build failed: /);
    expect([...(mirrorOf(d.id)?.statuses.at(-1)?.description ?? '')].length).toBeLessThanOrEqual(140);
  });

  it('marks a production environment’s deployment production; waiting for approval is queued, a cancel inactive', async () => {
    const sha = repo.git('rev-parse', 'HEAD~1').trim();
    const d = await deploy('production', sha);
    expect(d.status).toBe('AWAITING_APPROVAL');
    await statesOf(d.id, 'queued');
    await post(`/deployments/${d.id}/cancel`);
    await finished(d.id, 'CANCELED');
    const states = await statesOf(d.id, 'inactive');
    expect(states[0]).toBe('queued: Waiting for approval');
    expect(states.at(-1)).toMatch(/^inactive: Canceled/);
    expect(mirrorOf(d.id)).toMatchObject({ environment: `${app}/production`, production_environment: true });
  });

  it('makes a superseded deploy inactive, "Superseded by #N", and the replaced one inactive once the newer succeeds', async () => {
    const slow = repo.commit('slow build', {
      Dockerfile: `FROM ${BASE_IMAGE}\nRUN ["/bin/busybox", "sleep", "3"]\nCOPY www /www\nEXPOSE 8080\nCMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
      'www/index.html': `${app} slow\n`,
    });
    const running = await deploy('staging', slow);
    await eventually(async () => ((await deployment(running.id)).status === 'BUILDING' ? true : null), 30_000, 'building');
    const older = await deploy('staging', repo.commit('a', { 'www/index.html': `${app} a\n` }));
    const newer = await deploy('staging', repo.commit('b', { 'www/index.html': `${app} b\n` }));
    await finished(older.id, 'CANCELED');
    expect(await statesOf(older.id, 'inactive')).toEqual(['queued: Queued', `inactive: Superseded by #${newer.id}`]);
    await finished(newer.id, 'DEPLOYED');
    await statesOf(newer.id, 'success');
    // The one it replaced: GitHub itself retires an environment's older successful deployment (`auto_inactive`).
    expect((await statesOf(running.id, 'inactive')).slice(-2)).toEqual(['success: Deployed', 'inactive: ']);
  });
});
