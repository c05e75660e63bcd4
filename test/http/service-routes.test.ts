import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, testHttpApp, testToken } from '../support/api-app.ts';
import { expectMatchesDocument } from '../support/openapi-check.ts';
import { openServiceFixture, type ServiceFixture } from '../service/service-fixture.ts';

/*
 * The running app through the API: /apps/{app}/environments/{env}/services/{service}/logs
 * and …/usage, over the service with the no-op target (which keeps what its replicas "write").
 */

const SECRET = 'correct-horse-battery';
const base = '/api/v1/apps/shop/environments/staging/services/web';

describe('GET …/services/{service}/logs and …/usage', () => {
  let f: ServiceFixture;
  let app: ReturnType<typeof testHttpApp>;
  let doc: unknown;

  beforeAll(async () => {
    f = await openServiceFixture({
      environments: {
        staging: `{ target: engine, overrides: { web: { env: { DB_PASSWORD: ${SECRET} } } } }`,
        production: '{ target: engine }',
      },
    });
    app = testHttpApp(f.service, [testToken('prod-reader', { envs: ['production'] })]);
    doc = await (await app.request('/api/v1/openapi.json')).json();
    f.target.write('staging', 'web', 'web-0', 'started on :8080');
    f.target.write('staging', 'web', 'web-1', 'started on :8080');
    f.target.write('staging', 'web', 'web-1', `connecting with ${SECRET}`);
    f.target.write('staging', 'web', 'web-0', 'retrying with password=hunter22');
  });
  afterAll(async () => {
    await f?.close();
  });

  it('the last lines of every replica, each named, secrets masked', async () => {
    const res = await app.request(`${base}/logs?tail=3`, { headers: bearer() });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { lines: { replica: string; line: string; at: string | null }[] };
    expectMatchesDocument(doc, 'get', '/api/v1/apps/{app}/environments/{env}/services/{service}/logs', 200, body);
    expect(body.lines.map((l) => `${l.replica}: ${l.line}`)).toEqual([
      'web-1: started on :8080',
      expect.stringMatching(/^web-1: connecting with ••••[0-9a-f]{8}$/),
      'web-0: retrying with password=[redacted]',
    ]);
    expect(JSON.stringify(body)).not.toContain(SECRET);
    expect(JSON.stringify(body)).not.toContain('hunter22');
  });

  it('follow=1 streams NDJSON from every replica as they write, named by replica', async () => {
    const stop = new AbortController();
    const res = await app.request(`${base}/logs?tail=1&follow=1`, { headers: bearer(), signal: stop.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    const next = async (): Promise<{ replica: string; line: string }> => {
      for (;;) {
        const newline = buffered.indexOf('\n');
        if (newline >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          return JSON.parse(line) as { replica: string; line: string };
        }
        const chunk = await reader.read();
        if (chunk.done) throw new Error('the stream ended');
        buffered += decoder.decode(chunk.value, { stream: true });
      }
    };
    // The last line there was, then what each replica writes while followed.
    expect(await next()).toMatchObject({ replica: 'web-0', line: 'retrying with password=[redacted]' });
    f.target.write('staging', 'web', 'web-1', 'request from web-1');
    expect(await next()).toMatchObject({ replica: 'web-1', line: 'request from web-1' });
    f.target.write('staging', 'web', 'web-0', `web-0 still has ${SECRET}`);
    expect(await next()).toMatchObject({ replica: 'web-0', line: expect.stringMatching(/^web-0 still has ••••[0-9a-f]{8}$/) });
    stop.abort();
    await reader.cancel().catch(() => undefined);
  });

  it('clear 400s for a bad tail, follow or parameter; 404s name what exists; 403 outside the token’s environments', async () => {
    const cases: [string, number, RegExp][] = [
      [`${base}/logs?tail=0`, 400, /^tail: expected a whole number from 1 to 1000/],
      [`${base}/logs?tail=ten`, 400, /^tail: expected a whole number/],
      [`${base}/logs?follow=yes`, 400, /^follow: expected 1 \(or true\)/],
      [`${base}/logs?since=1h`, 400, /^unknown parameter "since"; parameters: tail, follow/],
      ['/api/v1/apps/shop/environments/staging/services/nope/logs', 404, /no service "nope"; its services: api, db, web/],
      ['/api/v1/apps/shop/environments/qa/services/web/logs', 404, /no environment "qa"/],
      ['/api/v1/apps/nope/environments/staging/services/web/usage', 404, /no app "nope"/],
    ];
    for (const [path, status, message] of cases) {
      const res = await app.request(path, { headers: bearer() });
      const body = (await res.json()) as { error: { message: string } };
      expect({ path, status: res.status }).toEqual({ path, status });
      expect(body.error.message).toMatch(message);
      expectMatchesDocument(doc, 'get', `/api/v1/apps/{app}/environments/{env}/services/{service}/${path.endsWith('usage') ? 'usage' : 'logs'}`, status, body);
    }
    const forbidden = await app.request(`${base}/logs`, { headers: bearer('prod-reader') });
    expect(forbidden.status).toBe(403);
    expect((await app.request('/api/v1/apps/shop/environments/production/services/web/logs', { headers: bearer('prod-reader') })).status).toBe(200);
  });

  it('usage answers per replica, as the document says', async () => {
    const res = await app.request(`${base}/usage`, { headers: bearer() });
    expect(res.status).toBe(200);
    const body = await res.json();
    expectMatchesDocument(doc, 'get', '/api/v1/apps/{app}/environments/{env}/services/{service}/usage', 200, body);
    // The no-op target runs nothing: no replica, and nothing it could not measure.
    expect(body).toMatchObject({ app: 'shop', env: 'staging', service: 'web', replicas: [], unavailable: null });
  });
});
