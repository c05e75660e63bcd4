import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSlackEdge, type SlackEdge } from '../../src/bot/slack/slack-edge.ts';
import { SlackAppTokenRefused } from '../../src/bot/slack/socket-receiver.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { appMentionBody, signSlackRequest, slashCommandBody } from '../fakes/slack-sign.ts';
import { memoryHoist, type MemoryHoist } from './memory-hoist.ts';

const TOKEN = 'xoxb-edge-token';
const SECRET = 'edge-signing-secret';
const CHANNEL = 'C0DEPLOYS';

describe('Slack edge on a plain node:http server', () => {
  let slack: FakeSlack;
  let hoist: MemoryHoist;
  let edge: SlackEdge;
  let server: Server;
  let base: string;
  let seq = 0;

  beforeAll(async () => {
    slack = await startFakeSlack({ token: TOKEN });
    // `request` takes a while, as resolving a ref over the network does: the ack must not wait for it.
    hoist = memoryHoist({
      apps: [{ name: 'shop', services: ['api', 'worker'], environments: ['staging', 'production'] }],
      requestDelayMs: 300,
    });
    edge = await createSlackEdge({ botToken: TOKEN, delivery: { kind: 'http', signingSecret: SECRET }, apiUrl: slack.url, api: hoist.api, logger: pino({ level: 'silent' }) });
    server = createServer((req, res) => {
      if (req.url?.startsWith('/slack/')) edge.mounts['/slack/events']!(req, res);
      else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await edge?.stop();
    await new Promise((resolve) => server?.close(resolve));
    await slack?.close();
  });

  afterEach(() => {
    hoist.requests.length = 0;
  });

  async function post(body: string, options: { sign?: 'good' | 'none' | 'forged' | 'stale' | 'future'; json?: boolean } = {}) {
    const headers: Record<string, string> = { 'content-type': options.json ? 'application/json' : 'application/x-www-form-urlencoded' };
    const now = Math.floor(Date.now() / 1000);
    switch (options.sign ?? 'good') {
      case 'good':
        Object.assign(headers, signSlackRequest(body, SECRET));
        break;
      case 'forged':
        Object.assign(headers, signSlackRequest(body, 'not-the-secret'));
        break;
      case 'stale':
        Object.assign(headers, signSlackRequest(body, SECRET, now - 6 * 60));
        break;
      case 'future':
        Object.assign(headers, signSlackRequest(body, SECRET, now + 10 * 60));
        break;
      case 'none':
        break;
    }
    const started = performance.now();
    const res = await fetch(`${base}/slack/events`, { method: 'POST', headers, body });
    const text = await res.text();
    return { status: res.status, text, ms: performance.now() - started };
  }

  function slash(text: string, options: { command?: string; user?: string; triggerId?: string } = {}) {
    const id = `r${++seq}`;
    const body = slashCommandBody({
      command: options.command ?? '/hoist',
      text,
      userId: options.user ?? 'U0ALICE',
      userName: 'alice',
      channelId: CHANNEL,
      responseUrl: slack.responseUrl(id, { channel: CHANNEL, userId: options.user ?? 'U0ALICE' }),
      triggerId: options.triggerId ?? `trigger-${id}`,
    });
    return { body, responseId: id };
  }

  const ephemeralOf = (responseId: string, timeoutMs = 2000) =>
    slack.waitFor((s) => s.ephemerals.find((e) => e.responseUrlId === responseId), timeoutMs);

  it('acks a signed slash command at once and requests the deployment once, with the parsed command', async () => {
    // Warm up the path once so the measurement below is the steady state.
    await post(slash('help').body);
    const { body } = slash('deploy shop/api@v1.4.2 to production', { triggerId: 'trig-42' });
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(res.ms).toBeLessThan(150);
    await expect.poll(() => hoist.requests.length).toBe(1);
    const [request] = hoist.requests;
    expect(request!.command).toEqual({ verb: 'deploy', scope: { app: 'shop', services: ['api'] }, env: 'production', ref: 'v1.4.2' });
    expect(request!.options).toMatchObject({
      requester: { id: 'U0ALICE', name: 'alice' },
      origin: { kind: 'slack', channel: CHANNEL, userId: 'U0ALICE' },
      trigger: 'chat',
      requestKey: 'slack:trig-42',
    });
    expect((request!.options.origin as { reply: string }).reply).toContain('/response/');
  });

  it.each(['none', 'forged', 'stale', 'future'] as const)('refuses a request with %s signature with 401 and requests nothing', async (sign) => {
    const res = await post(slash('deploy shop to staging').body, { sign });
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 50));
    expect(hoist.requests).toHaveLength(0);
  });

  it('answers a malformed command with an ephemeral ack naming the problem, the usage line and a did-you-mean', async () => {
    const res = await post(slash('deploi shop to staging').body);
    expect(res.status).toBe(200);
    const answer = JSON.parse(res.text) as { response_type: string; text: string };
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.text).toContain('unknown command `deploi`');
    expect(answer.text).toContain('Did you mean `deploy`?');
    expect(answer.text).toContain('Usage: `/hoist deploy <app>');
    expect(hoist.requests).toHaveLength(0);
  });

  it('answers an unknown environment before any request, with a did-you-mean from the catalog', async () => {
    const res = await post(slash('deploy shop to stagin').body);
    const answer = JSON.parse(res.text) as { response_type: string; text: string };
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.text).toMatch(/no environment "stagin"/);
    expect(answer.text).toContain('Did you mean `staging`?');
    expect(answer.text).toContain('/hoist deploy <app>');
    expect(hoist.requests).toHaveLength(0);
  });

  it('shows the usage of an alias as the alias is typed', async () => {
    const res = await post(slash('shop/apii to staging', { command: '/deploy' }).body);
    const answer = JSON.parse(res.text) as { text: string };
    expect(answer.text).toContain('Did you mean `api`?');
    expect(answer.text).toContain('Usage: `/deploy <app>');
  });

  it('takes an alias as its verb', async () => {
    const res = await post(slash('shop to staging', { command: '/deploy' }).body);
    expect(res.status).toBe(200);
    await expect.poll(() => hoist.requests.map((r) => r.command)).toEqual([
      { verb: 'deploy', scope: { app: 'shop', services: null }, env: 'staging', ref: null },
    ]);
  });

  it('shows the service’s answer for a verb it does not carry out yet', async () => {
    const res = await post(slash('rollback shop in production', { command: '/hoist' }).body);
    const answer = JSON.parse(res.text) as { response_type: string; text: string };
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.text).toContain('`rollback` is not available in this version of Hoist yet');
  });

  it('sends a refusal found after the ack through the response_url, ephemeral', async () => {
    const { body, responseId } = slash('deploy shop@missing to staging');
    const res = await post(body);
    expect(res.status).toBe(200);
    const ephemeral = await ephemeralOf(responseId);
    expect(ephemeral.text).toContain('no branch, tag or commit "missing"');
    expect(ephemeral.text).toContain('Usage: `/hoist deploy');
    expect(ephemeral.user).toBe('U0ALICE');
  });

  it('answers status through the response_url with the environments', async () => {
    const { body, responseId } = slash('status shop in staging');
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    const ephemeral = await ephemeralOf(responseId);
    expect(ephemeral.text).toContain('shop/staging');
    expect(ephemeral.blocks?.length).toBeGreaterThan(0);
  });

  it('answers help in the ack', async () => {
    const res = await post(slash('help rollback').body);
    const answer = JSON.parse(res.text) as { response_type: string; text: string };
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.text).toContain('Usage: `/hoist rollback');
  });

  it('takes the same grammar from a mention, keyed by the event id, and answers errors ephemerally', async () => {
    const ok = await post(appMentionBody({ text: 'deploy shop to staging', userId: 'U0BOB', channelId: CHANNEL, eventId: 'Ev123' }), { json: true });
    expect(ok.status).toBe(200);
    await expect.poll(() => hoist.requests.length).toBe(1);
    expect(hoist.requests[0]!.options).toMatchObject({ requestKey: 'slack-event:Ev123', origin: { kind: 'slack', channel: CHANNEL, userId: 'U0BOB', reply: null } });

    const bad = await post(appMentionBody({ text: 'deploy shop too staging', userId: 'U0BOB', channelId: CHANNEL }), { json: true });
    expect(bad.status).toBe(200);
    const ephemeral = await slack.waitFor((s) => s.ephemerals.find((e) => e.via === 'api' && e.user === 'U0BOB'));
    expect(ephemeral.channel).toBe(CHANNEL);
    expect(ephemeral.text).toContain('Did you mean `to`?');
    expect(ephemeral.text).toContain('Usage: `@hoist deploy');
  });

  it.each([
    ['a JSON body under a form content type', '{"a":1}', false],
    ['a form body carrying no Slack request', 'a=1&b=2', false],
    ['a form payload that is not JSON', 'payload=%7Bnot-json', false],
    ['a JSON body carrying no Slack request', '{"a":1}', true],
    ['a JSON body of an unknown type', '{"type":"nothing_slack_sends"}', true],
    ['a body that is not JSON', '{"a":', true],
  ])('answers a signed request with %s at once with 400, not after Bolt’s 3 s timeout', async (_, body, json) => {
    const res = await post(body, { json });
    expect(res.status).toBe(400);
    expect(res.ms).toBeLessThan(500);
    expect(hoist.requests).toHaveLength(0);
  });

  it('checks the signature before it reads the body', async () => {
    const res = await post('{"a":1}', { sign: 'forged' });
    expect(res.status).toBe(401);
    expect(res.ms).toBeLessThan(500);
  });

  it.each([
    ['an unknown word', 'x'.repeat(1 << 20)],
    ['a lock with a long reason', `lock shop in staging --reason "${'x'.repeat(1 << 20)}"`],
  ])('refuses a 1 MB command (%s) in a short ephemeral ack that names the limit', async (_, text) => {
    await post(slash('help').body);
    const res = await post(slash(text).body);
    expect(res.status).toBe(200);
    // Reading the whole megabyte took 3.3 s (past Slack's 3 s); the upload and signature check alone take about 0.1 s.
    expect(res.ms).toBeLessThan(1000);
    const answer = JSON.parse(res.text) as { response_type: string; text: string };
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.text.length).toBeLessThan(300);
    expect(answer.text).toContain('4,000 characters');
    expect(answer.text).not.toContain('xxxxxxxxxx');
    expect(hoist.requests).toHaveLength(0);
  });

  it('answers 404 for paths it does not serve', async () => {
    const res = await fetch(`${base}/slack/other`, { method: 'POST', body: '' });
    expect(res.status).toBe(404);
  });
});

