import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createChatMethods, createTsClock, type ChatStore } from './slack-api/chat.ts';
import { createConversationMethods } from './slack-api/conversations.ts';
import { createHeldAnswers } from './slack-api/held-answers.ts';
import { fail, parseParams, readBody, send, str } from './slack-api/http.ts';
import { createResponseUrls } from './slack-api/response-url.ts';
import { createSocketMode } from './slack-api/socket-mode.ts';
import { TEAM, type Answer, type FakeSlack, type FakeSlackOptions, type Method } from './slack-api/types.ts';
import { createUsergroupMethods } from './slack-api/usergroups.ts';
import { createMemberMethods } from './slack-api/members.ts';
import { createViews } from './slack-api/views.ts';
import { createHomes } from './slack-api/home.ts';

export type * from './slack-api/types.ts';
export type * from './slack-api/socket-types.ts';

/**
 * A stand-in for Slack's Web API over HTTP, for what Hoist uses: auth.test, chat.*,
 * conversations.replies/history, usergroups.*, views.open and response_url replies (one
 * module per method family in slack-api/), and Socket Mode: apps.connections.open and the WebSockets it hands out. It checks what Slack checks (token, Block Kit and view limits, message
 * length, channels and threads, triggers) and rate-limits chat.postMessage per channel with
 * HTTP 429 and `Retry-After`, so clients are tested against the real rules.
 */
export async function startFakeSlack(options: FakeSlackOptions): Promise<FakeSlack> {
  const failures = new Map<string, string[]>();
  const waiters = new Set<() => void>();
  const store: ChatStore = { messages: [], ephemerals: [] };
  const nextTs = createTsClock();
  const responseUrls = createResponseUrls(store, nextTs);
  const modals = createViews({ triggerTtlMs: options.triggerTtlMs ?? 3_000 });
  const homes = createHomes({ homeTabEnabled: options.homeTabEnabled ?? true });
  const socketMode = createSocketMode({ ...options.socket, base: () => base, notify: () => notify() });
  const held = createHeldAnswers();
  let outage: number | null = null;

  const methods: Record<string, Method> = {
    'auth.test': () => ({ status: 200, body: { ok: true, url: 'https://hoist-test.slack.com/', ...TEAM, is_enterprise_install: false } }),
    ...createChatMethods(store, nextTs, { rate: options.rateLimitPerChannelPerSecond ?? 1, burst: options.burst ?? 3 }),
    ...createConversationMethods(store, { repliesPageLimit: options.repliesPageLimit ?? 1_000 }),
    ...createUsergroupMethods(() => slack.userGroups),
    ...createMemberMethods(() => slack.channelMembers),
    ...modals.methods,
    ...homes.methods,
    'apps.connections.open': () => ({ status: 200, body: { ok: true, url: socketMode.issueUrl() } }),
  };

  const handleApi = (method: string, authorization: string | undefined, params: Record<string, unknown> | null): Answer => {
    if (params === null) return fail('invalid_json');
    const bearer = typeof authorization === 'string' && authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : null;
    const token = bearer ?? str(params.token);
    delete params.token;
    const handler = methods[method];
    if (handler === undefined) return fail('unknown_method', { req_method: method });
    if (token === null) return fail('not_authed');
    // An app-level token opens Socket Mode connections and nothing else; a bot token cannot open them.
    const kind = token === options.token ? 'bot' : token === options.appToken ? 'app' : null;
    if (kind === null) return fail('invalid_auth');
    if ((kind === 'app') !== (method === 'apps.connections.open')) return fail('not_allowed_token_type');
    const injected = failures.get(method)?.shift();
    if (injected !== undefined) return fail(injected);
    return handler(params);
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake-slack');
      const raw = await readBody(req);
      const params = parseParams(raw, String(req.headers['content-type'] ?? ''), url.searchParams);
      const apiMatch = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
      const responseMatch = /^\/response\/([^/]+)$/.exec(url.pathname);
      let answer: Answer;
      if (apiMatch !== null) {
        const method = apiMatch[1]!;
        // Slack down: its edge answers before any method runs, and not in the Web API's JSON.
        answer = outage === null ? handleApi(method, req.headers.authorization, params) : { status: outage, body: { error: 'service unavailable' } };
        const { token: _token, ...rest } = params ?? {};
        const call = { method, params: rest, status: answer.status, response: answer.body, at: new Date() };
        slack.calls.push(call);
        if (outage === null && held.take(method, call, res, answer)) {
          notify();
          return;
        }
      } else if (responseMatch !== null && req.method === 'POST') {
        const id = decodeURIComponent(responseMatch[1]!);
        answer = responseUrls.post(id, params);
        slack.responses.push({ id, body: params ?? {}, status: answer.status, at: new Date() });
      } else {
        answer = { status: 404, body: { ok: false, error: 'not_found' } };
      }
      send(res, answer);
      notify();
    })().catch((error: unknown) => {
      send(res, { status: 500, body: { ok: false, error: 'fatal_error', detail: String(error) } });
    });
  });

  const notify = (): void => {
    for (const waiter of [...waiters]) waiter();
  };

  server.on('upgrade', (req, socket, head) => socketMode.upgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  const slack: FakeSlack = {
    url: `${base}/api/`,
    responseUrl(id, context) {
      responseUrls.register(id, context);
      return `${base}/response/${encodeURIComponent(id)}`;
    },
    messages: store.messages,
    ephemerals: store.ephemerals,
    calls: [],
    responses: [],
    userGroups: options.userGroups ?? [],
    channelMembers: options.channelMembers ?? {},
    views: modals.views,
    homes: homes.homes,
    socket: socketMode.fake,
    issueTrigger: modals.issueTrigger,
    submitView: modals.submitView,
    answerView: modals.answerView,
    thread(channel, ts) {
      return slack.messages.filter((m) => m.channel === channel && m.threadTs === ts);
    },
    failNext(method, error) {
      const queue = failures.get(method) ?? [];
      queue.push(error);
      failures.set(method, queue);
    },
    holdNext: held.holdNext,
    unavailable(status = 503) {
      outage = status;
    },
    available() {
      outage = null;
    },
    waitFor(predicate, timeoutMs = 2000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const value = predicate(slack);
          if (value === null || value === undefined || value === false) return false;
          resolve(value);
          return true;
        };
        if (check()) return;
        const waiter = (): void => {
          if (check()) done();
        };
        const timer = setTimeout(() => {
          done();
          const recent = slack.calls.slice(-5).map((c) => `${c.method} → ${c.status} ${JSON.stringify(c.response.error ?? 'ok')}`);
          reject(new Error(`fake Slack: condition not met within ${timeoutMs} ms; last calls: ${recent.join('; ') || 'none'}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(waiter);
        };
        waiters.add(waiter);
      });
    },
    close() {
      return new Promise((resolve, reject) => {
        socketMode.close();
        held.dropAll();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      });
    },
  };
  return slack;
}
