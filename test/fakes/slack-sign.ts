import { createHmac } from 'node:crypto';

/**
 * Headers Slack sends with every request to an app: the v0 signature is an
 * HMAC-SHA256 of `v0:<timestamp>:<raw body>` keyed with the signing secret.
 */
export function signSlackRequest(
  body: string,
  secret: string,
  timestamp: number = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const signature = createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
  return {
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': `v0=${signature}`,
  };
}

export interface SlashCommandFields {
  command: string;
  text: string;
  userId: string;
  channelId: string;
  responseUrl: string;
  triggerId?: string;
  userName?: string;
  teamId?: string;
}

/** The form-encoded body Slack posts for a slash command. */
export function slashCommandBody(fields: SlashCommandFields): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: fields.teamId ?? 'T0HOIST',
    team_domain: 'hoist-test',
    channel_id: fields.channelId,
    channel_name: 'deploys',
    user_id: fields.userId,
    user_name: fields.userName ?? fields.userId.toLowerCase(),
    command: fields.command,
    text: fields.text,
    api_app_id: 'A0HOIST',
    is_enterprise_install: 'false',
    response_url: fields.responseUrl,
    trigger_id: fields.triggerId ?? randomTriggerId(),
  }).toString();
}

export interface AppMentionFields {
  text: string;
  userId: string;
  channelId: string;
  eventId?: string;
  botUserId?: string;
  ts?: string;
}