describe('Slack edge start-up', () => {
  it('fails with Slack’s error when the token is refused', async () => {
    const slack = await startFakeSlack({ token: 'xoxb-right' });
    try {
      await expect(
        createSlackEdge({ botToken: 'xoxb-wrong', delivery: { kind: 'http', signingSecret: SECRET }, apiUrl: slack.url, api: memoryHoist().api, logger: pino({ level: 'silent' }) }),
      ).rejects.toThrow(/invalid_auth/);
    } finally {
      await slack.close();
    }
  });

  it('in Socket Mode, says that Slack refused the app-level token and what would work', async () => {
    const slack = await startFakeSlack({ token: 'xoxb-right', appToken: 'xapp-1-right' });
    try {
      const started = createSlackEdge({ botToken: 'xoxb-right', delivery: { kind: 'socket', appToken: 'xapp-1-wrong' }, apiUrl: slack.url, api: memoryHoist().api, logger: pino({ level: 'silent' }) });
      await expect(started).rejects.toThrow(/^Slack refused SLACK_APP_TOKEN \(invalid_auth\): use the app's app-level token \(xapp-…\) with the connections:write scope/);
      await expect(started).rejects.toBeInstanceOf(SlackAppTokenRefused);
      expect(slack.socket.connections).toEqual([]);
    } finally {
      await slack.close();
    }
  });
});

describe('Slack edge shutdown', () => {
  it('finishes every acknowledged command before it stops, and refuses new ones meanwhile', async () => {
    const slack = await startFakeSlack({ token: TOKEN });
    const hoist = memoryHoist({
      apps: [{ name: 'shop', services: ['api'], environments: ['staging'] }],
      requestDelayMs: 400,
    });
    const edge = await createSlackEdge({ botToken: TOKEN, delivery: { kind: 'http', signingSecret: SECRET }, apiUrl: slack.url, api: hoist.api, logger: pino({ level: 'silent' }) });
    const server = createServer((req, res) => edge.mounts['/slack/events']!(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const send = (triggerId: string) => {
      const body = slashCommandBody({ command: '/hoist', text: 'deploy shop to staging', userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl(triggerId), triggerId });
      return fetch(`${base}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(body, SECRET) }, body });
    };
    try {
      expect((await send('t-1')).status).toBe(200);
      expect((await send('t-2')).status).toBe(200);
      expect(hoist.deployments.size).toBe(0); // acknowledged, still being carried out
      const stopping = edge.stop();
      expect((await send('t-3')).status).toBe(503);
      await stopping;
      expect(hoist.deployments.size).toBe(2);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await slack.close();
    }
  });
});
