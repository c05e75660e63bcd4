import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';

/**
 * The fake Socket Mode endpoint against Slack's documented messages. The examples below are
 * Slack's own: `hello` and `disconnect` as the Socket Mode guide shows them, the envelopes as
 * Slack's SDKs test against them (a slash command; an Events API event delivered again, with
 * `retry_attempt` and `retry_reason`).
 */

const DOC_HELLO = {
  type: 'hello',
  num_connections: 4,
  debug_info: { host: 'applink-7fc4fdbb64-4x5xq', build_number: 10, approximate_connection_time: 18060 },
  connection_info: { app_id: 'A01K58AR4RF' },
};
const DOC_DISCONNECT = { type: 'disconnect', reason: 'warning', debug_info: { host: 'applink-7fc4fdbb64-4x5xq' } };
const DOC_SLASH = JSON.parse(
  '{"envelope_id":"1d3c79ab-0ffb-41f3-a080-d19e85f53649","payload":{"token":"xxx","team_id":"T111","team_domain":"xxx","channel_id":"C111","channel_name":"random","user_id":"U111","user_name":"seratch","command":"/hello-socket-mode","text":"","api_app_id":"A111","response_url":"https://hooks.slack.com/commands/T111/111/xxx","trigger_id":"111.222.xxx"},"type":"slash_commands","accepts_response_payload":true}',
) as Record<string, unknown>;
const DOC_EVENT_RETRY = JSON.parse(
  '{"envelope_id":"08cfc559-d933-402e-a5c1-79e135afaae4","payload":{"token":"xxx","team_id":"T111","api_app_id":"A111","event":{"client_msg_id":"c9b466b5-845c-49c6-a371-57ae44359bf1","type":"message","text":"<@W111>","user":"U111","ts":"1610197986.000300","team":"T111","blocks":[{"type":"rich_text","block_id":"1HBPc","elements":[{"type":"rich_text_section","elements":[{"type":"user","user_id":"U111"}]}]}],"channel":"C111","event_ts":"1610197986.000300","channel_type":"channel"},"type":"event_callback","event_id":"Ev111","event_time":1610197986,"authorizations":[{"enterprise_id":null,"team_id":"T111","user_id":"U111","is_bot":true,"is_enterprise_install":false}],"is_ext_shared_channel":false,"event_context":"1-message-T111-C111"},"type":"events_api","accepts_response_payload":false,"retry_attempt":1,"retry_reason":"timeout"}',
) as Record<string, unknown>;

const BOT = 'xoxb-socket-fake';
const APP = 'xapp-1-A0HOIST-socket-fake';

