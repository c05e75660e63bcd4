import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeMessage, type FakeSlack } from '../fakes/slack-api.ts';
import { blockActionBody } from '../fakes/slack-sign.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { removeAppContainers } from '../support/containers.ts';
import { BASE_IMAGE, channelAppYaml, eventually, randomName, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';
import { buttonsOf, cardOf, slackUser, type ButtonJson, type ResponseUrlPost, type SlackUser } from '../support/slack-user.ts';

const TOKEN = 'xoxb-card-buttons';
const SECRET = 'card-buttons-secret';
const CHANNEL = 'C0BUTTONS';
const OTHER_CHANNEL = 'C0ELSEWHERE';

interface DeploymentJson {
  id: number;
  action: string;
  status: string;
  reason: string | null;
  finishedAt: string | null;
  requestedBy: { id: string };
}

interface LogsJson {
  deploymentId: number;
  lines: { id: number; service: string | null; line: string; at: string }[];
  nextAfter: number | null;
}

describe("a card's buttons: Cancel, Redeploy and Rollback, each once; Logs each time", () => {
  const app = randomName('btn');
  let slack: FakeSlack;
  let hoist: TestHoist;
  let chat: SlackUser;
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
      yaml: channelAppYaml({
        app,
        repo: repo.dir,
        channel: CHANNEL,
        environments: '      live: { target: engine }\n',
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

  const cardReaches = (id: number, status: string) =>
    slack.waitFor((s) => {
      const card = cardOf(s, id);
      return card && card.text.endsWith(`: ${status}`) ? card : null;
    }, 90_000);
  const deploymentOf = async (id: number): Promise<DeploymentJson> => (await (await hoist.api(`/deployments/${id}`)).json()) as DeploymentJson;
  const listAll = async (): Promise<DeploymentJson[]> =>
    ((await (await hoist.api(`/deployments?app=${app}&limit=100`)).json()) as { items: DeploymentJson[] }).items;

  async function deploy(text: string): Promise<number> {
    const before = slack.messages.filter((m) => m.threadTs === null && m.channel === CHANNEL).length;
    expect((await chat.slash(text, { user: 'U0ALICE', scoped: false })).res.status).toBe(200);
    const card = await slack.waitFor((s) => s.messages.filter((m) => m.threadTs === null && m.channel === CHANNEL)[before], 20_000);
    return Number(/#(\d+)/.exec(card.text)![1]);
  }

  /** Clicks a button of a card as `user`; resolves with the ephemeral answer, if one comes. */
  async function click(card: FakeMessage, button: ButtonJson, options: { user?: string; channel?: string } = {}): Promise<string | null> {
    const answered = await clickAnswer(card, button, options);
    return answered === null ? null : String(answered.body.text);
  }

  /** The same, with the whole answer as posted to the response_url. */
  async function clickAnswer(card: FakeMessage, button: ButtonJson, options: { user?: string; channel?: string } = {}): Promise<ResponseUrlPost | null> {
    const { res, id } = await chat.click(card, button, { user: options.user ?? 'U0BOB', channel: options.channel });
    expect(res.status).toBe(200);
    return chat.answerTo(id, 3_000).catch(() => null);
  }

  /** `/hoist <text>` as `user`; resolves with the answer posted to the response_url. */
  async function command(text: string, user = 'U0CAROL'): Promise<ResponseUrlPost> {
    const { res, id } = await chat.slash(text, { user });
    expect(res.status).toBe(200);
    return chat.answerTo(id, 10_000);
  }

  it('Redeploy clicked twice at once creates one deployment, and says so to the second click', async () => {
    const first = await deploy(`deploy ${app} to live`);
    const done = await cardReaches(first, 'DEPLOYED');
    const redeploy = buttonsOf(done).find((b) => b.action_id === 'hoist_card_redeploy');
    expect(redeploy).toMatchObject({ value: String(first), text: { text: 'Redeploy' } });
    expect(buttonsOf(done).map((b) => b.text.text)).toEqual(['Redeploy', 'Rollback', 'Logs']);

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

  it("Logs, clicked twice, and `/hoist logs #N` show the build's log to whoever asked, and request nothing", async () => {
    const all = await listAll();
    const deployed = all.find((d) => d.action === 'deploy' && d.status === 'DEPLOYED')!;
    const card = cardOf(slack, deployed.id)!;
    const logs = buttonsOf(card).find((b) => b.action_id === 'hoist_card_logs');
    expect(logs).toMatchObject({ value: String(deployed.id), text: { text: 'Logs' } });
    expect(buttonsOf(card).at(-1)).toBe(logs);

    // A read: each click answers with the log again, none is "already used".
    const answers = [await clickAnswer(card, logs!), await clickAnswer(card, logs!)];
    for (const answer of answers) {
      expect(answer).toMatchObject({ status: 200, body: { response_type: 'ephemeral', replace_original: false } });
      const shown = JSON.stringify(answer!.body.blocks);
      expect(shown).toContain(`*Log of #${deployed.id}*`);
      expect(shown).toMatch(/STEP \d+\/\d+: COPY www \/www/);
      expect(shown).toContain(`GET /api/v1/deployments/${deployed.id}/logs`);
      expect(String(answer!.body.text)).not.toMatch(/already used/);
    }
    expect(slack.messages.filter((m) => m.channel === CHANNEL && JSON.stringify(m.blocks ?? []).includes('*Log of #'))).toEqual([]);

    const typed = await command(`logs #${deployed.id} web`);
    expect(typed).toMatchObject({ status: 200, body: { response_type: 'ephemeral' } });
    expect(JSON.stringify(typed.body.blocks)).toMatch(/STEP \d+\/\d+: FROM /);
    expect(JSON.stringify(typed.body.blocks)).toContain(' of web');

    const unknown = await command(`logs #${deployed.id} wbe`);
    expect(String(unknown.body.text).split('\n')).toEqual([
      `#${deployed.id} has no service "wbe"; its services: web.`,
      'Did you mean `web`?',
      'Usage: `/hoist logs #<deployment> [<service>] | logs <app>/<service> in <environment>`',
    ]);
    expect((await listAll()).length).toBe(all.length);
  });

  it('GET /api/v1/deployments/:id/logs: the last lines, pages forward, one service, and clear errors', async () => {
    const deployed = (await listAll()).find((d) => d.action === 'deploy' && d.status === 'DEPLOYED')!;
    const get = async (query: string) => {
      const res = await hoist.api(`/deployments/${query}`);
      return { status: res.status, json: (await res.json()) as LogsJson & { error?: { code: string; message: string } } };
    };
    const whole = await get(`${deployed.id}/logs?limit=1000`);
    expect(whole.status).toBe(200);
    expect(whole.json).toMatchObject({ deploymentId: deployed.id, nextAfter: null });
    const lines = whole.json.lines;
    expect(lines.some((l) => /STEP \d+\/\d+: COPY www \/www/.test(l.line))).toBe(true);
    expect(lines[0]).toEqual({ id: expect.any(Number), service: 'web', line: expect.any(String), at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) });
    expect(lines.map((l) => l.id)).toEqual([...lines.map((l) => l.id)].sort((a, b) => a - b));

    const tail = await get(`${deployed.id}/logs?tail=3`);
    expect(tail.json).toEqual({ deploymentId: deployed.id, lines: lines.slice(-3), nextAfter: null });

    const paged: LogsJson['lines'] = [];
    let after: number | null = 0;
    let pages = 0;
    while (after !== null) {
      const page = await get(`${deployed.id}/logs?after=${after}&limit=4`);
      expect(page.status).toBe(200);
      paged.push(...page.json.lines);
      after = page.json.nextAfter;
      pages++;
    }
    expect(paged).toEqual(lines);
    expect(pages).toBe(Math.ceil(lines.length / 4));

    expect((await get(`${deployed.id}/logs?service=web`)).json.lines).toEqual(lines);
    const errors: [string, number, string, RegExp][] = [
      [`${deployed.id}/logs?service=db`, 400, 'BAD_REQUEST', /^service: #\d+ has no service "db"; its services: web$/],
      [`${deployed.id}/logs?tail=0`, 400, 'BAD_REQUEST', /^tail: expected a whole number from 1 to 1000/],
      [`${deployed.id}/logs?tail=ten`, 400, 'BAD_REQUEST', /^tail: expected a whole number/],
      [`${deployed.id}/logs?tail=5&after=2`, 400, 'BAD_REQUEST', /not both/],
      [`${deployed.id}/logs?limit=5000`, 400, 'BAD_REQUEST', /^limit: expected a whole number from 1 to 1000 \(default 500\)/],
      [`${deployed.id}/logs?verbose=1`, 400, 'BAD_REQUEST', /^unknown parameter "verbose"; parameters: tail, service, after, limit, follow$/],
      [`${deployed.id}/logs?follow=yes`, 400, 'BAD_REQUEST', /^follow: expected 1 \(or true\), not "yes"$/],
      [`${deployed.id}/logs?follow=1&service=db`, 400, 'BAD_REQUEST', /^service: #\d+ has no service "db"/],
      ['999999/logs', 404, 'NOT_FOUND', /^there is no deployment #999999$/],
      ['abc/logs', 400, 'BAD_REQUEST', /is not a deployment number; use a positive integer such as \/api\/v1\/deployments\/12\/logs$/],
    ];
    for (const [query, status, code, message] of errors) {
      const answer = await get(query);
      expect([query, answer.status, answer.json.error?.code]).toEqual([query, status, code]);
      expect(answer.json.error?.message).toMatch(message);
    }
  });

  it('GET …/logs?follow=1 streams the log while the deployment runs and ends after its last line', async () => {
    const id = await deploy(`deploy ${app}@${slowSha} to live`);
    const res = await hoist.api(`/deployments/${id}/logs?follow=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const decoder = new TextDecoder();
    let text = '';
    let firstLineAt: number | null = null;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      if (firstLineAt === null && text.includes('\n')) firstLineAt = Date.now();
    }
    const objects = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const end = objects.at(-1);
    expect(end).toEqual({ end: true, status: 'DEPLOYED', reason: null });
    const finished = Date.parse((await deploymentOf(id)).finishedAt!);
    // Lines came while it ran (the slow start alone takes 5 s), not all at the end.
    expect(firstLineAt!).toBeLessThan(finished - 2_000);
    const whole = (await (await hoist.api(`/deployments/${id}/logs?limit=1000`)).json()) as LogsJson;
    expect(objects.slice(0, -1)).toEqual(whole.lines);
    // Following a finished deployment gives its log and the end at once.
    const again = await (await hoist.api(`/deployments/${id}/logs?follow=1&tail=2`)).text();
    expect(again.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([...whole.lines.slice(-2), end]);
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
