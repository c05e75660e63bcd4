import { readFileSync } from 'node:fs';
import { Octokit } from '@octokit/rest';
import { Webhooks } from '@octokit/webhooks';
import { createAppAuth } from '@octokit/auth-app';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctokit } from '../../src/engine/source/github/octokit.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { startFakeGitHub, type FakeGitHub } from './github-api/index.ts';
import { signGitHubPayload } from './github-webhook.ts';

// The fake driven through Octokit, as Hoist drives GitHub.

const TOKEN = 'ghp_testtoken0000000000000000000000000000';
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('fake GitHub REST API', () => {
  let gh: FakeGitHub;
  let repo: GitFixture;
  const shas: Record<string, string> = {};
  let octokit: Octokit;

  beforeAll(async () => {
    repo = createGitFixture('hoist-fake-gh');
    shas.base = repo.commit('base', { 'a.txt': 'a' });
    for (let i = 1; i <= 5; i++) shas[`m${i}`] = repo.commit(`main ${i}\n\nbody ${i}`, { 'a.txt': `a${i}` });
    repo.git('checkout', '--quiet', '-b', 'topic', shas.m2 ?? '');
    shas.t1 = repo.commit('topic 1', { 'b.txt': 'b' });
    repo.git('checkout', '--quiet', 'main');
    gh = await startFakeGitHub({ token: TOKEN, rateLimit: 1000 });
    gh.addRepo('acme/shop', repo.dir, { installationId: 77 });
    gh.addUser('hoist-tester', 'test@hoist.invalid');
    octokit = new Octokit({ baseUrl: gh.url, auth: TOKEN, log: quiet });
  });

  afterAll(async () => {
    await gh?.close();
    repo?.remove();
  });

  it('compares two commits as GitHub does: ahead_by, behind_by, status, commits oldest first with linked authors', async () => {
    const ahead = await octokit.rest.repos.compareCommitsWithBasehead({ owner: 'acme', repo: 'shop', basehead: `${shas.m1}...${shas.m4}` });
    expect(ahead.data).toMatchObject({ status: 'ahead', ahead_by: 3, behind_by: 0, total_commits: 3, html_url: `https://github.com/acme/shop/compare/${shas.m1}...${shas.m4}` });
    expect(ahead.data.commits.map((c) => c.sha)).toEqual([shas.m2, shas.m3, shas.m4]);
    expect(ahead.data.commits[0]).toMatchObject({ commit: { message: 'main 2\n\nbody 2', author: { name: 'Hoist Test', email: 'test@hoist.invalid' } }, author: { login: 'hoist-tester' } });
    expect(ahead.data.base_commit.sha).toBe(shas.m1);
    expect(ahead.data.files?.map((f) => f.filename)).toEqual(['a.txt']);

    const behind = await octokit.rest.repos.compareCommitsWithBasehead({ owner: 'acme', repo: 'shop', basehead: `${shas.m4}...${shas.m1}` });
    expect(behind.data).toMatchObject({ status: 'behind', ahead_by: 0, behind_by: 3, commits: [] });
    const diverged = await octokit.rest.repos.compareCommitsWithBasehead({ owner: 'acme', repo: 'shop', basehead: `${shas.m4}...${shas.t1}` });
    expect(diverged.data).toMatchObject({ status: 'diverged', ahead_by: 1, behind_by: 2, merge_base_commit: { sha: shas.m2 } });
    const same = await octokit.rest.repos.compareCommitsWithBasehead({ owner: 'acme', repo: 'shop', basehead: 'main...main' });
    expect(same.data).toMatchObject({ status: 'identical', ahead_by: 0, behind_by: 0 });
    await expect(octokit.rest.repos.compareCommitsWithBasehead({ owner: 'acme', repo: 'shop', basehead: `main...${'f'.repeat(40)}` })).rejects.toMatchObject({ status: 404 });
  });

  it('answers a compare with the fields of GitHub’s documented "Compare two commits" example', async () => {
    const documented = JSON.parse(readFileSync(new URL('../fixtures/github/compare.json', import.meta.url), 'utf8')) as Record<string, unknown> & { commits: Record<string, unknown>[]; files: Record<string, unknown>[] };
    const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ owner: 'acme', repo: 'shop', basehead: `${shas.m1}...${shas.m2}` });
    const answer = data as unknown as typeof documented;
    expect(Object.keys(answer).sort()).toEqual(Object.keys(documented).sort());
    const keysOf = (value: unknown): string[] => Object.keys(value as object).sort();
    const documentedCommit = documented.commits[0] as Record<string, unknown>;
    const commit = answer.commits[0] as Record<string, unknown>;
    expect(keysOf(commit)).toEqual(keysOf(documentedCommit));
    expect(keysOf(commit.commit)).toEqual(keysOf(documentedCommit.commit));
    expect(keysOf(commit.author)).toEqual(keysOf(documentedCommit.author));
    for (const key of keysOf((documentedCommit.commit as { verification: object }).verification)) expect((commit.commit as { verification: object }).verification).toHaveProperty(key);
    for (const key of keysOf((documentedCommit.parents as object[])[0])) expect((commit.parents as object[])[0]).toHaveProperty(key);
    expect(keysOf(answer.files[0])).toEqual(keysOf(documented.files[0]));
    expect(answer.files[0]).toMatchObject({ filename: 'a.txt', status: 'modified', additions: 1, deletions: 1, changes: 2, patch: expect.stringMatching(/^@@ -1 \+1 @@/) });
    for (const [key, value] of Object.entries(documented)) expect([key, typeof answer[key]]).toEqual([key, typeof value]);
  });

  it('pages with Link headers (next, last, first, prev) that Octokit follows', async () => {
    const first = await octokit.rest.repos.compareCommitsWithBasehead({ owner: 'acme', repo: 'shop', basehead: `${shas.base}...${shas.m5}`, per_page: 2, page: 1 });
    expect(first.data.commits).toHaveLength(2);
    expect(first.headers.link).toContain('rel="next"');
    expect(first.headers.link).toContain('page=3');
    const last = await octokit.rest.repos.compareCommitsWithBasehead({ owner: 'acme', repo: 'shop', basehead: `${shas.base}...${shas.m5}`, per_page: 2, page: 3 });
    expect(last.data.commits.map((c) => c.sha)).toEqual([shas.m5]);
    expect(last.headers.link).toContain('rel="prev"');
    expect(last.data.files).toBeUndefined();
    for (let i = 0; i < 3; i++) await octokit.rest.repos.createDeployment({ owner: 'acme', repo: 'shop', ref: 'main', environment: `paged-${i}`, required_contexts: [] });
    const all = await octokit.paginate(octokit.rest.repos.listDeployments, { owner: 'acme', repo: 'shop', per_page: 1 });
    expect(all.length).toBeGreaterThanOrEqual(3);
  });

  it('answers every request with rate-limit headers, and 403 once the hour’s requests are used up', async () => {
    const limited = await startFakeGitHub({ token: TOKEN, rateLimit: 2 });
    try {
      limited.addRepo('acme/shop', repo.dir);
      const client = new Octokit({ baseUrl: limited.url, auth: TOKEN, log: quiet });
      const ok = await client.rest.repos.get({ owner: 'acme', repo: 'shop' });
      expect(ok.headers).toMatchObject({ 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '1', 'x-ratelimit-used': '1', 'x-ratelimit-resource': 'core' });
      expect(Number(ok.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
      await client.rest.repos.get({ owner: 'acme', repo: 'shop' });
      const refused = await client.rest.repos.get({ owner: 'acme', repo: 'shop' }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ status: 403, response: { headers: { 'x-ratelimit-remaining': '0' }, data: { message: expect.stringContaining('API rate limit exceeded') } } });
    } finally {
      await limited.close();
    }
  });

  it('answers secondary rate limits and 429 with Retry-After, which Hoist’s Octokit waits out before it tries again', async () => {
    gh.faults.secondaryRateLimit(1, 1, /\/repos\/acme\/shop$/);
    const raw = await octokit.rest.repos.get({ owner: 'acme', repo: 'shop' }).catch((e: unknown) => e);
    expect(raw).toMatchObject({ status: 403, response: { headers: { 'retry-after': '1' }, data: { message: expect.stringContaining('secondary rate limit') } } });

    const hoist = createOctokit({ baseUrl: gh.url, auth: TOKEN, logger: pino({ level: 'silent' }) });
    gh.faults.secondaryRateLimit(1, 1, /\/repos\/acme\/shop$/);
    let started = performance.now();
    expect((await hoist.rest.repos.get({ owner: 'acme', repo: 'shop' })).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    gh.faults.tooManyRequests(1, 1, /\/repos\/acme\/shop$/);
    started = performance.now();
    expect((await hoist.rest.repos.get({ owner: 'acme', repo: 'shop' })).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    // A wait longer than Hoist allows is not waited for: the caller tries later.
    const impatient = createOctokit({ baseUrl: gh.url, auth: TOKEN, logger: pino({ level: 'silent' }), maxWaitS: 0 });
    gh.faults.secondaryRateLimit(1, 60, /\/repos\/acme\/shop$/);
    await expect(impatient.rest.repos.get({ owner: 'acme', repo: 'shop' })).rejects.toMatchObject({ status: 403 });
    gh.faults.failNext(1, 502, /\/repos\/acme\/shop$/);
    expect((await hoist.rest.repos.get({ owner: 'acme', repo: 'shop' })).status).toBe(200);
  });

  it('holds matching requests unanswered during a stall, answers others, and answers the held ones at its end', async () => {
    const stall = gh.faults.stall({ path: /\/repos\/acme\/shop$/ });
    let answered = false;
    const held = octokit.rest.repos.get({ owner: 'acme', repo: 'shop' }).then((r) => {
      answered = true;
      return r;
    });
    await expect.poll(() => stall.held().length).toBe(1);
    expect(stall.held()[0]).toMatchObject({ method: 'GET', path: '/repos/acme/shop', status: 0 });
    // Another path is answered meanwhile.
    expect((await octokit.rest.repos.getCommit({ owner: 'acme', repo: 'shop', ref: shas.base ?? '' })).status).toBe(200);
    expect(answered).toBe(false);
    stall.end();
    expect((await held).status).toBe(200);
    expect(stall.held()).toEqual([]);
    expect((await octokit.rest.repos.get({ owner: 'acme', repo: 'shop' })).status).toBe(200);
  });

  it('creates deployments with their real fields, refuses bad ones (422, 409) and keeps statuses', async () => {
    const created = await octokit.rest.repos.createDeployment({ owner: 'acme', repo: 'shop', ref: 'main', environment: 'staging', description: 'Deploy request from hubot', payload: { deploy: 'migrate' }, required_contexts: [] });
    expect(created.status).toBe(201);
    const d = created.data as Extract<typeof created.data, { id: number }>;
    expect(d).toMatchObject({ sha: shas.m5, ref: 'main', task: 'deploy', environment: 'staging', original_environment: 'staging', payload: { deploy: 'migrate' }, production_environment: false, transient_environment: false, creator: { login: 'hoist-bot' } });
    expect(d.statuses_url).toBe(`${gh.url}/repos/acme/shop/deployments/${d.id}/statuses`);
    for (const key of ['url', 'id', 'node_id', 'created_at', 'updated_at', 'repository_url']) expect(d).toHaveProperty(key);

    await expect(octokit.request('POST /repos/{owner}/{repo}/deployments', { owner: 'acme', repo: 'shop' } as never)).rejects.toMatchObject({ status: 422 });
    await expect(octokit.rest.repos.createDeployment({ owner: 'acme', repo: 'shop', ref: 'no-such-branch' })).rejects.toMatchObject({ status: 422, response: { data: { message: 'No ref found for: no-such-branch' } } });
    await octokit.rest.repos.createCommitStatus({ owner: 'acme', repo: 'shop', sha: shas.m5 ?? '', state: 'failure', context: 'ci/test' });
    await expect(octokit.rest.repos.createDeployment({ owner: 'acme', repo: 'shop', ref: 'main' })).rejects.toMatchObject({ status: 409, response: { data: { errors: [{ field: 'required_contexts', contexts: [{ context: 'ci/test', state: 'failure' }] }] } } });

    await expect(octokit.rest.repos.createDeploymentStatus({ owner: 'acme', repo: 'shop', deployment_id: d.id, state: 'bogus' as never })).rejects.toMatchObject({ status: 422, response: { data: { message: 'Validation Failed', errors: [{ resource: 'DeploymentStatus', field: 'state', code: 'invalid' }] } } });
    await expect(octokit.rest.repos.createDeploymentStatus({ owner: 'acme', repo: 'shop', deployment_id: d.id, state: 'success', description: 'x'.repeat(141) })).rejects.toMatchObject({ status: 422 });
    const status = await octokit.rest.repos.createDeploymentStatus({ owner: 'acme', repo: 'shop', deployment_id: d.id, state: 'success', log_url: 'https://hoist.example/d/1', environment_url: 'https://staging.example' });
    expect(status.data).toMatchObject({ state: 'success', log_url: 'https://hoist.example/d/1', target_url: 'https://hoist.example/d/1', environment_url: 'https://staging.example', deployment_url: `${gh.url}/repos/acme/shop/deployments/${d.id}` });
    // auto_inactive: a newer success of the same environment retires the older one.
    const next = (await octokit.rest.repos.createDeployment({ owner: 'acme', repo: 'shop', ref: shas.m4 ?? '', environment: 'staging', required_contexts: [] })).data as { id: number };
    await octokit.rest.repos.createDeploymentStatus({ owner: 'acme', repo: 'shop', deployment_id: next.id, state: 'success' });
    const older = await octokit.rest.repos.listDeploymentStatuses({ owner: 'acme', repo: 'shop', deployment_id: d.id });
    expect(older.data.map((s) => s.state)).toEqual(['inactive', 'success']);
  });

  it('answers GitHub’s documented "Create a deployment" example with the fields of its documented answer', async () => {
    const documented = JSON.parse(readFileSync(new URL('../fixtures/github/deployment.json', import.meta.url), 'utf8')) as Record<string, unknown> & { creator: Record<string, unknown> };
    repo.git('branch', 'topic-branch', shas.m3 ?? '');
    // The documented request body, verbatim.
    const created = await octokit.request('POST /repos/{owner}/{repo}/deployments', {
      owner: 'acme',
      repo: 'shop',
      ref: 'topic-branch',
      payload: '{ "deploy": "migrate" }',
      description: 'Deploy request from hubot',
      required_contexts: [],
    });
    expect(created.status).toBe(201);
    const d = created.data as Record<string, unknown> & { creator: Record<string, unknown> };
    expect(Object.keys(d).sort()).toEqual(Object.keys(documented).sort());
    expect(Object.keys(d.creator).sort()).toEqual(Object.keys(documented.creator).sort());
    for (const [key, value] of Object.entries(documented)) expect([key, typeof d[key]]).toEqual([key, typeof value]);
    expect(d).toMatchObject({ ref: 'topic-branch', sha: shas.m3, task: 'deploy', environment: 'production', original_environment: 'production', production_environment: true, description: 'Deploy request from hubot', payload: { deploy: 'migrate' } });
    expect(String(d.created_at)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('sums commit statuses and lists check runs', async () => {
    const sha = shas.m3 ?? '';
    await octokit.rest.repos.createCommitStatus({ owner: 'acme', repo: 'shop', sha, state: 'pending', context: 'ci/build' });
    expect((await octokit.rest.repos.getCombinedStatusForRef({ owner: 'acme', repo: 'shop', ref: sha })).data).toMatchObject({ state: 'pending', total_count: 1 });
    await octokit.rest.repos.createCommitStatus({ owner: 'acme', repo: 'shop', sha, state: 'success', context: 'ci/build' });
    expect((await octokit.rest.repos.getCombinedStatusForRef({ owner: 'acme', repo: 'shop', ref: sha })).data).toMatchObject({ state: 'success', statuses: [{ context: 'ci/build', state: 'success' }] });
    await expect(octokit.rest.repos.createCommitStatus({ owner: 'acme', repo: 'shop', sha, state: 'weird' as never })).rejects.toMatchObject({ status: 422 });
    gh.addCheckRun('acme/shop', { head_sha: sha, name: 'lint', status: 'completed', conclusion: 'success' });
    gh.addCheckRun('acme/shop', { head_sha: sha, name: 'e2e', status: 'in_progress', conclusion: null, completed: false });
    const runs = await octokit.rest.checks.listForRef({ owner: 'acme', repo: 'shop', ref: sha });
    expect(runs.data.total_count).toBe(2);
    expect(runs.data.check_runs.map((r) => [r.name, r.status, r.conclusion])).toEqual([['lint', 'completed', 'success'], ['e2e', 'in_progress', null]]);
  });

  it('lists the pull requests a commit belongs to', async () => {
    gh.linkPull('acme/shop', shas.m2 ?? '', { number: 42, title: 'Main two' });
    const pulls = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ owner: 'acme', repo: 'shop', commit_sha: shas.m2 ?? '' });
    expect(pulls.data).toMatchObject([{ number: 42, title: 'Main two', html_url: 'https://github.com/acme/shop/pull/42' }]);
    expect((await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ owner: 'acme', repo: 'shop', commit_sha: shas.m3 ?? '' })).data).toEqual([]);
  });

  it('is a GitHub App: JWT for the App’s endpoints, installation tokens that expire, 401 for bad credentials', async () => {
    const anonymous = new Octokit({ baseUrl: gh.url, log: quiet });
    await expect(anonymous.rest.apps.getRepoInstallation({ owner: 'acme', repo: 'shop' })).rejects.toMatchObject({ status: 401 });
    const app = new Octokit({ baseUrl: gh.url, authStrategy: createAppAuth, auth: { appId: gh.app.id, privateKey: gh.app.privateKey }, log: quiet });
    const installation = await app.rest.apps.getRepoInstallation({ owner: 'acme', repo: 'shop' });
    expect(installation.data).toMatchObject({ id: 77, app_id: gh.app.id });
    const minted = (await app.auth({ type: 'installation', installationId: 77 })) as { token: string; expiresAt: string };
    expect(minted.token).toMatch(/^ghs_/);
    expect(Date.parse(minted.expiresAt) - Date.now()).toBeGreaterThan(59 * 60_000);
    const asInstallation = new Octokit({ baseUrl: gh.url, auth: minted.token, log: quiet });
    expect((await asInstallation.rest.repos.get({ owner: 'acme', repo: 'shop' })).status).toBe(200);
    const wrongKey = new Octokit({ baseUrl: gh.url, auth: 'ghp_not-a-token', log: quiet });
    await expect(wrongKey.rest.repos.get({ owner: 'acme', repo: 'shop' })).rejects.toMatchObject({ status: 401, response: { data: { message: 'Bad credentials' } } });
  });
});

describe('webhook signatures', () => {
  it('GitHub’s documented test vector: the fake signs as GitHub does, and @octokit/webhooks verifies it', async () => {
    const signature = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(signGitHubPayload('Hello, World!', "It's a Secret to Everybody")).toBe(signature);
    const webhooks = new Webhooks({ secret: "It's a Secret to Everybody" });
    expect(await webhooks.verify('Hello, World!', signature)).toBe(true);
    expect(await webhooks.verify('Hello, World?', signature)).toBe(false);
  });
});
