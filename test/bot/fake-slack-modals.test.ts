import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel, webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { blockActionBody, signSlackRequest, viewSubmissionBody } from '../fakes/slack-sign.ts';

type ModalView = webApi.ViewsOpenArguments['view'];

const TOKEN = 'xoxb-modal-token';
const SECRET = 'modal-signing-secret';

// Slack's documented examples, verbatim but for the `...` and `{ ... }` the pages use to
// elide fields, which are left out so the text is JSON.

/** api.slack.com/reference/interaction-payloads/block-actions: a button clicked in a message. */
const DOCUMENTED_BLOCK_ACTIONS = {
  type: 'block_actions',
  team: { id: 'T9TK3CUKW', domain: 'example' },
  user: { id: 'UA8RXUSPL', username: 'jtorrance', team_id: 'T9TK3CUKW' },
  api_app_id: 'AABA1ABCD',
  token: '9s8d9as89d8as9d8as989',
  container: {
    type: 'message_attachment',
    message_ts: '1548261231.000200',
    attachment_id: 1,
    channel_id: 'CBR2V3XEX',
    is_ephemeral: false,
    is_app_unfurl: false,
  },
  trigger_id: '12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3',
  channel: { id: 'CBR2V3XEX', name: 'review-updates' },
  message: { bot_id: 'BAH5CA16Z', type: 'message', text: "This content can't be displayed.", user: 'UAJ2RU415', ts: '1548261231.000200' },
  response_url: 'https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9091209',
  actions: [
    {
      action_id: 'WaXA',
      block_id: '=qXel',
      text: { type: 'plain_text', text: 'View', emoji: true },
      value: 'click_me_123',
      type: 'button',
      action_ts: '1548426417.840180',
    },
  ],
};

/** api.slack.com/reference/interaction-payloads/views: a modal submitted. */
const DOCUMENTED_VIEW_SUBMISSION = {
  type: 'view_submission',
  view: {
    id: 'VNHU13V36',
    type: 'modal',
    private_metadata: 'shhh-its-secret',
    callback_id: 'modal-with-inputs',
    state: { values: { 'multi-line': { 'ml-value': { type: 'plain_text_input', value: 'This is my example inputted value' } } } },
    hash: '156663117.cd33ad1f',
  },
};

/** docs.slack.dev/tools/bolt-js/concepts/creating-modals: the view opened with views.open. */
const DOCUMENTED_MODAL = {
  type: 'modal',
  callback_id: 'view_1',
  title: { type: 'plain_text', text: 'Modal title' },
  blocks: [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: 'Welcome to a modal with _blocks_' },
      accessory: { type: 'button', text: { type: 'plain_text', text: 'Click me!' }, action_id: 'button_abc' },
    },
    {
      type: 'input',
      block_id: 'input_c',
      label: { type: 'plain_text', text: 'What are your hopes and dreams?' },
      element: { type: 'plain_text_input', action_id: 'dreamy_input', multiline: true },
    },
  ],
  submit: { type: 'plain_text', text: 'Submit' },
};

/** api.slack.com/methods/views.open: the typical success response. */
const DOCUMENTED_VIEWS_OPEN_RESPONSE = {
  ok: true,
  view: {
    id: 'VMHU10V25',
    team_id: 'T8N4K1JN',
    type: 'modal',
    title: { type: 'plain_text', text: 'Quite a plain modal' },
    submit: { type: 'plain_text', text: 'Create' },
    blocks: [
      {
        type: 'input',
        block_id: 'a_block_id',
        label: { type: 'plain_text', text: 'A simple label', emoji: true },
        optional: false,
        element: { type: 'plain_text_input', action_id: 'an_action_id' },
      },
    ],
    private_metadata: 'Shh it is a secret',
    callback_id: 'identify_your_modals',
    external_id: '',
    state: { values: {} },
    hash: '156772938.1827394',
    clear_on_close: false,
    notify_on_close: false,
    root_view_id: 'VMHU10V25',
    app_id: 'AA4928AQ',
    bot_id: 'BA13894H',
  },
};

/** The reject modal an approval card's Reject button opens, as the Slack UI will. */
const REASON_MODAL: ModalView = {
  type: 'modal',
  callback_id: 'hoist_reject',
  private_metadata: '{"deploymentId":7}',
  title: { type: 'plain_text', text: 'Reject #7' },
  submit: { type: 'plain_text', text: 'Reject' },
  close: { type: 'plain_text', text: 'Cancel' },
  blocks: [
    {
      type: 'input',
      block_id: 'reason',
      label: { type: 'plain_text', text: 'Why?' },
      element: { type: 'plain_text_input', action_id: 'reason', multiline: true },
    },
  ],
};

