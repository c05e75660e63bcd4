import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { MASK } from '../../src/domain/redact.ts';
import { maskAnswers } from '../../src/http/mask-answers.ts';

const SLACK_TOKEN = 'xoxb-1234-5678-abcdefghijkl';

/** An app whose routes answer with a Slack token in each of the ways a route can answer. */
function app(): Hono {
  const hono = new Hono();
  hono.use(maskAnswers());
  hono.get('/json', (c) => c.json({ reason: `Slack said no to ${SLACK_TOKEN}`, nested: [{ line: `token ${SLACK_TOKEN}` }] }, 409));
  hono.get('/text', (c) => c.text(`first\nauth with ${SLACK_TOKEN}\nlast`));
  hono.get('/raw-json', () => new Response(JSON.stringify({ reason: SLACK_TOKEN }), { headers: { 'content-type': 'application/json' } }));
  hono.get('/raw-text', () => new Response(`uses ${SLACK_TOKEN}`, { headers: { 'content-type': 'text/plain' } }));
  hono.get('/reveal', (c) => {
    c.set('revealsSecret', true);
    return c.json({ secret: SLACK_TOKEN }, 201);
  });
  hono.get('/stream', () => new Response(`data: ${SLACK_TOKEN}\n\n`, { headers: { 'content-type': 'text/event-stream' } }));
  return hono;
}

describe('maskAnswers', () => {
  it.each([
    ['/json', 409],
    ['/text', 200],
    ['/raw-json', 200],
    ['/raw-text', 200],
  ])('masks a credential in %s, keeping the status', async (path, status) => {
    const response = await app().request(path);
    const body = await response.text();
    expect(response.status).toBe(status);
    expect(body).not.toContain(SLACK_TOKEN);
    expect(body).toContain(MASK);
  });

  it('keeps the shape of a JSON answer written with c.json and of text lines', async () => {
    expect(await (await app().request('/json')).json()).toEqual({ reason: `Slack said no to ${MASK}`, nested: [{ line: `token ${MASK}` }] });
    expect(await (await app().request('/text')).text()).toBe(`first\nauth with ${MASK}\nlast`);
  });

  it('leaves whole an answer that reveals a secret to its caller, and an event stream (it masks its own messages)', async () => {
    expect(await (await app().request('/reveal')).json()).toEqual({ secret: SLACK_TOKEN });
    expect(await (await app().request('/stream')).text()).toContain(SLACK_TOKEN);
  });
});
