import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { appMentionBody, blockActionBody, signSlackRequest, slashCommandBody } from '../fakes/slack-sign.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { removeAppContainers } from '../support/containers.ts';
import { BASE_IMAGE, channelAppYaml, eventually, randomName, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';
import { cardOf } from '../support/slack-user.ts';

const TOKEN = 'xoxb-once';
const SECRET = 'once-secret';
const CHANNEL = 'C0ONCE';

interface DeploymentJson {
  id: number;
  action: string;
  status: string;
}

/** One deployment as `GET /deployments/:id` shows it. */
interface DeploymentView extends DeploymentJson {
  startedAt: string | null;
  finishedAt: string | null;
  services: { status: string }[];
}

describe('every chat request is carried out once, and identical ones do not pile up', () => {
  const app = randomName('once');
  let slack: FakeSlack;
  let hoist: TestHoist;
  let repo: GitFixture;

  beforeAll(async () => {
    repo = createGitFixture('hoist-once');
    repo.commit('v1', webAppFiles(`hello ${app}`));
    repo.git('checkout', '--quiet', '-b', 'slow');
    repo.commit('slow start', {
      Dockerfile: `FROM ${BASE_IMAGE}\nCOPY www /www\nCMD ["/bin/busybox", "sh", "-c", "sleep 8; exec /bin/busybox httpd -f -p 8080 -h /www"]\n`,
    });
    repo.git('checkout', '--quiet', 'main');
    // A start that never answers its health check: it runs until the test cancels it.
    repo.git('checkout', '--quiet', '-b', 'stall');
    repo.commit('stalled start', { Dockerfile: `FROM ${BASE_IMAGE}\nCMD ["/bin/busybox", "sleep", "3600"]\n` });
    repo.git('checkout', '--quiet', 'main');
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    hoist = await startTestHoist({
      yaml: channelAppYaml({
        app,
        repo: repo.dir,
        channel: CHANNEL,
        environments: '      live: { target: engine }\n',
      }).replace('timeout: 30s', 'timeout: 10m'),
      slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SECRET },
    });
  });

  afterAll(async () => {
    await hoist?.stop();
    await slack?.close();
    await removeAppContainers(app);
    repo?.remove();
  });

  /** Posts `body` signed at `timestamp`: the same body and timestamp make a byte-identical request. */
  const post = async (body: string, timestamp: number, headers: Record<string, string> = {}, type = 'application/x-www-form-urlencoded') => {
    const res = await fetch(`${hoist.baseUrl}/slack/events`, { method: 'POST', headers: { 'content-type': type, ...signSlackRequest(body, SECRET, timestamp), ...headers }, body });
    expect(res.status).toBe(200);
  };
  const now = () => Math.floor(Date.now() / 1000);
  const slashBody = (text: string, id: string, user = 'U0ALICE') =>
    slashCommandBody({ command: '/hoist', text, userId: user, channelId: CHANNEL, triggerId: `trig-${id}`, responseUrl: slack.responseUrl(id, { channel: CHANNEL, userId: user }) });
  const answersTo = (id: string, count: number) =>
    slack.waitFor((s) => {
      const found = s.responses.filter((r) => r.id === id).map((r) => String(r.body.text));
      return found.length >= count ? found : null;
    }, 15_000);
  const listAll = async (): Promise<DeploymentJson[]> =>
    ((await (await hoist.api(`/deployments?app=${app}&limit=100`)).json()) as { items: DeploymentJson[] }).items;
  const statusOf = async (id: number) => (await listAll()).find((d) => d.id === id)?.status;
  const lockOf = async () => ((await (await hoist.api(`/apps/${app}/environments/live`)).json()) as { lock: unknown }).lock;
  const deployment = async (id: number) => (await (await hoist.api(`/deployments/${id}`)).json()) as DeploymentView;
  const started = (id: number) => eventually(async () => (await deployment(id)).startedAt, 30_000, `#${id} to start`);
  const logTail = async (id: number) =>
    ((await (await hoist.api(`/deployments/${id}/logs?tail=30`)).json()) as { lines: { at: string; line: string }[] }).lines.map((l) => `${l.at} ${l.line}`).join('\n');
  /**
   * Waits until `holds` is true of deployment `id`, or fails saying its status and the end of its
   * log; with `early`, a deployment that ends before that fails at once, saying so.
   */
  const awaitDeployment = async (id: number, what: string, holds: (d: DeploymentView) => boolean, early?: string) => {
    let last: DeploymentView | undefined;
    const outcome = await eventually(
      async () => {
        last = await deployment(id);
        if (holds(last)) return 'held';
        return early !== undefined && last.finishedAt !== null ? 'ended' : null;
      },
      90_000,
      `#${id} ${what}`,
    ).catch((error: Error) => error);
    if (outcome === 'held') return;
    const tail = `its log ends:\n${await logTail(id)}`;
    throw new Error(outcome === 'ended' ? `#${id} ended ${last?.status} ${early}; ${tail}` : `${outcome.message} (it is ${last?.status ?? 'not there'}; ${tail})`);
  };
  const ends = (id: number, status: string) => awaitDeployment(id, `to end ${status}`, (d) => d.status === status);
  /** Built and started, waiting for its health check (which the stalled start never passes). */
  const rollingOut = (id: number) => awaitDeployment(id, 'to roll out', (d) => d.services.some((s) => s.status === 'DEPLOYING'), 'before its rollout');
  async function deploy(text: string): Promise<number> {
    const before = await listAll();
    await post(slashBody(text, `d-${Math.random()}`), now());
    return eventually(async () => (await listAll()).find((d) => !before.some((b) => b.id === d.id))?.id ?? null, 20_000, text);
  }

  it('a replayed `cancel <app> in <env>` cancels once; the replay gets the same answer', async () => {
    const running = await deploy(`deploy ${app}@slow to live`);
    await started(running);
    const body = slashBody(`cancel ${app} in live`, 'cancel-1');
    const at = now();
    await post(body, at);
    const [first] = await answersTo('cancel-1', 1);
    expect(first).toMatch(new RegExp(`Canceling #${running} `));
    // By the time of the replay something else runs; the replay must not cancel it.
    await ends(running, 'CANCELED');
    const next = await deploy(`deploy ${app}@slow to live`);
    await started(next);
    await post(body, at);
    expect(await answersTo('cancel-1', 2)).toEqual([first, first]);
    expect(await statusOf(next)).not.toMatch(/CANCEL/);
    await ends(next, 'DEPLOYED');
  });

  it('a replayed lock and unlock, and a Slack retry, are each carried out once', async () => {
    const lock = slashBody(`lock ${app} in live --reason "release"`, 'lock-1');
    const unlock = slashBody(`unlock ${app} in live`, 'unlock-1');
    const lockedAt = now();
    await post(lock, lockedAt);
    const [locked] = await answersTo('lock-1', 1);
    expect(locked).toMatch(/You locked/);
    const unlockedAt = now();
    await post(unlock, unlockedAt);
    const [unlocked] = await answersTo('unlock-1', 1);
    expect(unlocked).toMatch(/Unlocked/);
    // The lock again, byte for byte: the same answer, and the environment stays unlocked.
    await post(lock, lockedAt);
    expect(await answersTo('lock-1', 2)).toEqual([locked, locked]);
    expect(await lockOf()).toBeNull();
    // Slack's retry is signed anew and says so; the unlock is not carried out again either.
    await post(unlock, now(), { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
    expect(await answersTo('unlock-1', 2)).toEqual([unlocked, unlocked]);
  });

  it("a mention's event delivered again (Slack's retry) is answered the same and carried out once", async () => {
    const body = appMentionBody({ text: `<@U0HOIST> lock ${app} in live`, userId: 'U0BOB', channelId: CHANNEL, eventId: 'EvOnce1' });
    await post(body, now(), {}, 'application/json');
    const first = await slack.waitFor((s) => s.ephemerals.find((e) => e.user === 'U0BOB' && e.via === 'api') ?? null, 15_000);
    expect(first.text).toMatch(/You locked/);
    await post(slashBody(`unlock ${app} in live`, 'unlock-2', 'U0BOB'), now());
    await answersTo('unlock-2', 1);
    await post(body, now(), { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' }, 'application/json');
    const both = await slack.waitFor((s) => {
      const mine = s.ephemerals.filter((e) => e.user === 'U0BOB' && e.via === 'api');
      return mine.length >= 2 ? mine : null;
    }, 15_000);
    expect(both.map((e) => e.text)).toEqual([first.text, first.text]);
    expect(await lockOf()).toBeNull();
  });

  it('a card button replayed requests nothing new', async () => {
    const deployed = (await listAll()).find((d) => d.status === 'DEPLOYED')!;
    const card = cardOf(slack, deployed.id)!;
    const body = blockActionBody({
      userId: 'U0CAROL',
      channelId: CHANNEL,
      messageTs: card.ts,
      actionId: 'hoist_card_redeploy',
      value: String(deployed.id),
      responseUrl: slack.responseUrl('button-1', { channel: CHANNEL, userId: 'U0CAROL' }),
    });
    const before = (await listAll()).length;
    const at = now();
    await post(body, at);
    const made = await eventually(async () => ((await listAll()).length > before ? (await listAll())[0]! : null), 20_000, 'the redeploy');
    await post(body, at);
    const [again] = await answersTo('button-1', 1);
    expect(again).toMatch(new RegExp(`already used: it requested #${made.id}`));
    expect((await listAll()).length).toBe(before + 1);
    await ends(made.id, 'DEPLOYED');
  });

  it('fifty identical deploys make one deployment; 49 answers point at it and its card', async () => {
    // What runs meanwhile runs until it is canceled: the fifty are all asked while the one they make waits.
    const running = await deploy(`deploy ${app}@stall to live`);
    await rollingOut(running);
    const before = (await listAll()).length;
    await Promise.all(Array.from({ length: 50 }, (_, i) => post(slashBody(`deploy ${app} to live`, `same-${i}`), now())));
    // One person's requests are carried out one at a time, in order: on a loaded machine, seconds.
    const answers = await slack.waitFor((s) => {
      const found = s.responses.filter((r) => r.id.startsWith('same-'));
      return found.length >= 49 ? found : null;
    }, 90_000);
    const all = await listAll();
    expect(all.length).toBe(before + 1);
    const waiting = all[0]!;
    expect(waiting).toMatchObject({ action: 'deploy', status: 'QUEUED' });
    for (const answer of answers) {
      expect(String(answer.body.text)).toMatch(new RegExp(`#${waiting.id}.* \\(requested by <@U0ALICE>\\) will do exactly this`));
    }
    // Once the card is posted, the answers link to it.
    const card = await slack.waitFor((s) => cardOf(s, waiting.id) ?? null, 10_000);
    await post(slashBody(`deploy ${app} to live`, 'same-late'), now());
    const [late] = await answersTo('same-late', 1);
    expect(late).toContain(`<https://hoist-test.slack.com/archives/${CHANNEL}/p${card.ts.replace('.', '')}|#${waiting.id}>`);
    expect((await listAll()).length).toBe(before + 1);
    await post(slashBody(`cancel #${running}`, 'cancel-stall'), now());
    const [canceling] = await answersTo('cancel-stall', 1);
    expect(canceling).toMatch(new RegExp(`Canceling #${running} `));
    await ends(running, 'CANCELED');
    await ends(waiting.id, 'DEPLOYED');
  });
});
