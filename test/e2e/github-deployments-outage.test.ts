import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github-api/index.ts';
import { removeAppContainers } from '../support/containers.ts';
import { DOCKER_HOST, REGISTRY, eventually, freePort, randomName, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';
import { scrape, valueOf } from '../support/prometheus-text.ts';

const GH_TOKEN = 'ghp_ghoutage000000000000000000000000000000';

interface Run {
  id: number;
  status: string;
}

/**
 * GitHub down (500), rate-limited (403, none remaining) or not answering at all for the whole of
 * a deployment: the deployment ends as it would have, without waiting for GitHub, and its GitHub
 * statuses arrive once GitHub answers again; the failures show in the log and the metrics meanwhile.
 */
describe('GitHub Deployments while GitHub is down or rate-limited', () => {
  const app = randomName('gho');
  let gh: FakeGitHub;
  let hoist: TestHoist;
  let repo: GitFixture;
  let log = '';

  const deployment = async (id: number) => (await (await hoist.api(`/deployments/${id}`)).json()) as { status: string; startedAt: string | null; finishedAt: string | null };
  /** Deploys `sha` to staging and waits for it to end: its status. */
  const run = async (sha: string): Promise<Run> => {
    const answer = await hoist.api(`/apps/${app}/environments/staging/deployments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'deploy', ref: sha }) });
    const { id } = ((await answer.json()) as { deployment: { id: number } }).deployment;
    const done = await eventually(async () => {
      const d = await deployment(id);
      return d.finishedAt === null ? null : d;
    }, 90_000, `#${id} to end`);
    return { id, status: done.status };
  };
  const retriesLogged = (what: string) =>
    log.split('\n').some((line) => line.includes('"consumer":"github-deployments"') && line.includes('event delivery failed; will retry') && line.includes(what));
  const statesOf = (id: number) =>
    gh.deployments.find((d) => (d.payload as { hoist?: { deploymentId?: number } } | null)?.hoist?.deploymentId === id)?.statuses.map((s) => s.state) ?? [];
  const reported = (id: number) => eventually(() => (statesOf(id).at(-1) === 'success' ? statesOf(id) : null), 90_000, `#${id}'s statuses on GitHub`);

  beforeAll(async () => {
    repo = createGitFixture('hoist-ghoutage-repo');
    repo.commit('v0', webAppFiles(`${app} v0`));
    gh = await startFakeGitHub({ token: GH_TOKEN });
    gh.addRepo('acme/shop', repo.dir);
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        log += chunk.toString();
        done();
      },
    });
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
      staging: { target: engine, expose: { web: ${await freePort()} } }
`,
      env: { GITHUB_TOKEN: GH_TOKEN, GITHUB_API_URL: gh.url },
      logger: createLogger('warn', sink),
    });
  });

  afterAll(async () => {
    await hoist?.stop();
    await gh?.close();
    await removeAppContainers(app);
    repo?.remove();
  });

  it('neither fails nor holds up a deployment, and reports it once GitHub answers again', async () => {
    // Two versions, built once: each later deploy replaces the running version with an image already in the registry.
    const a = repo.commit('a', webAppFiles(`${app} a`));
    const b = repo.commit('b', webAppFiles(`${app} b`));
    expect((await run(a)).status).toBe('DEPLOYED');
    expect((await run(b)).status).toBe('DEPLOYED');
    const baseline = await run(a);
    expect(baseline.status).toBe('DEPLOYED');
    const expected = await reported(baseline.id);
    expect(expected).toEqual(['queued', 'in_progress', 'in_progress', 'success']);

    const versions = [b, a];
    for (const kind of ['server-error', 'rate-limited'] as const) {
      const asked = gh.requests.length;
      const outage = gh.faults.outage(kind);
      const during = await run(versions.shift() ?? '');
      // Down from before the request to after the end: GitHub is asked and fails, and nothing of the deployment reaches it.
      const status = kind === 'server-error' ? 500 : 403;
      const failed = await eventually(() => {
        const seen = gh.requests.slice(asked).filter((r) => r.path.endsWith('/deployments') && r.method === 'POST');
        return seen.length > 0 ? seen : null;
      }, 30_000, `GitHub to answer ${status}`);
      expect(failed.every((r) => r.status === status)).toBe(true);
      expect(statesOf(during.id)).toEqual([]);
      // Octokit's own retries outlast a short outage; this one lasts until the event log holds the event for a later try, and the log says so.
      await eventually(() => retriesLogged(`answered ${status}`), 60_000, `a logged retry after ${status}`);
      outage.end();

      expect(during.status).toBe('DEPLOYED');
      expect(await reported(during.id)).toEqual(expected);
    }
    // GitHub not answering at all: the deployment ends while Hoist's request about it is still
    // held unanswered, so nothing of the deployment waits on GitHub (shown by order, not by a clock).
    const stall = gh.faults.stall({ path: /\/deployments$/ });
    const stalled = await run(b);
    expect(stalled.status).toBe('DEPLOYED');
    const held = await eventually(() => {
      const posts = stall.held().filter((r) => r.method === 'POST');
      return posts.length > 0 ? posts : null;
    }, 30_000, 'Hoist to ask GitHub (held unanswered)');
    expect(held.length).toBe(1);
    expect(statesOf(stalled.id)).toEqual([]);
    stall.end();
    expect(await reported(stalled.id)).toEqual(expected);

    const { families } = await scrape(`${hoist.baseUrl}/metrics`);
    expect(valueOf(families, 'hoist_call_errors_total', { system: 'github', kind: 'server_error' })).toBeGreaterThan(0);
    expect(valueOf(families, 'hoist_call_errors_total', { system: 'github', kind: 'rate_limited' })).toBeGreaterThan(0);
  });
});
