import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeHome, type FakeSlack } from '../fakes/slack-api.ts';
import { DOCUMENTED_APP_HOME_OPENED } from '../fakes/slack-documented.ts';
import { appHomeOpenedCallback, homeActionBody } from '../fakes/slack-sign.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { removeAppContainers } from '../support/containers.ts';
import { channelAppYaml, randomName, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';
import { slackUser, type SlackUser } from '../support/slack-user.ts';

const TOKEN = 'xoxb-app-home';
const SECRET = 'app-home-secret';
const APP_TOKEN = 'xapp-1-app-home';
const CHANNEL = 'C0HOME';
const DEBOUNCE_MS = 2_000;

type Section = { type: string; text?: { text: string }; elements?: { text: string; action_id?: string; value?: string }[] };
const textOf = (view: Record<string, unknown>): string =>
  (view.blocks as Section[]).map((b) => [b.text?.text ?? '', ...(b.elements ?? []).map((e) => (typeof e.text === 'string' ? e.text : ''))].join(' ')).join('\n');
const homeOf = (s: FakeSlack, user: string): FakeHome | undefined => s.homes.find((h) => h.userId === user);
const publishesTo = (s: FakeSlack, user: string) => s.calls.filter((c) => c.method === 'views.publish' && c.params.user_id === user);

/** The event_callback of the documented `app_home_opened`, or of one for `user` over the Home as the fake holds it. */
function opened(slack: FakeSlack, user: string): Record<string, unknown> {
  const view = homeOf(slack, user)?.view;
  return appHomeOpenedCallback({ userId: user, ...(view === undefined ? {} : { view }) });
}

describe('the App Home over HTTP: published on opening, republished on changes, Approve from the Home', () => {
  const app = randomName('home');
  let slack: FakeSlack;
  let hoist: TestHoist;
  let chat: SlackUser;
  let repo: GitFixture;
  let sha: string;
  let nextSha: string;

  beforeAll(async () => {
    repo = createGitFixture('hoist-app-home');
    sha = repo.commit('v1', webAppFiles(`hello ${app}`));
    nextSha = repo.commit('v2', webAppFiles(`hello again ${app}`));
    slack = await startFakeSlack({
      token: TOKEN,
      rateLimitPerChannelPerSecond: 0,
      userGroups: [{ id: 'S0SRE', handle: 'sre', users: ['U0CAROL'] }],
      channelMembers: { [CHANNEL]: ['U123ABC456', 'U0ALICE', 'U0CAROL'] },
    });
    hoist = await startTestHoist({
      yaml: channelAppYaml({
        app,
        repo: repo.dir,
        channel: CHANNEL,
        environments: `      staging: { target: engine }
      production:
        target: engine
        approval: { rules: [{ approvers: ["@sre"], count: 1 }] }
`,
      }),
      slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SECRET },
    });
    chat = slackUser({ baseUrl: hoist.baseUrl, slack, secret: SECRET, channel: CHANNEL });
  }, 60_000);

  afterAll(async () => {
    await hoist?.stop();
    await slack?.close();
    await removeAppContainers(app);
    repo?.remove();
  });

  const sendEvent = async (callback: Record<string, unknown>) => {
    const res = await chat.post(JSON.stringify(callback), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
  };

  it('publishes the Home of whoever opens it: Slack’s documented event, its stale hash answered by a publish over the Home as it is', async () => {
    await sendEvent({ token: 'x', team_id: 'T0HOIST', api_app_id: 'A0HOIST', type: 'event_callback', event_id: 'Ev0DOC', event_time: 1515449522, event: DOCUMENTED_APP_HOME_OPENED });
    const home = await slack.waitFor((s) => homeOf(s, 'U123ABC456'), 10_000);
    expect(textOf(home.view)).toContain(`*${app}* in *staging*`);
    expect(textOf(home.view)).toContain(`*${app}* in *production*`);
    // The event's hash names a Home this workspace never had: refused once, then published over what there is.
    expect(publishesTo(slack, 'U123ABC456').map((c) => c.response.error ?? 'ok')).toEqual(['hash_conflict', 'ok']);
  });

  it('shows an app’s environments only to the members of its channels', async () => {
    await sendEvent(opened(slack, 'U0DAVE'));
    const home = await slack.waitFor((s) => homeOf(s, 'U0DAVE'), 10_000);
    expect(textOf(home.view)).not.toContain(`*${app}*`);
    expect(textOf(home.view)).toContain('No environment is yours to operate');
  });

  it('republishes the Homes of those who opened it once per debounce window, and Approve on the Home approves', async () => {
    await sendEvent(opened(slack, 'U0CAROL'));
    await slack.waitFor((s) => homeOf(s, 'U0CAROL'), 10_000);
    const before = publishesTo(slack, 'U0CAROL').length;
    const sent = await chat.slash(`deploy ${app}@${sha} to production`, { user: 'U0ALICE', scoped: false });
    expect(sent.res.status).toBe(200);
    const id = Number(/#(\d+)/.exec(await chat.replyText(sent, 20_000))![1]);
    // Several writes (the request, its approval step, the card) and one republish with the approval and its buttons.
    const waiting = await slack.waitFor((s) => {
      const home = homeOf(s, 'U0CAROL')!;
      return textOf(home.view).includes('Waiting for your approval') ? home : null;
    }, 10_000);
    const buttons = (waiting.view.blocks as Section[]).find((b) => b.type === 'actions')!.elements!;
    expect(buttons.map((b) => `${b.action_id}:${b.value}`)).toEqual([`hoist_card_approve:${id}`, `hoist_card_reject:${id}`]);
    const republished = publishesTo(slack, 'U0CAROL').slice(before);
    for (let i = 1; i < republished.length; i++) expect(republished[i]!.at.getTime() - republished[i - 1]!.at.getTime()).toBeGreaterThanOrEqual(DEBOUNCE_MS - 50);
    // The requester's own Home (opened now) shows it among theirs.
    await sendEvent(opened(slack, 'U0ALICE'));
    const alice = await slack.waitFor((s) => homeOf(s, 'U0ALICE'), 10_000);
    expect(textOf(alice.view)).toContain(`*#${id}* deploy ${app} in production`);

    const click = await chat.post(homeActionBody({ userId: 'U0CAROL', viewId: waiting.id, actionId: 'hoist_card_approve', value: String(id), blockId: `hoist_card_${id}` }));
    expect(click.status).toBe(200);
    // The answer goes to Carol's conversation with Hoist (there is no response_url on a Home).
    const answer = await slack.waitFor((s) => s.messages.find((m) => m.channel === 'U0CAROL'), 10_000);
    expect(answer.text).toMatch(/approved|every rule holds/i);
    const status = async () => ((await (await hoist.api(`/deployments/${id}`)).json()) as { status: string }).status;
    expect(await status()).not.toBe('AWAITING_APPROVAL');
    await slack.waitFor((s) => !textOf(homeOf(s, 'U0CAROL')!.view).includes('Waiting for your approval'), 10_000);
  }, 60_000);

  it('Reject on the Home opens the card’s form; with a reason the deployment ends REJECTED', async () => {
    const sent = await chat.slash(`deploy ${app}@${nextSha} to production`, { user: 'U0ALICE', scoped: false });
    const id = Number(/#(\d+)/.exec(await chat.replyText(sent, 20_000))![1]);
    const home = await slack.waitFor((s) => {
      const found = homeOf(s, 'U0CAROL')!;
      return textOf(found.view).includes(`*#${id}*`) ? found : null;
    }, 10_000);
    const triggerId = slack.issueTrigger({ userId: 'U0CAROL' });
    const click = await chat.post(homeActionBody({ userId: 'U0CAROL', viewId: home.id, actionId: 'hoist_card_reject', value: String(id), triggerId }));
    expect(click.status).toBe(200);
    const modal = await slack.waitFor((s) => s.views.find((v) => v.triggerId === triggerId), 10_000);
    const submitted = slack.submitView(modal.id, { userId: 'U0CAROL', values: { reason: { reason: 'not today' } } });
    if (!submitted.ok) throw new Error(JSON.stringify(submitted.errors));
    const res = await chat.post(submitted.body);
    expect(slack.answerView(modal.id, { status: res.status, body: await res.text() })).toEqual({ kind: 'closed' });
    const deployment = (await (await hoist.api(`/deployments/${id}`)).json()) as { status: string; reason: string | null };
    expect(deployment.status).toBe('REJECTED');
    await slack.waitFor((s) => !textOf(homeOf(s, 'U0CAROL')!.view).includes(`*#${id}*`), 10_000);
  }, 30_000);

  it('publishes again over a Home changed under it (hash_conflict) with a fresh view', async () => {
    // Something else publishes Carol's Home: the hash Hoist kept is stale now.
    const other = new webApi.WebClient(TOKEN, { slackApiUrl: slack.url, logLevel: webApi.LogLevel.ERROR });
    await other.views.publish({ user_id: 'U0CAROL', view: { type: 'home', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'not Hoist' } }] } });
    const before = publishesTo(slack, 'U0CAROL').length;
    const locked = await chat.slash(`lock ${app} in staging --reason "home test"`, { user: 'U0CAROL', scoped: false });
    expect(await chat.replyText(locked, 20_000)).toMatch(/locked/i);
    const home = await slack.waitFor((s) => {
      const found = homeOf(s, 'U0CAROL')!;
      return textOf(found.view).includes('home test') ? found : null;
    }, 10_000);
    expect(textOf(home.view)).toContain(`*${app}* in *staging*`);
    expect(publishesTo(slack, 'U0CAROL').slice(before, before + 2).map((c) => c.response.error ?? 'ok')).toEqual(['hash_conflict', 'ok']);
  }, 30_000);
});

