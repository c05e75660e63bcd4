import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { signSlackRequest, slashCommandBody } from '../fakes/slack-sign.ts';
import { removeAppContainers, testDocker } from '../support/containers.ts';
import { appYaml, BASE_IMAGE, eventually, freePort, httpText, randomName, REGISTRY, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';

const TOKEN = 'xoxb-cancel';
const SECRET = 'cancel-secret';
const CHANNEL = 'C0CANCEL';

describe('cancel of a running deployment', () => {
  const app = randomName('cnl');
  const marker = `sleep 41${Math.floor(Math.random() * 9)}`;
  let slack: FakeSlack;
  let hoist: TestHoist;
  let repo: GitFixture;
  let port: number;
  let slowSha: string;

  beforeAll(async () => {
    repo = createGitFixture('hoist-cancel');
    repo.commit('v1', webAppFiles(`hello ${app} v1`));
    repo.git('checkout', '--quiet', '-b', 'slow');
    slowSha = repo.commit('slow', {
      Dockerfile: `FROM ${BASE_IMAGE}\nRUN ${marker}\nCOPY www /www\nCMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
    });
    repo.git('checkout', '--quiet', 'main');
    port = await freePort();
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    hoist = await startTestHoist({ yaml: appYaml({ app, repo: repo.dir, port }), slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SECRET } });
  });

  afterAll(async () => {
    await hoist?.stop();
    await slack?.close();
    await removeAppContainers(app);
    repo?.remove();
  });

  async function slash(text: string): Promise<void> {
    const body = slashCommandBody({ command: '/hoist', text, userId: 'U0DAN', channelId: CHANNEL, responseUrl: slack.responseUrl(`c-${Math.random()}`) });
    const res = await fetch(`${hoist.baseUrl}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(body, SECRET) },
      body,
    });
    expect(res.status).toBe(200);
  }

  const deployment = async (id: number) => (await (await hoist.api(`/deployments/${id}`)).json()) as { status: string; finishedAt: string | null };

  it('stops the build at once, in Hoist and in the engine, and the previous version keeps serving', async () => {
    await slash(`deploy ${app} to e2e`);
    await eventually(async () => (await deployment(1)).status === 'DEPLOYED', 60_000, '#1 deployed');
    await slash(`deploy ${app}@slow to e2e`);
    // The slow step runs in the engine.
    await eventually(() => execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).includes(marker), 30_000, 'the slow build step to run');
    const asked = Date.now();
    await slash('cancel #2');
    await eventually(async () => (await deployment(2)).status === 'CANCELED', 5_000, '#2 canceled');
    expect(Date.now() - asked).toBeLessThan(2_000);
    await eventually(() => !execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).includes(marker), 2_000, 'the build step to be stopped in the engine');

    expect(await httpText(`http://127.0.0.1:${port}/`)).toEqual({ status: 200, text: `hello ${app} v1\n` });
    const images = await testDocker().listImages({ filters: { reference: [`${REGISTRY}/${app}-web:${slowSha}`] } });
    expect(images).toEqual([]);
    const card = await slack.waitFor((s) => s.messages.find((m) => m.channel === CHANNEL && m.threadTs === null && m.text.includes('#2') && m.text.includes('CANCELED')), 10_000);
    await slack.waitFor((s) => s.thread(CHANNEL, card.ts).some((m) => /web/.test(m.text) && /runs|running/i.test(m.text)), 10_000);
  });
});
