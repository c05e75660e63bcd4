import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github-api/index.ts';
import { deliverWebhook, pushPayload, signGitHubPayload } from '../fakes/github-webhook.ts';
import { startFakeSlack, type FakeMessage, type FakeSlack } from '../fakes/slack-api.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { removeAppContainers } from '../support/containers.ts';
import { BASE_IMAGE, DOCKER_HOST, REGISTRY, eventually, freePort, httpText, randomName, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';

const TOKEN = 'xoxb-test-token';
const SIGNING = 'test-signing-secret';
const CHANNEL = 'C0PUSHES';
const SECRET = 'webhook-secret-for-tests';
const GH_TOKEN = 'ghp_e2e00000000000000000000000000000000000';

describe('push to deploy through GitHub’s webhook', () => {
  const app = randomName('push');
  let slack: FakeSlack;
  let gh: FakeGitHub;
  let hoist: TestHoist;
  let repo: GitFixture;
  let port: number;
  const sha: Record<string, string> = {};

  const webhookUrl = () => `${hoist.baseUrl}/webhooks/github`;
  const push = (options: { after: string; ref?: string; before?: string; forced?: boolean; deleted?: boolean; message?: string }) =>
    JSON.stringify(pushPayload({ repository: 'acme/shop', ref: options.ref ?? 'main', after: options.after, before: options.before, forced: options.forced, deleted: options.deleted, pusher: 'octocat', message: options.message ?? 'a change' }));
  const deliver = (body: string, extra: Partial<Parameters<typeof deliverWebhook>[2]> = {}) => deliverWebhook(webhookUrl(), SECRET, { event: 'push', body, ...extra });
  const deployments = async () => ((await (await hoist.api(`/deployments?app=${app}`)).json()) as { items: { id: number; sha: string; trigger: string; status: string; push: unknown }[] }).items;
  const deployment = async (id: number) => (await (await hoist.api(`/deployments/${id}`)).json()) as Record<string, unknown> & { status: string };
  const cardOf = (id: number) => (s: FakeSlack) => s.messages.find((m) => m.channel === CHANNEL && m.threadTs === null && m.text.includes(`#${id}`));
  const cardWith = (id: number, ...needles: string[]): Promise<FakeMessage> =>
    slack.waitFor((s) => {
      const card = cardOf(id)(s);
      return card && needles.every((n) => JSON.stringify(card.blocks).includes(n)) ? card : null;
    }, 90_000);
  const finished = (id: number, status: string) => eventually(async () => ((await deployment(id)).status === status ? true : null), 90_000, `#${id} ${status}`);

  beforeAll(async () => {
    repo = createGitFixture('hoist-push-repo');
    sha.v1 = repo.commit('v1', webAppFiles(`${app} v1`));
    port = await freePort();
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    gh = await startFakeGitHub({ token: GH_TOKEN });
    gh.addRepo('acme/shop', repo.dir);
    gh.addUser('alice', 'test@hoist.invalid');
    hoist = await startTestHoist({
      yaml: `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
  ${app}:
    repo: ${repo.dir}
    github: acme/shop
    channels: [${CHANNEL}]
    services:
      web: { type: application, build: { context: . }, port: 8080, health: { path: /, timeout: 20s } }
    environments:
      staging: { target: engine, branch: main, autoDeploy: true, expose: { web: ${port} } }
      manual: { target: engine, branch: main }
      gated: { target: engine, branch: release, autoDeploy: true, approval: { required: 1, approvers: [U0APPROVER] } }
`,
      slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SIGNING },
      env: { GITHUB_TOKEN: GH_TOKEN, GITHUB_API_URL: gh.url, GITHUB_WEBHOOK_SECRET: SECRET },
    });
  });

  afterAll(async () => {
    await hoist?.stop();
    await slack?.close();
    await gh?.close();
    await removeAppContainers(app);
    repo?.remove();
  });

  it('answers ping, and refuses unsigned, wrongly signed and re-signed deliveries with 401 without requesting anything', async () => {
    const ping = await deliverWebhook(webhookUrl(), SECRET, { event: 'ping', body: JSON.stringify({ zen: 'Design for failure.', hook_id: 1 }) });
    expect(ping.status).toBe(200);
    const body = push({ after: sha.v1 ?? '' });
    expect((await deliver(body, { sign: 'none' })).status).toBe(401);
    expect((await deliver(body, { sign: 'wrong' })).status).toBe(401);
    // A good signature, but over another body.
    expect((await deliver(body, { sign: { signature: signGitHubPayload(push({ after: 'b'.repeat(40) }), SECRET) } })).status).toBe(401);
    expect((await deliver(body, { sign: { signature: 'sha256=' } })).status).toBe(401);
    expect(await deployments()).toEqual([]);
    expect(slack.messages.filter((m) => m.channel === CHANNEL)).toEqual([]);
  });

  it('deploys the pushed SHA, not the branch head, with the card Automatic, the pusher and the changelog; the same delivery again does nothing', async () => {
    const first = await deliver(push({ after: sha.v1 ?? '', message: 'v1' }));
    expect(first.status).toBe(202);
    await finished(1, 'DEPLOYED');

    sha.v2 = repo.commit('Add the checkout page', webAppFiles(`${app} v2`));
    sha.v3 = repo.commit('Fix the <cart> total\n\nIt was off by one.', webAppFiles(`${app} v3`));
    gh.linkPull('acme/shop', sha.v2 ?? '', { number: 41, title: 'Checkout' });
    // The branch moves past the pushed SHA before the webhook arrives: deploying "main" would bring v4.
    sha.v4 = repo.commit('v4', webAppFiles(`${app} v4`));
    const delivered = await deliver(push({ before: sha.v1, after: sha.v3 ?? '', message: 'Fix the <cart> total\n\nIt was off by one.' }));
    expect(delivered.status).toBe(202);
    expect(delivered.ms).toBeLessThan(10_000);

    const card = await cardWith(2, 'Automatic', 'Pushed by *octocat*', 'Fix the &lt;cart&gt; total', '*Changes:* 2 commits new', '|#41>', 'Add the checkout page — alice');
    expect(JSON.stringify(card.blocks)).not.toContain('Requested by');
    await finished(2, 'DEPLOYED');
    expect(await httpText(`http://127.0.0.1:${port}/`)).toEqual({ status: 200, text: `${app} v3\n` });
    const d = await deployment(2);
    expect(d).toMatchObject({ sha: sha.v3, trigger: 'webhook', requestedBy: { name: 'octocat' }, push: { pusher: 'octocat', message: 'Fix the <cart> total\n\nIt was off by one.', forced: false } });
    expect(d.changelog).toMatchObject({ from: sha.v1, to: sha.v3, ahead: 2, behind: 0, commits: [{ sha: sha.v2, pull: { number: 41 } }, { sha: sha.v3, pull: null }] });
    expect((await deployments()).find((x) => x.id === 2)).toMatchObject({ trigger: 'webhook', push: { pusher: 'octocat' } });

    const again = await deliver(push({ before: sha.v1, after: sha.v3 ?? '' }), { delivery: delivered.delivery });
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body)).toMatchObject({ duplicate: true });
    expect((await deployments()).map((x) => x.id)).toEqual([2, 1]);
  });

  it('does nothing for a push to another branch, a tag or a deleted branch', async () => {
    repo.git('branch', 'feature', sha.v4 ?? '');
    const pushes = [push({ ref: 'feature', after: sha.v4 ?? '' }), push({ ref: 'refs/tags/v4', after: sha.v4 ?? '' }), push({ ref: 'main', before: sha.v3, after: '0'.repeat(40), deleted: true })];
    const reasons: string[] = [];
    for (const body of pushes) {
      const delivered = await deliver(body);
      expect(delivered.status).toBe(202);
      // Redelivered, a delivery answers what it did once it is done.
      const done = await eventually(async () => {
        const again = JSON.parse((await deliver(body, { delivery: delivered.delivery })).body) as { pending?: boolean; outcomes?: { kind: string; reason: string }[] };
        return again.pending ? null : again;
      }, 10_000, 'the delivery carried out');
      reasons.push(...(done.outcomes ?? []).map((o) => `${o.kind}: ${o.reason}`));
    }
    expect(reasons).toEqual(['ignored: no environment deploys acme/shop feature on push', 'ignored: refs/tags/v4 is not a branch', 'ignored: refs/heads/main was deleted']);
    expect((await deployments()).map((x) => x.id)).toEqual([2, 1]);
  });

  it('marks a forced push that goes back: "this rolls back N commits"', async () => {
    const delivered = await deliver(push({ before: sha.v4, after: sha.v1 ?? '', forced: true, message: 'v1' }));
    expect(delivered.status).toBe(202);
    const card = await cardWith(3, ':warning: *forced push*', 'this rolls back 2 commits');
    expect(JSON.stringify(card.blocks)).toContain(`compare/${sha.v3}...${sha.v1}|compare>`);
    await finished(3, 'DEPLOYED');
    expect((await deployment(3)).changelog).toMatchObject({ ahead: 0, behind: 2, commits: [] });
  });

  it('shows both counts for a diverged deploy', async () => {
    repo.git('checkout', '--quiet', '-b', 'hotfix', sha.v1 ?? '');
    sha.h1 = repo.commit('Hotfix', webAppFiles(`${app} hotfix`));
    repo.git('checkout', '--quiet', 'main');
    // Now v3 runs... roll forward to v3 first, then push the hotfix line over it.
    expect((await deliver(push({ after: sha.v3 ?? '', message: 'v3' }))).status).toBe(202);
    await finished(4, 'DEPLOYED');
    expect((await deliver(push({ before: sha.v3, after: sha.h1 ?? '', forced: true, message: 'Hotfix' }))).status).toBe(202);
    await cardWith(5, '1 commit new, and this rolls back 2 commits', 'Hotfix');
    expect((await deployment(5)).changelog).toMatchObject({ ahead: 1, behind: 2 });
    await finished(5, 'DEPLOYED');
  });

  it('runs the newest of a burst of pushes; the older ones still waiting end superseded', async () => {
    repo.git('checkout', '--quiet', 'main');
    // A slow build holds the environment while the burst arrives.
    sha.slow = repo.commit('slow build', {
      Dockerfile: `FROM ${BASE_IMAGE}\nRUN ["/bin/busybox", "sleep", "4"]\nCOPY www /www\nEXPOSE 8080\nCMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
      'www/index.html': `${app} slow\n`,
    });
    expect((await deliver(push({ after: sha.slow ?? '' }))).status).toBe(202);
    await eventually(async () => ((await deployment(6)).status === 'BUILDING' ? true : null), 30_000, '#6 building');
    const burst: string[] = [];
    for (let i = 1; i <= 3; i++) burst.push(repo.commit(`burst ${i}`, { 'www/index.html': `${app} burst ${i}\n` }));
    for (const after of burst) expect((await deliver(push({ after }))).status).toBe(202);
    await eventually(async () => ((await deployments()).length >= 9 ? true : null), 10_000, 'three more deployments');
    const [p1, p2, p3] = [7, 8, 9];
    await finished(p1, 'CANCELED');
    await finished(p2, 'CANCELED');
    expect(await deployment(p1)).toMatchObject({ sha: burst[0], reason: `superseded by #${p2}` });
    expect(await deployment(p2)).toMatchObject({ sha: burst[1], reason: `superseded by #${p3}` });
    await finished(6, 'DEPLOYED');
    await finished(p3, 'DEPLOYED');
    expect(await httpText(`http://127.0.0.1:${port}/`)).toEqual({ status: 200, text: `${app} burst 3\n` });
  });

  it('skips a push to a locked environment and says so in the channel; an environment with approval waits for it', async () => {
    const before = (await deployments()).length;
    const locked = await hoist.api(`/apps/${app}/environments/staging/lock`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'incident 88' }) });
    expect(locked.status).toBe(200);
    const next = repo.commit('while locked', { 'www/index.html': `${app} locked\n` });
    const body = push({ after: next });
    const delivered = await deliver(body);
    expect(delivered.status).toBe(202);
    await slack.waitFor((s) => s.messages.find((m) => m.channel === CHANNEL && m.text.includes(`Automatic deploy \`${next}\``) && m.text.includes('skipped') && m.text.includes('incident 88')), 10_000);
    const done = await eventually(async () => {
      const again = JSON.parse((await deliver(body, { delivery: delivered.delivery })).body) as { pending?: boolean; outcomes?: unknown[] };
      return again.pending ? null : again;
    }, 10_000, 'the delivery carried out');
    expect(done.outcomes).toEqual([{ app, env: 'staging', ok: false }]);
    expect((await deployments()).length).toBe(before);

    repo.git('branch', 'release', next);
    expect((await deliver(push({ ref: 'release', after: next }))).status).toBe(202);
    const waiting = await eventually(async () => (await deployments()).find((d) => d.sha === next && d.status === 'AWAITING_APPROVAL'), 10_000, 'a deploy awaiting approval');
    expect(waiting).toMatchObject({ trigger: 'webhook', push: { pusher: 'octocat' } });
    expect((await deployment(waiting.id)).env).toBe('gated');
  });
});
