import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeMessage, type FakeSlack } from '../fakes/slack-api.ts';
import { signSlackRequest, slashCommandBody } from '../fakes/slack-sign.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { removeAppContainers } from '../support/containers.ts';
import { appYaml, freePort, httpText, randomName, startTestHoist, webAppFiles, BASE_IMAGE, type TestHoist } from '../support/hoist-harness.ts';

const TOKEN = 'xoxb-test-token';
const SECRET = 'test-signing-secret';
const CHANNEL = 'C0DEPLOYS';

describe('deploy from Slack to a real container engine', () => {
  const app = randomName('e2e');
  let slack: FakeSlack;
  let hoist: TestHoist;
  let repo: GitFixture;
  let port: number;
  let v1: string;

  beforeAll(async () => {
    repo = createGitFixture('hoist-e2e-repo');
    v1 = repo.commit('v1', webAppFiles(`hello ${app} v1`));
    repo.git('branch', 'broken');
    repo.git('branch', 'sleepy');
    repo.git('checkout', '--quiet', 'broken');
    repo.commit('broken build', {
      Dockerfile: `FROM ${BASE_IMAGE}\nRUN echo hoist-build-boom: the build step failed && exit 3\n`,
    });
    repo.git('checkout', '--quiet', 'sleepy');
    repo.commit('never healthy', {
      Dockerfile: `FROM ${BASE_IMAGE}\nCMD ["/bin/busybox", "sleep", "600"]\n`,
    });
    repo.git('checkout', '--quiet', 'main');
    port = await freePort();
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    hoist = await startTestHoist({
      yaml: appYaml({ app, repo: repo.dir, port, healthTimeout: '4s' }),
      slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SECRET },
    });
  });

  afterAll(async () => {
    await hoist?.stop();
    await slack?.close();
    await removeAppContainers(app);
    repo?.remove();
  });

  async function slash(text: string, options: { user?: string; sign?: 'good' | 'none' | 'forged' | 'stale'; command?: string } = {}) {
    const body = slashCommandBody({
      command: options.command ?? '/hoist',
      text,
      userId: options.user ?? 'U0ALICE',
      channelId: CHANNEL,
      responseUrl: slack.responseUrl(`r-${Math.random().toString(16).slice(2)}`, { channel: CHANNEL, userId: options.user ?? 'U0ALICE' }),
    });
    const sign = options.sign ?? 'good';
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (sign === 'good') Object.assign(headers, signSlackRequest(body, SECRET));
    if (sign === 'forged') Object.assign(headers, signSlackRequest(body, 'not-the-secret'));
    if (sign === 'stale') Object.assign(headers, signSlackRequest(body, SECRET, Math.floor(Date.now() / 1000) - 600));
    const started = performance.now();
    const res = await fetch(`${hoist.baseUrl}/slack/events`, { method: 'POST', headers, body });
    const text2 = await res.text();
    return { status: res.status, body: text2, ms: performance.now() - started };
  }

  const cardOf = (id: number) => (s: FakeSlack) =>
    s.messages.find((m) => m.channel === CHANNEL && m.threadTs === null && m.text.includes(`#${id}`));
  const finalCard = async (id: number, status: string): Promise<FakeMessage> =>
    slack.waitFor((s) => {
      const card = cardOf(id)(s);
      return card && card.text.includes(status) ? card : null;
    }, 60_000);
  const threadTexts = (card: FakeMessage) => slack.thread(CHANNEL, card.ts).map((m) => m.text);

  it('acks at once, posts the card, reports every transition and ends DEPLOYED with the container answering', async () => {
    const ack = await slash(`deploy ${app} to e2e`);
    expect(ack.status).toBe(200);
    expect(ack.ms).toBeLessThan(1_000);

    const card = await slack.waitFor(cardOf(1), 10_000);
    expect(card.text).toContain(app);
    const done = await finalCard(1, 'DEPLOYED');
    expect(done.ts).toBe(card.ts); // edited in place
    expect(done.history.length).toBeGreaterThan(1);

    await slack.waitFor((s) => s.thread(CHANNEL, card.ts).some((m) => /#1\b.*DEPLOYED/.test(m.text)), 10_000);
    const lines = threadTexts(card);
    const index = (word: string) => lines.findIndex((l) => l.includes(word));
    expect(index('BUILDING')).toBeGreaterThanOrEqual(0);
    expect(index('DEPLOYING')).toBeGreaterThan(index('BUILDING'));
    expect(lines.findIndex((l) => l.includes('DEPLOYED') && !l.includes('DEPLOYING'))).toBeGreaterThan(index('DEPLOYING'));

    expect(await httpText(`http://127.0.0.1:${port}/`)).toEqual({ status: 200, text: `hello ${app} v1\n` });

    const deployment = (await (await hoist.api(`/deployments/1`)).json()) as Record<string, unknown>;
    expect(deployment).toMatchObject({ id: 1, action: 'deploy', status: 'DEPLOYED', sha: v1 });
    expect(deployment.services).toMatchObject([{ name: 'web', status: 'DEPLOYED', version: v1 }]);
    for (const key of ['requestedAt', 'startedAt', 'finishedAt']) expect(Date.parse(String(deployment[key]))).not.toBeNaN();

    const environment = (await (await hoist.api(`/apps/${app}/environments/e2e`)).json()) as Record<string, unknown>;
    expect(environment).toMatchObject({ status: 'DEPLOYED', services: [{ name: 'web', status: 'DEPLOYED', version: v1 }] });

    expect((await fetch(`${hoist.baseUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${hoist.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { postgres: 'ok', redis: 'ok' } });
  });

  it('a failing build ends BUILD_ERROR with the failing step in the thread, mentioning the requester', async () => {
    const ack = await slash(`deploy ${app}@broken to e2e`, { user: 'U0BOB' });
    expect(ack.status).toBe(200);
    const card = await finalCard(2, 'BUILD_ERROR');
    const snippet = await slack.waitFor((s) => s.thread(CHANNEL, card.ts).find((m) => m.text.includes('hoist-build-boom') && m.text.includes('<@U0BOB>')), 10_000);
    expect(JSON.stringify(snippet.blocks)).toMatch(/```[^`]*hoist-build-boom/);
    expect(await httpText(`http://127.0.0.1:${port}/`)).toEqual({ status: 200, text: `hello ${app} v1\n` });
    const deployment = (await (await hoist.api(`/deployments/2`)).json()) as Record<string, unknown>;
    expect(deployment).toMatchObject({ status: 'BUILD_ERROR', services: [{ name: 'web', status: 'BUILD_ERROR' }] });
  });

  it('a container that never gets healthy ends DEPLOYMENT_ERROR while the previous one keeps answering', async () => {
    const ack = await slash(`deploy ${app}@sleepy to e2e`, { user: 'U0CAROL' });
    expect(ack.status).toBe(200);
    const card = await finalCard(3, 'DEPLOYMENT_ERROR');
    await slack.waitFor((s) => s.thread(CHANNEL, card.ts).find((m) => m.text.includes('<@U0CAROL>') && /health|listen|answer/i.test(m.text)), 10_000);
    expect(await httpText(`http://127.0.0.1:${port}/`)).toEqual({ status: 200, text: `hello ${app} v1\n` });
    const environment = (await (await hoist.api(`/apps/${app}/environments/e2e`)).json()) as Record<string, unknown>;
    expect(environment).toMatchObject({ status: 'DEPLOYMENT_ERROR', services: [{ name: 'web', status: 'DEPLOYMENT_ERROR', version: v1 }] });
  });

  it('refuses unsigned, forged and stale requests with 401 and queues nothing', async () => {
    for (const sign of ['none', 'forged', 'stale'] as const) {
      const res = await slash(`deploy ${app} to e2e`, { sign });
      expect(res.status, sign).toBe(401);
    }
    const next = await hoist.api(`/deployments/4`);
    expect(next.status).toBe(404);
  });

  it.each([
    ['deploy nosuchapp to e2e', /no app "nosuchapp"/],
    [`deploy ${app} to nowhere`, /no environment "nowhere"/],
    [`deploy ${app}/api to e2e`, /no service "api"/],
    [`deploy ${app}@--upload-pack=x to e2e`, /starts with "-"/],
    [`deploy ${app}@a..b to e2e`, /contains "\.\."/],
    [`deploy ${app}@x.lock to e2e`, /\.lock/],
    [`deploy ${app}@no-such-branch to e2e`, /no branch, tag or commit "no-such-branch"/],
  ])('answers %j with an ephemeral message naming the problem and the usage', async (text, problem) => {
    const res = await slash(text);
    expect(res.status).toBe(200);
    const ephemeral = await (async () => {
      if (res.body.trim().startsWith('{')) {
        const parsed = JSON.parse(res.body) as { response_type?: string; text?: string };
        if (parsed.text) return parsed;
      }
      // Refusals found after the ack (e.g. a ref that resolves nowhere) come through the response_url.
      const response = await slack.waitFor((s) => s.responses.find((r) => problem.test(String(r.body.text))), 10_000);
      return response.body as { response_type?: string; text?: string };
    })();
    expect(ephemeral.response_type ?? 'ephemeral').toBe('ephemeral');
    expect(ephemeral.text).toMatch(problem);
    expect(ephemeral.text).toContain('deploy <app>');
    const next = await hoist.api(`/deployments/4`);
    expect(next.status).toBe(404);
  });
});
