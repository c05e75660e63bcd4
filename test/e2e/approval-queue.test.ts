import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeMessage, type FakeSlack } from '../fakes/slack-api.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { removeAppContainers } from '../support/containers.ts';
import { BASE_IMAGE, channelAppYaml, eventually, randomName, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';
import { buttonsOf, cardOf, slackUser, type SlackUser } from '../support/slack-user.ts';

const TOKEN = 'xoxb-approval-queue';
const SECRET = 'approval-queue-secret';
const CHANNEL = 'C0APQUEUE';
const REQUESTER = 'U0ALICE';
const APPROVER = 'U0BOB';

interface DeploymentJson {
  id: number;
  action: string;
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface EnvironmentJson {
  queue: { id: number; position: number | null }[];
  services: { name: string; version: string | null }[];
}

describe('an environment awaiting approval keeps serving other actions, and an approved deploy queues behind them', () => {
  const app = randomName('apq');
  let slack: FakeSlack;
  let hoist: TestHoist;
  let chat: SlackUser;
  let repo: GitFixture;
  let slowSha: string;
  let nextSha: string;

  beforeAll(async () => {
    repo = createGitFixture('hoist-approval-queue');
    // Healthy a few seconds after each start, so a restart holds the environment that long. The
    // shell ends on SIGTERM, so replacing or restarting it does not wait for the stop timeout.
    slowSha = repo.commit('slow start', {
      Dockerfile: `FROM ${BASE_IMAGE}\nCOPY www /www\nCMD ["/bin/busybox", "sh", "-c", "trap 'exit 0' TERM; sleep 6 & wait; /bin/busybox httpd -f -p 8080 -h /www & wait"]\n`,
      'www/index.html': `slow ${app}\n`,
    });
    nextSha = repo.commit('next', webAppFiles(`hello ${app}`));
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    hoist = await startTestHoist({
      yaml: channelAppYaml({
        app,
        repo: repo.dir,
        channel: CHANNEL,
        environments: `      production:
        target: engine
        approval: { required: 1, approvers: [${APPROVER}], actions: [deploy] }
`,
      }),
      slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SECRET },
    });
    chat = slackUser({ baseUrl: hoist.baseUrl, slack, secret: SECRET, channel: CHANNEL });
  });

  afterAll(async () => {
    await hoist?.stop();
    await slack?.close();
    await removeAppContainers(app);
    repo?.remove();
  });

  const getJson = async <T>(path: string): Promise<T> => (await (await hoist.api(`${path}`)).json()) as T;
  const deploymentOf = (id: number) => getJson<DeploymentJson>(`/deployments/${id}`);
  const environment = () => getJson<EnvironmentJson>(`/apps/${app}/environments/production`);
  const queued = (view: EnvironmentJson) => view.queue.map((q) => [q.id, q.position]);
  const ended = (id: number, status: string) =>
    eventually(async () => ((await deploymentOf(id)).status === status ? true : null), 90_000, `#${id} to end ${status}`);
  const started = (id: number) => eventually(async () => (await deploymentOf(id)).startedAt !== null, 30_000, `#${id} to start`);

  const cards = (s: FakeSlack) => s.messages.filter((m) => m.threadTs === null && /· #\d+:/.test(m.text));
  /** A signed `/hoist <text>` from the requester; the id of the deployment, once its card is in the channel. */
  async function request(text: string): Promise<number> {
    const before = cards(slack).length;
    expect((await chat.slash(text, { user: REQUESTER, responseId: `ask-${before}`, scoped: false })).res.status).toBe(200);
    const card = await slack.waitFor((s) => cards(s)[before], 20_000);
    return Number(/· #(\d+):/.exec(card.text)![1]);
  }

  /** A deploy of `sha`: its id once its card offers Approve. */
  async function deploy(sha: string): Promise<{ id: number; card: FakeMessage }> {
    const id = await request(`deploy ${app}@${sha} to production`);
    const card = await slack.waitFor((s) => {
      const found = cardOf(s, id);
      return found && buttonsOf(found).some((b) => b.text.text === 'Approve') ? found : null;
    }, 20_000);
    return { id, card: { ...card, blocks: structuredClone(card.blocks) } };
  }

  /** The approver clicks the card's Approve; resolves with the ephemeral answer. */
  async function approve(card: FakeMessage): Promise<string> {
    const button = buttonsOf(card).find((b) => b.text.text === 'Approve')!;
    const { res, id } = await chat.click(card, button, { user: APPROVER });
    expect(res.status).toBe(200);
    return String((await chat.answerTo(id, 10_000)).body.text);
  }

  it('redeploys and restarts run in their order while a deploy waits; once approved it starts after the one already queued', async () => {
    const first = await deploy(slowSha);
    expect(await approve(first.card)).toContain('every rule holds');
    await ended(first.id, 'DEPLOYED');

    const awaiting = await deploy(nextSha);
    expect(await deploymentOf(awaiting.id)).toMatchObject({ status: 'AWAITING_APPROVAL', startedAt: null });

    // Only deploys wait for approval: a restart and a redeploy run at once, one after the other.
    const restart = await request(`restart ${app}/web in production`);
    const redeploy = await request(`redeploy ${app} in production`);
    await ended(restart, 'RESTARTED');
    await ended(redeploy, 'DEPLOYED');
    const [restarted, redeployed] = [await deploymentOf(restart), await deploymentOf(redeploy)];
    expect(Date.parse(redeployed.startedAt!)).toBeGreaterThanOrEqual(Date.parse(restarted.finishedAt!));
    expect(await deploymentOf(awaiting.id)).toMatchObject({ status: 'AWAITING_APPROVAL', startedAt: null });
    expect((await environment()).services).toEqual([expect.objectContaining({ name: 'web', version: slowSha })]);

    // A restart holds the environment and a redeploy waits behind it when the approval completes.
    const holding = await request(`restart ${app}/web in production`);
    await started(holding);
    const waiting = await request(`redeploy ${app} in production`);
    expect(queued(await environment())).toEqual([[holding, null], [waiting, 1]]);
    expect(await approve(awaiting.card)).toContain('every rule holds');
    expect(queued(await environment())).toEqual([[holding, null], [waiting, 1], [awaiting.id, 2]]);

    await ended(awaiting.id, 'DEPLOYED');
    const order = await Promise.all([holding, waiting, awaiting.id].map(deploymentOf));
    expect(order.map((d) => [d.action, d.status])).toEqual([
      ['restart', 'RESTARTED'],
      ['redeploy', 'DEPLOYED'],
      ['deploy', 'DEPLOYED'],
    ]);
    // Each started once the one before it had finished.
    for (let i = 1; i < order.length; i++) expect(Date.parse(order[i]!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(order[i - 1]!.finishedAt!));
    expect((await environment()).services).toEqual([expect.objectContaining({ name: 'web', version: nextSha })]);
  }, 120_000);
});
