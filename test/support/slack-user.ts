import type { FakeMessage, FakeSlack } from '../fakes/slack-api.ts';
import { blockActionBody, signSlackRequest, slashCommandBody } from '../fakes/slack-sign.ts';

/** A person in the fake Slack workspace talking to a running Hoist: signed slash commands and card clicks. */

export type ResponseUrlPost = FakeSlack['responses'][number];

export interface SlackUserOptions {
  /** Hoist's address; a function when the test restarts Hoist on another port. */
  baseUrl: string | (() => string);
  slack: FakeSlack;
  /** The signing secret Hoist checks. */
  secret: string;
  /** Where commands are typed unless a call says otherwise. */
  channel: string;
}

export interface SlashOptions {
  user: string;
  channel?: string;
  triggerId?: string | undefined;
  /** Sends it as Slack's retry number `retry` (of a request that timed out). */
  retry?: number | undefined;
  /** The id of the command's response_url (random unless given). */
  responseId?: string;
  /** Whether the response_url knows its channel and user, as Slack's does; some tests leave it bare. */
  scoped?: boolean;
}

export interface ClickOptions {
  user: string;
  /** The channel the click comes from (the card's unless given). */
  channel?: string | undefined;
  triggerId?: string | undefined;
}

/** A request Hoist has acknowledged: its HTTP answer and the id of its response_url. */
export interface Sent {
  res: Response;
  id: string;
}

export interface ButtonJson {
  type?: string;
  action_id: string;
  value: string;
  text: { text: string };
}

export interface SlackUser {
  /** POSTs a form body to `/slack/events`, signed with the secret, with any `headers` besides. */
  post(body: string, headers?: Record<string, string>): Promise<Response>;
  /** Types `/hoist <text>`. */
  slash(text: string, options: SlashOptions): Promise<Sent>;
  /** Clicks a button of a card; the response_url knows the channel and the user. */
  click(card: FakeMessage, button: Pick<ButtonJson, 'action_id' | 'value'>, options: ClickOptions): Promise<Sent>;
  /** What Hoist posted to response_url `id`, once it has. */
  answerTo(id: string, timeoutMs: number): Promise<ResponseUrlPost>;
  /** The text of the answer: the immediate one in the HTTP reply when there is one, else the response_url's. */
  replyText(sent: Sent, timeoutMs: number): Promise<string>;
}

const randomId = (prefix: string): string => `${prefix}-${Math.random().toString(16).slice(2)}`;

export function slackUser(options: SlackUserOptions): SlackUser {
  const { slack, secret } = options;
  const baseUrl = (): string => (typeof options.baseUrl === 'string' ? options.baseUrl : options.baseUrl());
  const post = async (body: string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${baseUrl()}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(body, secret), ...headers },
      body,
    });
  const answerTo = (id: string, timeoutMs: number): Promise<ResponseUrlPost> => slack.waitFor((s) => s.responses.find((r) => r.id === id), timeoutMs);
  return {
    post,
    answerTo,
    async slash(text, { user, channel = options.channel, triggerId, retry, responseId = randomId('r'), scoped = true }) {
      const responseUrl = slack.responseUrl(responseId, scoped ? { channel, userId: user } : undefined);
      const fields = { command: '/hoist', text, userId: user, channelId: channel, responseUrl };
      const retried: Record<string, string> = retry === undefined ? {} : { 'x-slack-retry-num': String(retry), 'x-slack-retry-reason': 'http_timeout' };
      const res = await post(slashCommandBody(triggerId === undefined ? fields : { ...fields, triggerId }), retried);
      return { res, id: responseId };
    },
    async click(card, button, { user, channel = card.channel, triggerId }) {
      const id = randomId('click');
      const fields = { userId: user, channelId: channel, messageTs: card.ts, actionId: button.action_id, value: button.value, responseUrl: slack.responseUrl(id, { channel, userId: user }) };
      const res = await post(blockActionBody(triggerId === undefined ? fields : { ...fields, triggerId }));
      return { res, id };
    },
    async replyText({ res, id }, timeoutMs) {
      const immediate = await res.text();
      if (immediate.trim().startsWith('{')) {
        const parsed = JSON.parse(immediate) as { text?: string };
        if (parsed.text) return parsed.text;
      }
      return String((await answerTo(id, timeoutMs)).body.text);
    },
  };
}

/** The top-level card of deployment `id`, if it has been posted. */
export const cardOf = (s: FakeSlack, id: number): FakeMessage | undefined => s.messages.find((m) => m.threadTs === null && m.text.includes(`· #${id}:`));

/** The buttons of a card, in order. */
export const buttonsOf = (card: FakeMessage): ButtonJson[] =>
  ((card.blocks ?? []) as { type: string; elements?: ButtonJson[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