/** The JSON body of an Events API `event_callback` carrying an `app_mention`. */
export function appMentionBody(fields: AppMentionFields): string {
  const ts = fields.ts ?? `${Math.floor(Date.now() / 1000)}.000100`;
  return JSON.stringify({
    token: 'deprecated-verification-token',
    team_id: 'T0HOIST',
    api_app_id: 'A0HOIST',
    type: 'event_callback',
    event_id: fields.eventId ?? `Ev${Math.random().toString(36).slice(2, 12).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: 'T0HOIST', user_id: fields.botUserId ?? 'U0HOISTBOT', is_bot: true }],
    event: {
      type: 'app_mention',
      user: fields.userId,
      text: `<@${fields.botUserId ?? 'U0HOISTBOT'}> ${fields.text}`,
      ts,
      channel: fields.channelId,
      event_ts: ts,
    },
  });
}

export interface BlockActionFields {
  userId: string;
  channelId: string;
  /** The message the button is on (the card): its `ts`. */
  messageTs: string;
  actionId: string;
  value: string;
  blockId?: string;
  responseUrl: string;
  triggerId?: string;
  userName?: string;
  text?: string;
}

/** A trigger_id in Slack's format (`<digits>.<digits>.<hex>`), for an interaction no modal is opened from. */
export function randomTriggerId(): string {
  return `${Date.now()}.1234.${Math.random().toString(16).slice(2).padEnd(13, '0')}`;
}

function interactionUser(userId: string, userName: string | undefined) {
  const name = userName ?? userId.toLowerCase();
  return { id: userId, username: name, name, team_id: 'T0HOIST' };
}

/** The `payload=<JSON>` form body Slack posts for every interaction. */
function interactionBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/**
 * The form-encoded body Slack posts when a button in a message is clicked: `payload=<block_actions JSON>`,
 * shaped as Slack's documented example (team, user, container, trigger_id, channel, message, response_url, actions).
 */
export function blockActionBody(fields: BlockActionFields): string {
  return interactionBody({
    type: 'block_actions',
    team: { id: 'T0HOIST', domain: 'hoist-test' },
    user: interactionUser(fields.userId, fields.userName),
    api_app_id: 'A0HOIST',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: fields.messageTs, channel_id: fields.channelId, is_ephemeral: false },
    trigger_id: fields.triggerId ?? randomTriggerId(),
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: fields.channelId, name: 'deploys' },
    message: { bot_id: 'B0HOIST', type: 'message', text: fields.text ?? '', user: 'U0HOISTBOT', ts: fields.messageTs },
    state: { values: {} },
    response_url: fields.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: fields.actionId,
        block_id: fields.blockId ?? 'hoist_card',
        text: { type: 'plain_text', text: fields.actionId, emoji: true },
        value: fields.value,
        action_ts: `${(Date.now() / 1000).toFixed(6)}`,
      },
    ],
  });
}

export interface ViewSubmissionFields {
  /** The view as Slack holds it (a `FakeView`'s `view`): id, callback_id, private_metadata, hash, blocks... */
  view: Record<string, unknown>;
  userId: string;
  userName?: string;
  /** block_id → action_id → the text typed into that `plain_text_input` (null: left empty). */
  values: Record<string, Record<string, string | null>>;
  triggerId?: string;
}

/**
 * The form-encoded body Slack posts when a modal is submitted: `payload=<view_submission JSON>`,
 * the view with what the user typed in `state.values`. `FakeSlack.submitView` applies the
 * modal's own checks first; this builds the body as given, for requests Slack would not send.
 */
export function viewSubmissionBody(fields: ViewSubmissionFields): string {
  const values = Object.fromEntries(
    Object.entries(fields.values).map(([blockId, actions]) => [
      blockId,
      Object.fromEntries(Object.entries(actions).map(([actionId, value]) => [actionId, { type: 'plain_text_input', value }])),
    ]),
  );
  return interactionBody({
    type: 'view_submission',
    team: { id: 'T0HOIST', domain: 'hoist-test' },
    user: interactionUser(fields.userId, fields.userName),
    api_app_id: 'A0HOIST',
    token: 'deprecated-verification-token',
    trigger_id: fields.triggerId ?? randomTriggerId(),
    view: { type: 'modal', ...fields.view, state: { values } },
    response_urls: [],
    enterprise: null,
    is_enterprise_install: false,
  });
}

/**
 * The `event_callback` Slack sends when someone opens the app's Home: the `app_home_opened`
 * event as the documentation's example shows it, for `userId`, with `view` (the Home tab as
 * last published, which carries its `hash`) only when one was published before.
 */
export function appHomeOpenedCallback(fields: { userId: string; tab?: 'home' | 'messages'; view?: Record<string, unknown>; eventId?: string }): Record<string, unknown> {
  const now = Date.now();
  return {
    token: 'deprecated-verification-token',
    team_id: 'T0HOIST',
    api_app_id: 'A0HOIST',
    type: 'event_callback',
    event_id: fields.eventId ?? `Ev${Math.random().toString(36).slice(2, 12).toUpperCase()}`,
    event_time: Math.floor(now / 1000),
    authorizations: [{ team_id: 'T0HOIST', user_id: 'U0HOISTBOT', is_bot: true }],
    event: {
      type: 'app_home_opened',
      user: fields.userId,
      channel: `D${fields.userId.slice(1)}`,
      event_ts: `${Math.floor(now / 1000)}.${String(now % 1000).padStart(6, '0')}`,
      tab: fields.tab ?? 'home',
      ...(fields.view === undefined ? {} : { view: fields.view }),
    },
  };
}

/**
 * The form body Slack posts when a button in a Home tab is clicked: a `block_actions` whose
 * container is the view; there is no channel, message or response_url.
 */
export function homeActionBody(fields: { userId: string; viewId: string; actionId: string; value: string; blockId?: string; triggerId?: string }): string {
  return interactionBody({
    type: 'block_actions',
    team: { id: 'T0HOIST', domain: 'hoist-test' },
    user: interactionUser(fields.userId, undefined),
    api_app_id: 'A0HOIST',
    token: 'deprecated-verification-token',
    container: { type: 'view', view_id: fields.viewId },
    trigger_id: fields.triggerId ?? randomTriggerId(),
    enterprise: null,
    is_enterprise_install: false,
    view: { id: fields.viewId, type: 'home', callback_id: 'hoist-home', team_id: 'T0HOIST', app_id: 'A0HOIST', bot_id: 'B0HOIST' },
    state: { values: {} },
    actions: [
      {
        type: 'button',
        action_id: fields.actionId,
        block_id: fields.blockId ?? 'hoist_card',
        text: { type: 'plain_text', text: fields.actionId, emoji: true },
        value: fields.value,
        action_ts: `${(Date.now() / 1000).toFixed(6)}`,
      },
    ],
  });
}
