import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeMessage, type FakeSlack } from '../fakes/slack-api.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { removeAppContainers } from '../support/containers.ts';
import { channelAppYaml, eventually, randomName, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';
import { buttonsOf, cardOf, slackUser, type SlackUser } from '../support/slack-user.ts';

const TOKEN = 'xoxb-approval-buttons';
const SECRET = 'approval-buttons-secret';
const CHANNEL = 'C0APPROVE';
const REQUESTER = 'U0ALICE';

/** Two groups, dave in both: with him, two votes can meet @sre or @product, never both. */
const SRE = ['U0CAROL', 'U0DAVE', 'U0FRANK'];
const PRODUCT = ['U0DAVE', 'U0ERIN', 'U0GRACE'];

interface DeploymentJson {
  id: number;
  status: string;
  reason: string | null;
  startedAt: string | null;
}

interface ApprovalsJson {
  rules: { approvers: string[]; count: number; voters: { id: string }[]; met: boolean }[];
  history: { step: string; actor: { id: string } | null; reason: string | null }[];
}

/** Whether votes from `voters` meet 2 of @sre and 1 of @product, each person counting toward one rule. */
function bothRulesHold(voters: readonly string[]): boolean {
  return voters.filter((v) => PRODUCT.includes(v)).some((p) => voters.filter((v) => v !== p && SRE.includes(v)).length >= 2);
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('approval from Slack: Approve and Reject on the card, the reason in a modal', () => {
  const app = randomName('apv');
  let slack: FakeSlack;
  let hoist: TestHoist;
  let chat: SlackUser;
  let repo: GitFixture;
  const shas: string[] = [];

  beforeAll(async () => {
    repo = createGitFixture('hoist-approval-buttons');
    for (let i = 0; i < 5; i++) shas.push(repo.commit(`v${i}`, webAppFiles(`hello ${app} ${i}`)));
    slack = await startFakeSlack({
      token: TOKEN,
      rateLimitPerChannelPerSecond: 0,
      userGroups: [
        { id: 'S0SRE', handle: 'sre', users: SRE },
        { id: 'S0PRODUCT', handle: 'product', users: PRODUCT },
      ],
    });
    hoist = await startTestHoist({
      yaml: channelAppYaml({
        app,
        repo: repo.dir,
        channel: CHANNEL,
        environments: `      production:
        target: engine
        approval:
          rules:
            - { approvers: ["@sre"], count: 2 }
            - { approvers: ["@product"], count: 1 }
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
  const approvalsOf = (id: number) => getJson<ApprovalsJson>(`/deployments/${id}/approvals`);
  const threadOf = (id: number): string[] => {
    const card = cardOf(slack, id);
    return card === undefined ? [] : slack.thread(card.channel, card.ts).map((m) => m.text);
  };

  let deploys = 0;
  /** `deploy <app>@<a new commit> to production` as the requester; the card, once it shows the approval buttons. */
  async function requestDeploy(): Promise<{ id: number; card: FakeMessage }> {
    const sent = await chat.slash(`deploy ${app}@${shas[deploys++]} to production`, { user: REQUESTER, responseId: `deploy-${deploys}`, scoped: false });
    expect(sent.res.status).toBe(200);
    const answer = await chat.answerTo(sent.id, 20_000);
    const id = Number(/#(\d+)/.exec(String(answer.body.text))![1]);
    const card = await slack.waitFor((s) => {
      const found = cardOf(s, id);
      return found && buttonsOf(found).length === 3 ? found : null;
    }, 20_000);
    // The card as the approvers' clients show it when they click: its buttons stay, however it changes meanwhile.
    return { id, card: { ...card, blocks: structuredClone(card.blocks) } };
  }

  /** Clicks a card's button as `user`, as its own interaction; resolves with the ephemeral answer, if one comes within the wait. */
  async function click(card: FakeMessage, label: 'Approve' | 'Reject', user: string, options: { triggerId?: string; waitMs?: number } = {}): Promise<string | null> {
    const button = buttonsOf(card).find((b) => b.text.text === label)!;
    const { res, id } = await chat.click(card, button, { user, triggerId: options.triggerId });
    expect(res.status).toBe(200);
    const answer = await chat.answerTo(id, options.waitMs ?? 10_000).catch(() => null);
    return answer === null ? null : String(answer.body.text);
  }

  const queuedLines = (id: number) => threadOf(id).filter((line) => line.startsWith(`#${id} → QUEUED`));

  it('2 of @sre and 1 of @product, five approvers in random order: it starts exactly when both rules hold, dave counted once', async () => {
    const { id, card } = await requestDeploy();
    expect(buttonsOf(card).map((b) => `${b.text.text}:${b.action_id}`)).toEqual(['Approve:hoist_card_approve', 'Reject:hoist_card_reject', 'Cancel:hoist_card_cancel']);
    // The approvers hear of it: each group with Slack's group mention.
    await slack.waitFor(() => threadOf(id).find((line) => line.includes('waits for approval') && line.includes('<!subteam^S0SRE>') && line.includes('<!subteam^S0PRODUCT>')), 10_000);

    const voters: string[] = [];
    let approvedAt: number | null = null;
    for (const user of shuffled(['U0CAROL', 'U0DAVE', 'U0ERIN', 'U0FRANK', 'U0GRACE'])) {
      const answer = await click(card, 'Approve', user);
      if (approvedAt !== null) {
        expect(answer).toMatch(/QUEUED|is (BUILDING|DEPLOYING|DEPLOYED)|no longer offers approve|does not wait for approval/);
        continue;
      }
      voters.push(user);
      const now = await deploymentOf(id);
      if (bothRulesHold(voters)) {
        expect(answer).toContain('every rule holds');
        expect(now.status).not.toBe('AWAITING_APPROVAL');
        approvedAt = voters.length;
      } else {
        expect(answer).toContain('it waits for more');
        expect(now).toMatchObject({ status: 'AWAITING_APPROVAL', startedAt: null });
      }
    }
    expect(approvedAt).not.toBeNull();
    const approvals = await approvalsOf(id);
    const counted = approvals.rules.flatMap((r) => r.voters.map((v) => v.id));
    expect(new Set(counted).size).toBe(counted.length);
    expect(approvals.rules.map((r) => r.met)).toEqual([true, true]);

    const done = await eventually(async () => ((await deploymentOf(id)).status === 'DEPLOYED' ? true : null), 90_000, 'the approved deployment');
    expect(done).toBe(true);
    expect(queuedLines(id)).toHaveLength(1);
    const finalCard = cardOf(slack, id)!;
    expect(JSON.stringify(finalCard.blocks)).toMatch(/\*Approved\* by <@U0[A-Z]+>, <@U0[A-Z]+>, <@U0[A-Z]+> at /);
  }, 180_000);

  it("refuses the requester's Approve and a non-approver's, ephemerally, saying who may approve; neither is a vote", async () => {
    const { id, card } = await requestDeploy();
    expect(await click(card, 'Approve', REQUESTER)).toContain('you requested it, and someone else must approve it: 2 of @sre and 1 of @product');
    expect(await click(card, 'Approve', 'U0ZED')).toContain('only approvers may approve it: 2 of @sre and 1 of @product');
    const approvals = await approvalsOf(id);
    expect(approvals.rules.flatMap((r) => r.voters)).toEqual([]);
    expect(approvals.history.filter((h) => h.step === 'voted')).toEqual([]);
    expect(slack.responses.filter((r) => r.body.response_type !== 'ephemeral' && String(r.id).startsWith('click-'))).toEqual([]);

    // Canceled: what follows starts from an environment where nothing waits.
    await chat.slash(`cancel #${id}`, { user: REQUESTER, responseId: `cancel-${id}`, scoped: false });
    await eventually(async () => ((await deploymentOf(id)).status === 'CANCELED' ? true : null), 20_000, 'the cancel');
  }, 60_000);

  it('20 clicks of the last needed approver at once, and two approvers casting the final vote at once: it joins the queue once', async () => {
    const first = await requestDeploy();
    await click(first.card, 'Approve', 'U0CAROL');
    await click(first.card, 'Approve', 'U0ERIN');
    const answers = await Promise.all(Array.from({ length: 20 }, () => click(first.card, 'Approve', 'U0FRANK', { waitMs: 20_000 })));
    expect(answers.filter((a) => a?.includes('every rule holds'))).toHaveLength(1);
    await eventually(async () => ((await deploymentOf(first.id)).status === 'DEPLOYED' ? true : null), 90_000, 'the first deployment');
    expect(queuedLines(first.id)).toHaveLength(1);
    expect((await approvalsOf(first.id)).history.filter((h) => h.step === 'voted' && h.actor?.id === 'U0FRANK')).toHaveLength(1);

    const second = await requestDeploy();
    await click(second.card, 'Approve', 'U0CAROL');
    await click(second.card, 'Approve', 'U0ERIN');
    const finals = await Promise.all([click(second.card, 'Approve', 'U0DAVE'), click(second.card, 'Approve', 'U0FRANK')]);
    expect(finals.filter((a) => a?.includes('every rule holds'))).toHaveLength(1);
    await eventually(async () => ((await deploymentOf(second.id)).status === 'DEPLOYED' ? true : null), 90_000, 'the second deployment');
    expect(queuedLines(second.id)).toHaveLength(1);
  }, 240_000);

  it('Reject opens a modal that requires a reason; with one, the deployment ends REJECTED, the requester is told, and nothing runs', async () => {
    const { id, card } = await requestDeploy();
    // Someone no rule names may open the form, and is told under the reason who may reject.
    const strangers = slack.issueTrigger({ userId: 'U0ZED' });
    await click(card, 'Reject', 'U0ZED', { triggerId: strangers, waitMs: 1_000 });
    const theirs = await slack.waitFor((s) => s.views.find((v) => v.triggerId === strangers), 5_000);
    const refused = slack.submitView(theirs.id, { userId: 'U0ZED', values: { reason: { reason: 'no' } } });
    if (!refused.ok) throw new Error('a reason passes the modal');
    const refusal = await chat.post(refused.body);
    expect(slack.answerView(theirs.id, { status: refusal.status, body: await refusal.text() })).toMatchObject({
      kind: 'errors',
      errors: { reason: expect.stringContaining('only approvers may approve it: 2 of @sre and 1 of @product') },
    });
    const triggerId = slack.issueTrigger({ userId: 'U0CAROL' });
    await click(card, 'Reject', 'U0CAROL', { triggerId, waitMs: 1_000 });
    const modal = await slack.waitFor((s) => s.views.find((v) => v.triggerId === triggerId), 5_000);
    expect(modal).toMatchObject({ callbackId: 'hoist-reject', status: 'open' });
    expect(JSON.parse(modal.privateMetadata)).toEqual({ deploymentId: id, channel: CHANNEL });

    // Slack's own validation refuses an empty reason; spaces pass it and Hoist refuses them.
    expect(slack.submitView(modal.id, { userId: 'U0CAROL', values: {} })).toEqual({ ok: false, errors: { reason: 'Please fill out this field.' } });
    const blank = slack.submitView(modal.id, { userId: 'U0CAROL', values: { reason: { reason: '   ' } } });
    if (!blank.ok) throw new Error('spaces pass the modal');
    const blankAnswer = await chat.post(blank.body);
    expect(slack.answerView(modal.id, { status: blankAnswer.status, body: await blankAnswer.text() })).toMatchObject({ kind: 'errors', errors: { reason: expect.stringContaining('Say why') } });
    expect((await deploymentOf(id)).status).toBe('AWAITING_APPROVAL');

    const reasoned = slack.submitView(modal.id, { userId: 'U0CAROL', values: { reason: { reason: 'the migration is not reviewed' } } });
    if (!reasoned.ok) throw new Error('a reason passes the modal');
    const answer = await chat.post(reasoned.body);
    expect(slack.answerView(modal.id, { status: answer.status, body: await answer.text() })).toEqual({ kind: 'closed' });

    expect(await deploymentOf(id)).toMatchObject({ status: 'REJECTED', startedAt: null, reason: expect.stringContaining('the migration is not reviewed') });
    await slack.waitFor(() => threadOf(id).find((line) => line.startsWith(`<@${REQUESTER}> #${id} REJECTED`) && line.includes('the migration is not reviewed')), 10_000);
    const rejectedCard = await slack.waitFor((s) => {
      const found = cardOf(s, id);
      return found?.text.endsWith(': REJECTED') ? found : null;
    }, 10_000);
    expect(JSON.stringify(rejectedCard.blocks)).toContain('*Rejected* by <@U0CAROL> at ');
    expect(buttonsOf(rejectedCard)).toEqual([]);
    expect((await approvalsOf(id)).history.map((h) => h.step)).toEqual(['requested', 'refused', 'rejected']);
  }, 60_000);
});