/** Paths (a.b.c) of the documented payload's fields that `ours` lacks or holds with another JSON type. */
function missingFields(documented: unknown, ours: unknown, path = ''): string[] {
  const kind = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  if (kind(documented) !== kind(ours)) return [path];
  if (Array.isArray(documented)) {
    // Elements are compared with ours of the same `type` (blocks, actions), else with our first.
    const typeOf = (v: unknown) => (typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined);
    const mine = (ours as unknown[]).find((o) => typeOf(o) === typeOf(documented[0])) ?? (ours as unknown[])[0];
    return missingFields(documented[0], mine, `${path}[0]`);
  }
  if (kind(documented) !== 'object') return [];
  return Object.entries(documented as Record<string, unknown>).flatMap(([key, value]) => {
    const here = path === '' ? key : `${path}.${key}`;
    const theirs = (ours as Record<string, unknown>)[key];
    return theirs === undefined ? [here] : missingFields(value, theirs, here);
  });
}

function payloadOf(body: string): Record<string, unknown> {
  return JSON.parse(new URLSearchParams(body).get('payload')!) as Record<string, unknown>;
}

async function callApi(slack: FakeSlack, method: string, params: Record<string, unknown>) {
  const response = await fetch(`${slack.url}${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(params),
  });
  return (await response.json()) as Record<string, unknown>;
}

describe('fake Slack: modals and user groups', () => {
  let slack: FakeSlack;

  beforeAll(async () => {
    slack = await startFakeSlack({
      token: TOKEN,
      userGroups: [
        { id: 'S0SRE', handle: 'sre', users: ['U0CAROL', 'U0DAVE'] },
        { id: 'S0PRODUCT', handle: 'product', users: ['U0DAVE', 'U0ERIN'] },
      ],
    });
  });
  afterAll(async () => {
    await slack.close();
  });

  it('answers usergroups.users.list and usergroups.list from one table, as it stands at each call', async () => {
    const client = new webApi.WebClient(TOKEN, { slackApiUrl: slack.url, logLevel: webApi.LogLevel.ERROR });
    expect((await client.usergroups.users.list({ usergroup: 'S0SRE' })).users).toEqual(['U0CAROL', 'U0DAVE']);
    await expect(client.usergroups.users.list({ usergroup: 'S0NOPE' })).rejects.toMatchObject({ data: { ok: false, error: 'no_such_subteam' } });
    slack.userGroups = [...slack.userGroups, { id: 'S0LEADS', handle: 'sre-leads', users: ['U0CAROL'] }];
    expect((await client.usergroups.users.list({ usergroup: 'S0LEADS' })).users).toEqual(['U0CAROL']);
    const listed = await client.usergroups.list({ include_users: true });
    expect(listed.usergroups?.map((g) => [g.handle, g.users])).toEqual([
      ['sre', ['U0CAROL', 'U0DAVE']],
      ['product', ['U0DAVE', 'U0ERIN']],
      ['sre-leads', ['U0CAROL']],
    ]);
  });

  it('opens Slack’s documented modal and answers in the documented shape', async () => {
    const triggerId = slack.issueTrigger({ userId: 'U0CAROL' });
    const answer = await callApi(slack, 'views.open', { trigger_id: triggerId, view: JSON.stringify(DOCUMENTED_MODAL) });
    expect(missingFields(DOCUMENTED_VIEWS_OPEN_RESPONSE, answer)).toEqual([]);
    const opened = slack.views.at(-1)!;
    expect(opened).toMatchObject({ id: (answer.view as { id: string }).id, callbackId: 'view_1', userId: 'U0CAROL', triggerId, status: 'open' });
    expect((opened.view.blocks as { block_id: string }[]).map((b) => typeof b.block_id)).toEqual(['string', 'string']);
  });

  it('lets a trigger open one view within three seconds of its interaction', async () => {
    const open = (triggerId: string | undefined) => callApi(slack, 'views.open', { ...(triggerId === undefined ? {} : { trigger_id: triggerId }), view: REASON_MODAL });
    expect(await open(undefined)).toMatchObject({ ok: false, error: 'invalid_arguments' });
    expect(await open('12345.98765.abcd2358fdea')).toMatchObject({ ok: false, error: 'invalid_trigger_id' });
    expect(await open('not a trigger')).toMatchObject({ ok: false, error: 'invalid_trigger_id' });
    expect(await open(slack.issueTrigger({ ageMs: 3_001 }))).toMatchObject({ ok: false, error: 'expired_trigger_id' });
    const fresh = slack.issueTrigger({ ageMs: 2_900 });
    expect(await open(fresh)).toMatchObject({ ok: true });
    expect(await open(fresh)).toMatchObject({ ok: false, error: 'exchanged_trigger_id' });
  });

  it('refuses views that break the modal rules, naming where', async () => {
    const messages = async (view: Record<string, unknown>) => {
      const answer = await callApi(slack, 'views.open', { trigger_id: slack.issueTrigger(), view });
      expect(answer).toMatchObject({ ok: false, error: 'invalid_arguments' });
      return (answer.response_metadata as { messages: string[] }).messages.join('\n');
    };
    expect(await messages({ ...REASON_MODAL, title: { type: 'plain_text', text: 'x'.repeat(25) } })).toContain('[json-pointer:/view/title/text]');
    expect(await messages({ ...REASON_MODAL, type: 'home' })).toContain('[json-pointer:/view/type]');
    expect(await messages({ ...REASON_MODAL, submit: undefined })).toContain('must define submit to use input block');
    expect(await messages({ ...REASON_MODAL, close: { type: 'plain_text', text: 'x'.repeat(25) } })).toContain('/view/close/text');
    expect(await messages({ ...REASON_MODAL, callback_id: undefined })).toContain('/view/callback_id');
    const section = { type: 'section', text: { type: 'mrkdwn', text: 'a' } };
    expect(await messages({ ...REASON_MODAL, blocks: Array.from({ length: 101 }, () => section) })).toContain('[json-pointer:/view/blocks]');
    const hundred = await callApi(slack, 'views.open', { trigger_id: slack.issueTrigger(), view: { ...REASON_MODAL, submit: undefined, blocks: Array.from({ length: 100 }, () => section) } });
    expect(hundred.ok).toBe(true);
  });

  it('builds block_actions and view_submission payloads with every field of Slack’s documented examples', () => {
    const click = payloadOf(
      blockActionBody({ userId: 'U0CAROL', channelId: 'C0DEPLOYS', messageTs: '1.000001', actionId: 'hoist_approve', value: '7', responseUrl: 'http://x/r' }),
    );
    // The documented click is on a button in a message attachment; Hoist's cards are blocks, whose container has neither field.
    expect(missingFields(DOCUMENTED_BLOCK_ACTIONS, click)).toEqual(['container.attachment_id', 'container.is_app_unfurl']);
    const submitted = payloadOf(viewSubmissionBody({ view: { id: 'V1', callback_id: 'modal-with-inputs', private_metadata: 'p', hash: '1.a' }, userId: 'U0CAROL', values: { 'multi-line': { 'ml-value': 'typed' } } }));
    expect(missingFields(DOCUMENTED_VIEW_SUBMISSION, submitted)).toEqual([]);
  });

  describe('through Bolt over signed HTTP, as Hoist receives them', () => {
    let server: Server;
    let events: string;
    const seen: { kind: string; body: Record<string, unknown> }[] = [];

    beforeAll(async () => {
      const receiver = new HTTPReceiver({ signingSecret: SECRET, endpoints: '/slack/events' });
      const app = new App({ token: TOKEN, receiver, deferInitialization: true, logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl: slack.url } });
      app.action({ type: 'block_actions', action_id: /.*/ }, async ({ ack, body, client }) => {
        await ack();
        seen.push({ kind: 'block_actions', body: body as unknown as Record<string, unknown> });
        if ('trigger_id' in body && (body as { actions: { action_id: string }[] }).actions[0]?.action_id === 'hoist_reject') {
          await client.views.open({ trigger_id: body.trigger_id, view: REASON_MODAL });
        }
      });
      app.view(/.*/, async ({ ack, view, body }) => {
        seen.push({ kind: 'view_submission', body: body as unknown as Record<string, unknown> });
        const reason = Object.values(view.state.values)[0];
        const typed = reason === undefined ? null : Object.values(reason)[0]?.value;
        if (typeof typed === 'string' && typed.trim() === '') await ack({ response_action: 'errors', errors: { reason: 'Say why you reject it.' } });
        else await ack();
      });
      await app.init();
      server = createServer((req, res) => receiver.requestListener(req, res));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      events = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    const post = async (body: string) => {
      const response = await fetch(events, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(body, SECRET) }, body });
      return { status: response.status, body: await response.text() };
    };
    const form = (payload: unknown) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();

    it('Bolt takes Slack’s documented payloads and the builders’ alike', async () => {
      seen.length = 0;
      expect((await post(form(DOCUMENTED_BLOCK_ACTIONS))).status).toBe(200);
      // The page elides `team` and `user`, which Slack always sends and Bolt needs: the block_actions page's own fill them.
      const submission = { ...DOCUMENTED_VIEW_SUBMISSION, team: DOCUMENTED_BLOCK_ACTIONS.team, user: DOCUMENTED_BLOCK_ACTIONS.user };
      expect((await post(form(submission))).status).toBe(200);
      const built = blockActionBody({ userId: 'U0BOB', channelId: 'C0DEPLOYS', messageTs: '1.000001', actionId: 'hoist_approve', value: '7', responseUrl: slack.responseUrl('r-approve') });
      expect((await post(built)).status).toBe(200);
      expect(seen.map((s) => [s.kind, (s.body.user as { id: string } | undefined)?.id ?? null])).toEqual([
        ['block_actions', 'UA8RXUSPL'],
        ['view_submission', 'UA8RXUSPL'],
        ['block_actions', 'U0BOB'],
      ]);
    });

    it('a Reject click opens the modal; the modal refuses an empty reason; the app refuses a blank one; a reason closes it', async () => {
      const triggerId = slack.issueTrigger({ userId: 'U0CAROL' });
      const click = blockActionBody({
        userId: 'U0CAROL',
        channelId: 'C0DEPLOYS',
        messageTs: '1.000001',
        actionId: 'hoist_reject',
        value: '7',
        responseUrl: slack.responseUrl('r-reject'),
        triggerId,
      });
      expect((await post(click)).status).toBe(200);
      const modal = await slack.waitFor((s) => s.views.find((v) => v.triggerId === triggerId));
      expect(modal).toMatchObject({ userId: 'U0CAROL', privateMetadata: '{"deploymentId":7}' });

      expect(slack.submitView(modal.id, { userId: 'U0CAROL', values: {} })).toEqual({ ok: false, errors: { reason: 'Please fill out this field.' } });

      const blank = slack.submitView(modal.id, { userId: 'U0CAROL', values: { reason: { reason: '   ' } } });
      if (!blank.ok) throw new Error('a blank reason passes the modal: only the app can refuse it');
      expect(slack.answerView(modal.id, await post(blank.body))).toEqual({ kind: 'errors', errors: { reason: 'Say why you reject it.' } });
      expect(modal.status).toBe('open');

      const reasoned = slack.submitView(modal.id, { userId: 'U0CAROL', values: { reason: { reason: 'tests are red' } } });
      if (!reasoned.ok) throw new Error('a reason passes the modal');
      expect(payloadOf(reasoned.body)).toMatchObject({
        type: 'view_submission',
        user: { id: 'U0CAROL' },
        view: { id: modal.id, callback_id: 'hoist_reject', private_metadata: '{"deploymentId":7}', state: { values: { reason: { reason: { type: 'plain_text_input', value: 'tests are red' } } } } },
      });
      expect(slack.answerView(modal.id, await post(reasoned.body))).toEqual({ kind: 'closed' });
      expect(modal.status).toBe('closed');
      expect(modal.submissions.map((s) => s.kind)).toEqual(['refused', 'answered', 'answered']);
      expect(() => slack.submitView(modal.id, { userId: 'U0CAROL', values: { reason: { reason: 'again' } } })).toThrow(/closed/);
    });

    it('reads an answer that breaks Slack’s rules as a failure the user would see', () => {
      const modal = slack.views.find((v) => v.callbackId === 'hoist_reject')!;
      expect(slack.answerView(modal.id, { status: 200, body: JSON.stringify({ response_action: 'errors', errors: { nope: 'x' } }) })).toMatchObject({ kind: 'failed' });
      expect(slack.answerView(modal.id, { status: 500, body: '' })).toEqual({ kind: 'failed', reason: 'HTTP 500' });
      expect(slack.answerView(modal.id, { status: 200, body: JSON.stringify({ response_action: 'update', view: { ...REASON_MODAL, title: { type: 'plain_text', text: 'x'.repeat(30) } } }) })).toMatchObject({ kind: 'failed' });
    });
  });
});
