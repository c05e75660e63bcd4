import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeMessage, type FakeSlack } from '../fakes/slack-api.ts';
import { blockActionBody, signSlackRequest, slashCommandBody } from '../fakes/slack-sign.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { removeAppContainers } from '../support/containers.ts';
import { BASE_IMAGE, DOCKER_HOST, REGISTRY, eventually, randomName, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';

const TOKEN = 'xoxb-card-buttons';
const SECRET = 'card-buttons-secret';
const CHANNEL = 'C0BUTTONS';
const OTHER_CHANNEL = 'C0ELSEWHERE';

interface DeploymentJson {
  id: number;
  action: string;
  status: string;
  reason: string | null;
  requestedBy: { id: string };
}

interface ButtonJson {
  type: string;
  action_id: string;
  value: string;
  text: { text: string };
}

describe("a card's buttons: Cancel, Redeploy and Rollback, each once", () => {
  const app = randomName('btn');
  let slack: FakeSlack;
  let hoist: TestHoist;
  let repo: GitFixture;
  let slowSha: string;

  beforeAll(async () => {
    repo = createGitFixture('hoist-card-buttons');
    repo.commit('v1', webAppFiles(`hello ${app}`));
    repo.git('checkout', '--quiet', '-b', 'slow');
    slowSha = repo.commit('slow start', {
      Dockerfile: `FROM ${BASE_IMAGE}\nCOPY www /www\nCMD ["/bin/busybox", "sh", "-c", "sleep 5; exec /bin/busybox httpd -f -p 8080 -h /www"]\n`,
    });
    repo.git('checkout', '--quiet', 'main');
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    hoist = await startTestHoist({
      yaml: `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
  ${app}:
    repo: ${repo.dir}
    channels: [${CHANNEL}]
    services:
      web: { type: application, build: { context: . }, port: 8080, health: { path: /, timeout: 30s } }
    environments:
      live: { target: engine }
`,
      slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SECRET },
    });
  });

  afterAll(async () => {
    await hoist?.stop();
    await slack?.close();
    await removeAppContainers(app);
    repo?.remove();
  });

  const post = async (body: string): Promise<Response> =>
    fetch(`${hoist.baseUrl}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(body, SECRET) },
      body,
    });

  const cardOf = (s: FakeSlack, id: number): FakeMessage | undefined => s.messages.find((m) => m.threadTs === null && m.text.includes(`· #${id}:`));
  const cardReaches = (id: number, status: string) =>
    slack.waitFor((s) => {
      const card = cardOf(s, id);
      return card && card.text.endsWith(`: ${status}`) ? card : null;
    }, 90_000);
  const buttonsOf = (card: FakeMessage): ButtonJson[] =>
    ((card.blocks ?? []) as { type: string; elements?: ButtonJson[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
  const deploymentOf = async (id: number): Promise<DeploymentJson> => (await (await fetch(`${hoist.baseUrl}/api/v1/deployments/${id}`)).json()) as DeploymentJson;
  const listAll = async (): Promise<DeploymentJson[]> =>
    ((await (await fetch(`${hoist.baseUrl}/api/v1/deployments?app=${app}&limit=100`)).json()) as { items: DeploymentJson[] }).items;

  async function deploy(text: string): Promise<number> {
    const before = slack.messages.filter((m) => m.threadTs === null && m.channel === CHANNEL).length;
    const body = slashCommandBody({ command: '/hoist', text, userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl(`d-${Math.random()}`) });
    expect((await post(body)).status).toBe(200);
    const card = await slack.waitFor((s) => s.messages.filter((m) => m.threadTs === null && m.channel === CHANNEL)[before], 20_000);
    return Number(/#(\d+)/.exec(card.text)![1]);
  }

  /** Clicks a button of a card as `user`; resolves with the ephemeral answer, if one comes. */
  async function click(card: FakeMessage, button: ButtonJson, options: { user?: string; channel?: string } = {}): Promise<string | null> {
    const id = `click-${Math.random().toString(16).slice(2)}`;
    const user = options.user ?? 'U0BOB';
    const channel = options.channel ?? card.channel;
    const body = blockActionBody({
      userId: user,
      channelId: channel,
      messageTs: card.ts,
      actionId: button.action_id,
      value: button.value,
      responseUrl: slack.responseUrl(id, { channel, userId: user }),
    });
    const res = await post(body);
    expect(res.status).toBe(200);
    const answered = await slack.waitFor((s) => s.responses.find((r) => r.id === id) ?? null, 3_000).catch(() => null);
    return answered === null ? null : String(answered.body.text);
  }

  it('Redeploy clicked twice at once creates one deployment, and says so to the second click', async () => {
    const first = await deploy(`deploy ${app} to live`);
    const done = await cardReaches(first, 'DEPLOYED');
    const redeploy = buttonsOf(done).find((b) => b.action_id === 'hoist_card_redeploy');
    expect(redeploy).toMatchObject({ value: String(first), text: { text: 'Redeploy' } });
    expect(buttonsOf(done).map((b) => b.text.text)).toEqual(['Redeploy', 'Rollback']);

    const before = (await listAll()).length;
    const answers = await Promise.all([click(done, redeploy!), click(done, redeploy!)]);
    const again = await eventually(async () => {
      const all = await listAll();
      return all.length > before ? all : null;
    }, 20_000, 'the redeploy');
    const made = again.filter((d) => d.action === 'redeploy');
    expect(made).toHaveLength(1);
    expect(made[0]!.requestedBy.id).toBe('U0BOB');
    expect(answers.filter((a) => a !== null && /already used: it requested #\d+/.test(a))).toHaveLength(1);
    const redeployCard = await cardReaches(made[0]!.id, 'DEPLOYED');
    expect(JSON.stringify(redeployCard.blocks)).toMatch(/no changes/i);
    // Later clicks on the same button still make nothing new.
    expect(await click(done, redeploy!)).toMatch(new RegExp(`already used: it requested #${made[0]!.id}`));
    expect((await listAll()).length).toBe(before + 1);
  });

  it("a waiting deployment's Cancel removes it, and its card then offers no Cancel", async () => {
    const running = await deploy(`deploy ${app}@${slowSha} to live`);
    const waiting = await deploy(`deploy ${app} to live`);
    const queued = await cardReaches(waiting, 'QUEUED');
    const cancel = buttonsOf(queued).find((b) => b.action_id === 'hoist_card_cancel');
    expect(cancel).toMatchObject({ value: String(waiting), text: { text: 'Cancel' } });
    const [first, second] = await Promise.all([click(queued, cancel!), click(queued, cancel!)]);
    expect([first, second].some((a) => a !== null && /#\d+/.test(a))).toBe(true);
    const canceled = await cardReaches(waiting, 'CANCELED');
    expect(buttonsOf(canceled).map((b) => b.action_id)).not.toContain('hoist_card_cancel');
    expect((await deploymentOf(waiting)).status).toBe('CANCELED');
    await cardReaches(running, 'DEPLOYED');
    // The button of a card that has moved on answers what happened instead of acting.
    expect(await click(queued, cancel!)).toMatch(/is CANCELED now, so its card no longer offers cancel/);
  });

  it('a button is bound by the same rules as the command: a channel the app may not be operated from is refused', async () => {
    const all = await listAll();
    const deployed = all.find((d) => d.action === 'deploy' && d.status === 'DEPLOYED')!;
    const card = cardOf(slack, deployed.id)!;
    const rollback = buttonsOf(card).find((b) => b.action_id === 'hoist_card_rollback')!;
    const answer = await click(card, rollback, { channel: OTHER_CHANNEL });
    expect(answer).toMatch(new RegExp(`${CHANNEL}`));
    expect((await listAll()).length).toBe(all.length);
  });

  it('a forged or unknown button is refused without acting', async () => {
    const all = await listAll();
    const card = cardOf(slack, all[0]!.id)!;
    const unsigned = blockActionBody({ userId: 'U0BOB', channelId: CHANNEL, messageTs: card.ts, actionId: 'hoist_card_redeploy', value: String(all[0]!.id), responseUrl: slack.responseUrl('x') });
    const res = await fetch(`${hoist.baseUrl}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: unsigned });
    expect(res.status).toBe(401);
    expect(await click(card, { type: 'button', action_id: 'hoist_card_explode', value: '1', text: { text: 'x' } })).toMatch(/does not know this button/);
    expect(await click(card, { type: 'button', action_id: 'hoist_card_redeploy', value: '999999', text: { text: 'x' } })).toMatch(/#999999 does not exist/);
    expect((await listAll()).length).toBe(all.length);
  });
});
