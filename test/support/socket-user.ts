import type { FakeEnvelope, FakeMessage, FakeSlack } from '../fakes/slack-api.ts';
import { blockActionBody, slashCommandBody } from '../fakes/slack-sign.ts';

/** Someone typing slash commands that Slack delivers over Socket Mode, each with its own channel and response_url so its answers can be told apart. */

export interface SocketCommand {
  text: string;
  channel: string;
  responseUrlId: string;
  envelope: FakeEnvelope;
}

export function sendSlash(slack: FakeSlack, text: string, options: { id: string; user?: string; to?: number }): SocketCommand {
  const channel = `C${options.id.toUpperCase().replace(/[^A-Z0-9]/g, '')}`;
  const user = options.user ?? 'U0ALICE';
  const responseUrlId = `sock-${options.id}`;
  const body = slashCommandBody({
    command: '/hoist',
    text,
    userId: user,
    channelId: channel,
    responseUrl: slack.responseUrl(responseUrlId, { channel, userId: user }),
  });
  // Over Socket Mode the payload is the form's fields as a JSON object.
  const payload = Object.fromEntries(new URLSearchParams(body));
  const envelope = slack.socket.send('slash_commands', payload, options.to === undefined ? {} : { to: options.to });
  return { text, channel, responseUrlId, envelope };
}

/** Someone clicks `button` on `card`: the `block_actions` payload as an `interactive` envelope. */
export function sendClick(slack: FakeSlack, card: FakeMessage, button: { action_id: string; value: string }, options: { id: string; user: string }): FakeEnvelope {
  const body = blockActionBody({
    userId: options.user,
    channelId: card.channel,
    messageTs: card.ts,
    actionId: button.action_id,
    value: button.value,
    responseUrl: slack.responseUrl(`click-${options.id}`, { channel: card.channel, userId: options.user }),
  });
  return slack.socket.send('interactive', JSON.parse(new URLSearchParams(body).get('payload')!) as Record<string, unknown>);
}

/** What Hoist answered a command with: the acknowledgement's text, each response_url post, each top-level message in its channel. */
export function answersOf(slack: FakeSlack, command: SocketCommand): string[] {
  const inAck = command.envelope.acks
    .filter((a) => !a.late)
    .map((a) => a.payload?.text)
    .filter((t): t is string => typeof t === 'string');
  const responses = slack.responses.filter((r) => r.id === command.responseUrlId && r.status === 200).map((r) => String(r.body.text));
  const cards = slack.messages.filter((m) => m.channel === command.channel && m.threadTs === null && m.via === 'api').map((m) => `card: ${m.text}`);
  return [...inAck, ...responses, ...cards];
}