describe('the App Home over Socket Mode, 150 environments within 100 blocks', () => {
  const app = randomName('homes');
  let slack: FakeSlack;
  let hoist: TestHoist;
  let repo: GitFixture;

  beforeAll(async () => {
    repo = createGitFixture('hoist-app-home-socket');
    repo.commit('v1', webAppFiles(`hello ${app}`));
    slack = await startFakeSlack({ token: TOKEN, appToken: APP_TOKEN, channelMembers: { [CHANNEL]: ['U123ABC456'] } });
    const environments = Array.from({ length: 150 }, (_, i) => `      env-${String(i).padStart(3, '0')}: { target: engine }\n`).join('');
    hoist = await startTestHoist({
      yaml: channelAppYaml({ app, repo: repo.dir, channel: CHANNEL, environments }),
      slack: { apiUrl: slack.url, token: TOKEN, appToken: APP_TOKEN },
      env: { HOIST_PUBLIC_URL: 'https://hoist.example.com' },
    });
  }, 60_000);

  afterAll(async () => {
    await hoist?.stop();
    await slack?.close();
    repo?.remove();
  });

  it('publishes on app_home_opened delivered as an events_api envelope; what does not fit is counted, with the dashboard', async () => {
    const envelope = slack.socket.send('events_api', { token: 'x', team_id: 'T0HOIST', api_app_id: 'A0HOIST', type: 'event_callback', event_id: 'Ev0DOCSOCK', event_time: 1515449522, event: DOCUMENTED_APP_HOME_OPENED });
    await envelope.acknowledged;
    const home = await slack.waitFor((s) => homeOf(s, 'U123ABC456'), 10_000);
    const blocks = home.view.blocks as Section[];
    expect(blocks.length).toBeLessThanOrEqual(100);
    const shown = blocks.filter((b) => b.text?.text.includes(`*${app}* in *env-`)).length;
    const more = /…and (\d+) more environments: <https:\/\/hoist\.example\.com\/dashboard\|/.exec(textOf(home.view));
    expect(shown + Number(more?.[1])).toBe(150);
  }, 30_000);
});