/** The shape of a JSON value: the same keys, and values of the same kind, all the way down. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]).sort(([a], [b]) => String(a).localeCompare(String(b))));
  return value === null ? 'null' : typeof value;
}

interface Client {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  next(): Promise<Record<string, unknown>>;
}

describe('the fake Socket Mode endpoint', () => {
  let slack: FakeSlack;
  const clients: WebSocket[] = [];

  beforeEach(async () => {
    slack = await startFakeSlack({ token: BOT, appToken: APP, socket: { ackTimeoutMs: 300, maxRetries: 2, disconnectGraceMs: 300 } });
  });
  afterEach(async () => {
    for (const ws of clients) ws.terminate();
    clients.length = 0;
    await slack.close();
  });

  const open = async (token = APP): Promise<Record<string, unknown>> => {
    const res = await fetch(`${slack.url}apps.connections.open`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    return (await res.json()) as Record<string, unknown>;
  };

  const connect = async (): Promise<Client> => {
    const { url } = await open();
    const ws = new WebSocket(String(url));
    clients.push(ws);
    const messages: Record<string, unknown>[] = [];
    let read = 0;
    const waiters: (() => void)[] = [];
    ws.on('message', (data) => {
      messages.push(JSON.parse(String(data)) as Record<string, unknown>);
      for (const w of waiters.splice(0)) w();
    });
    const next = async (): Promise<Record<string, unknown>> => {
      while (messages.length <= read) await new Promise<void>((resolve) => waiters.push(resolve));
      return messages[read++]!;
    };
    await next();
    return { ws, messages, next };
  };

  it('hands out single-use ws:// URLs on loopback to the app-level token only', async () => {
    const answer = await open();
    expect(answer).toEqual({ ok: true, url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=[0-9a-f-]+&app_id=A0HOIST$/) });
    expect(await open(BOT)).toEqual({ ok: false, error: 'not_allowed_token_type' });
    expect(await open('xapp-1-wrong')).toEqual({ ok: false, error: 'invalid_auth' });
    const chat = await fetch(`${slack.url}chat.postMessage`, { method: 'POST', headers: { authorization: `Bearer ${APP}`, 'content-type': 'application/json' }, body: JSON.stringify({ channel: 'C1', text: 'hi' }) });
    expect(await chat.json()).toMatchObject({ ok: false, error: 'not_allowed_token_type' });

    const first = new WebSocket(String(answer.url));
    clients.push(first);
    const hello = await new Promise<Record<string, unknown>>((resolve) => first.once('message', (d) => resolve(JSON.parse(String(d)) as Record<string, unknown>)));
    expect(shape(hello)).toEqual(shape(DOC_HELLO));
    expect(hello).toMatchObject({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0HOIST' } });
    const again = new WebSocket(String(answer.url));
    clients.push(again);
    const refused = await new Promise<string>((resolve) => again.once('unexpected-response', (_req, res) => resolve(String(res.statusCode))).once('error', (e) => resolve(e.message)));
    expect(refused).toMatch(/401/);
  });

  it('delivers envelopes as Slack does and counts the acknowledgement on time', async () => {
    const client = await connect();
    const payload = DOC_SLASH.payload as Record<string, unknown>;
    const envelope = slack.socket.send('slash_commands', payload);
    const received = await client.next();
    expect(shape(received)).toEqual(shape({ ...DOC_SLASH, retry_attempt: 0, retry_reason: '' }));
    expect(received).toEqual({ ...DOC_SLASH, envelope_id: envelope.id, retry_attempt: 0, retry_reason: '' });
    client.ws.send(JSON.stringify({ envelope_id: envelope.id, payload: { text: 'Hi there' } }));
    const ack = await envelope.acknowledged;
    expect(ack).toMatchObject({ connectionId: 1, payload: { text: 'Hi there' }, late: false });
    expect(envelope.status).toBe('acknowledged');
  });

  it('delivers an unacknowledged envelope again, on another connection, with retry_attempt and retry_reason', async () => {
    const a = await connect();
    const b = await connect();
    expect(b.messages[0]).toMatchObject({ type: 'hello', num_connections: 2 });
    const event = DOC_EVENT_RETRY.payload as Record<string, unknown>;
    const envelope = slack.socket.send('events_api', event, { to: 1 });
    const first = await a.next();
    expect(first).toMatchObject({ envelope_id: envelope.id, retry_attempt: 0, accepts_response_payload: false });
    const retried = await b.next();
    expect(shape(retried)).toEqual(shape(DOC_EVENT_RETRY));
    expect(retried).toEqual({ ...DOC_EVENT_RETRY, envelope_id: envelope.id });
    b.ws.send(JSON.stringify({ envelope_id: envelope.id }));
    expect(await envelope.acknowledged).toMatchObject({ connectionId: 2, late: false, payload: null });
    // The first connection's acknowledgement comes too late to count.
    a.ws.send(JSON.stringify({ envelope_id: envelope.id }));
    await slack.waitFor((s) => s.socket.envelopes[0]!.acks.length === 2);
    expect(envelope.acks.map((x) => [x.connectionId, x.late])).toEqual([
      [2, false],
      [1, true],
    ]);
  });

  it('gives up after the last retry', async () => {
    const client = await connect();
    const envelope = slack.socket.send('events_api', DOC_EVENT_RETRY.payload as Record<string, unknown>);
    await expect(envelope.acknowledged).rejects.toThrow(/not acknowledged after 3 deliveries/);
    expect(client.messages.slice(1).map((m) => m.retry_attempt)).toEqual([0, 1, 2]);
    expect(envelope.status).toBe('failed');
  });

  it('asks a connection to disconnect, holds envelopes while none is open, and delivers them on the next', async () => {
    const client = await connect();
    slack.socket.disconnect(1, 'warning');
    expect(await client.next()).toEqual({ ...DOC_DISCONNECT, debug_info: { host: expect.any(String) } });
    expect(slack.socket.open()).toEqual([]);
    const envelope = slack.socket.send('slash_commands', DOC_SLASH.payload as Record<string, unknown>);
    expect(envelope.status).toBe('waiting');
    // The app does not close it: Slack does, after the grace period.
    await slack.socket.connections[0]!.closed;
    const next = await connect();
    expect(await next.next()).toMatchObject({ envelope_id: envelope.id, retry_attempt: 0 });
  });

  it('drops a connection without a close handshake', async () => {
    const client = await connect();
    const closed = new Promise<number>((resolve) => client.ws.once('close', (code) => resolve(code)));
    slack.socket.drop(1);
    expect(await closed).toBe(1006);
    await slack.socket.connections[0]!.closed;
    expect(slack.socket.connections[0]!.state).toBe('closed');
  });
});
