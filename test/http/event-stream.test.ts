import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { ApiToken } from '../../src/domain/api-token.ts';
import type { LoggedEvent } from '../../src/domain/event-log.ts';
import type { ApiEnv } from '../../src/http/auth.ts';
import { eventRoutes, type EventStreamSource } from '../../src/http/event-stream.ts';

const ADMIN: ApiToken = { name: 'ci', scopes: ['admin'], apps: null, envs: null, actAs: null, expiresAt: null };

function event(position: number, app: string, env: string, reason: string | null = null): LoggedEvent {
  return { id: position, position, app, env, deploymentId: position, at: new Date('2026-12-04T10:00:00Z'), entry: { kind: 'status', deploymentId: position, status: 'DEPLOYING', service: null, reason } };
}

/** An event log in memory, following the source contract: `push` appends and tells subscribers. */
function memorySource(initial: LoggedEvent[]) {
  const log = [...initial];
  const listeners = new Set<(events: readonly LoggedEvent[]) => void>();
  let close = () => {};
  const source: EventStreamSource & { push(e: LoggedEvent): void; close(): void } = {
    head: async () => log.at(-1)?.position ?? 0,
    read: async ({ after, app, env, limit }) => log.filter((e) => e.position > after && (!app || e.app === app) && (!env || e.env === env)).slice(0, limit),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    closed: new Promise<void>((resolve) => (close = resolve)),
    push(e) {
      log.push(e);
      for (const l of listeners) l([e]);
    },
    close: () => close(),
  };
  return source;
}

/** The routes behind a token of our choosing (until the bearer check is mounted in front of them). */
function appWith(source: EventStreamSource, token: ApiToken, heartbeatMs?: number) {
  const app = new Hono<ApiEnv>();
  app.use(async (c, next) => {
    c.set('apiToken', token);
    await next();
  });
  app.route('/api/v1', eventRoutes({ source, ...(heartbeatMs === undefined ? {} : { heartbeatMs }) }));
  return app;
}

/** Reads a stream's text until `done` says it has what it needs. */
async function readUntil(res: Response, done: (text: string) => boolean): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!done(text)) {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  await reader.cancel();
  return text;
}

/** The ids of the events sent (not the stream's starting position, an id without an event). */
const ids = (text: string) => [...text.matchAll(/^id: (\d+)\nevent:/gm)].map((m) => Number(m[1]));

describe('GET /api/v1/events', () => {
  it('replays after Last-Event-ID, then goes on live, each event once, as id/event/data messages', async () => {
    const source = memorySource([event(1, 'shop', 'staging'), event(2, 'shop', 'staging'), event(3, 'shop', 'staging')]);
    const res = await appWith(source, ADMIN).request('/api/v1/events', { headers: { 'Last-Event-ID': '1' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    setTimeout(() => source.push(event(4, 'shop', 'staging')), 0);
    const text = await readUntil(res, (t) => ids(t).includes(4));
    expect(ids(text)).toEqual([2, 3, 4]);
    // The stream says first where it starts: after the id the client resumed from.
    expect(text.startsWith('id: 1\n: connected\n\n')).toBe(true);
    expect(text).toContain('id: 2\nevent: status\ndata: {"id":2,"kind":"status","app":"shop","env":"staging","deploymentId":2,"at":"2026-12-04T10:00:00.000Z","status":"DEPLOYING","service":null,"reason":null}\n\n');
  });

  it('takes ?lastEventId= from clients that cannot send headers, and filters by app and environment', async () => {
    const source = memorySource([event(1, 'shop', 'staging'), event(2, 'shop', 'production'), event(3, 'blog', 'staging'), event(4, 'shop', 'staging')]);
    const res = await appWith(source, ADMIN).request('/api/v1/events?app=shop&env=staging&lastEventId=0');
    const text = await readUntil(res, (t) => ids(t).includes(4));
    expect(ids(text)).toEqual([1, 4]);
  });

  it('gives a token limited to some apps only theirs without filters, and 403 for another app', async () => {
    const scoped: ApiToken = { ...ADMIN, scopes: ['read'], apps: ['shop'] };
    const source = memorySource([event(1, 'blog', 'staging'), event(2, 'shop', 'staging'), event(3, 'blog', 'staging'), event(4, 'shop', 'staging')]);
    const app = appWith(source, scoped);
    const text = await readUntil(await app.request('/api/v1/events?lastEventId=0'), (t) => ids(t).includes(4));
    expect(ids(text)).toEqual([2, 4]);
    const refused = await app.request('/api/v1/events?app=blog');
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: { code: 'FORBIDDEN', message: 'token "ci" may not touch app "blog" (only shop)' } });
    const noRead = await appWith(source, { ...ADMIN, scopes: ['deploy'] }).request('/api/v1/events');
    expect(noRead.status).toBe(403);
  });

  it('says what is wrong with a bad event id or parameter', async () => {
    const app = appWith(memorySource([]), ADMIN);
    const bad = await app.request('/api/v1/events', { headers: { 'Last-Event-ID': 'yesterday' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/Last-Event-ID must be the id of an event this stream sent \(a whole number\), not "yesterday"/);
    const unknown = await app.request('/api/v1/events?service=web');
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toBe('unknown parameter "service"; this stream takes app, env and lastEventId');
  });

  it('masks secrets in events like every other answer', async () => {
    const source = memorySource([event(1, 'shop', 'staging', 'failed: postgres://app:hunter2@db/shop')]);
    const text = await readUntil(await appWith(source, ADMIN).request('/api/v1/events?lastEventId=0'), (t) => ids(t).includes(1));
    expect(text).not.toContain('hunter2');
    expect(text).toContain('postgres://app:[redacted]@db/shop');
  });

  it('sends a heartbeat comment while idle, and ends when the source closes', async () => {
    const source = memorySource([]);
    const res = await appWith(source, ADMIN, 20).request('/api/v1/events');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes(': heartbeat\n\n')) text += decoder.decode((await reader.read()).value, { stream: true });
    source.close();
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
    }
    expect(text).toContain(': heartbeat\n\n');
  });

  it('answers 503 with what to do when the log cannot be read at the start, and holds no subscription', async () => {
    const source = memorySource([]);
    let subscribed = 0;
    const failing: EventStreamSource = {
      ...source,
      head: async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      },
      subscribe(listener) {
        subscribed += 1;
        const off = source.subscribe(listener);
        return () => {
          subscribed -= 1;
          off();
        };
      },
    };
    const res = await appWith(failing, ADMIN).request('/api/v1/events');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: 'UNAVAILABLE', message: 'Hoist’s database does not answer; connect again once it does.' } });
    expect(subscribed).toBe(0);
  });
});
