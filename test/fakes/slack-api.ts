import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { blockErrors } from './slack-blocks.ts';

/**
 * A stand-in for Slack's Web API over HTTP, for what Hoist uses: auth.test,
 * chat.postMessage, chat.update, chat.postEphemeral and response_url replies.
 * It checks what Slack checks (token, Block Kit limits, message length,
 * channels and threads) and rate-limits chat.postMessage per channel with
 * HTTP 429 and `Retry-After`, so clients are tested against the real rules.
 */

export interface FakeSlackOptions {
  /** The bot token the API accepts; anything else is `invalid_auth`. */
  token: string;
  /** chat.postMessage per channel per second (Slack: about 1). 0 turns the limit off. */
  rateLimitPerChannelPerSecond?: number;
  /** Posts a channel may make at once before the limit applies (Slack allows short bursts). */
  burst?: number;
  /** The workspace's user groups, for `usergroups.list` (handles without `@`). */
  userGroups?: FakeUserGroup[];
}

export interface FakeUserGroup {
  id: string;
  handle: string;
  users: string[];
}

export interface FakeMessageVersion {
  text: string;
  blocks: unknown[] | null;
  at: Date;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[] | null;
  /** The parent's ts for a thread reply; null for a top-level message. */
  threadTs: string | null;
  replyBroadcast: boolean;
  /** Every version of the message, the original first; chat.update appends. */
  history: FakeMessageVersion[];
  /** `api` for chat.postMessage, `response_url` for an in_channel reply. */
  via: 'api' | 'response_url';
  postedAt: Date;
}

export interface FakeEphemeral {
  channel: string | null;
  user: string | null;
  text: string;
  blocks: unknown[] | null;
  via: 'api' | 'response_url';
  responseUrlId: string | null;
  at: Date;
}

export interface FakeCall {
  method: string;
  /** The parsed parameters, without the token. */
  params: Record<string, unknown>;
  status: number;
  response: Record<string, unknown>;
  at: Date;
}

export interface FakeResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
  status: number;
  at: Date;
}

export interface FakeSlack {
  /** Base URL of the Web API, ending in `/api/` (Bolt's `clientOptions.slackApiUrl`). */
  url: string;
  /** A response_url this server accepts; `context` says which channel and user it answers. */
  responseUrl(id: string, context?: { channel?: string; userId?: string }): string;
  messages: FakeMessage[];
  ephemerals: FakeEphemeral[];
  calls: FakeCall[];
  responses: FakeResponseUrlPost[];
  /** Replies in the thread of `ts`, oldest first. */
  thread(channel: string, ts: string): FakeMessage[];
  /** Makes the next call of `method` fail with Slack error `error` (HTTP 200, ok: false). */
  failNext(method: string, error: string): void;
  /** Resolves with the predicate's first truthy value, re-checked after every request. */
  waitFor<T>(predicate: (slack: FakeSlack) => T | null | undefined | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

const TEAM = { team: 'Hoist Test', team_id: 'T0HOIST', user: 'hoist', user_id: 'U0HOISTBOT', bot_id: 'B0HOIST' };
const MAX_TEXT = 40_000;
/** Slack accepts a response_url up to five times. */
const RESPONSE_URL_USES = 5;

type Answer = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };

class Bucket {
  private tokens: number;
  private last = Date.now();
  constructor(
    private readonly rate: number,
    private readonly capacity: number,
  ) {
    this.tokens = capacity;
  }

  /** Takes a token, or says how many seconds until one is there. */
  take(): { ok: true } | { ok: false; retryAfter: number } {
    const now = Date.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfter: Math.max(1, Math.ceil((1 - this.tokens) / this.rate)) };
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Slack takes both: form fields carry JSON values (blocks) as strings. */
function parseParams(raw: string, contentType: string, query: URLSearchParams): Record<string, unknown> | null {
  const params: Record<string, unknown> = Object.fromEntries(query);
  if (raw.length === 0) return params;
  if (contentType.startsWith('application/json')) {
    try {
      const parsed: unknown = JSON.parse(raw);
      return typeof parsed === 'object' && parsed !== null ? { ...params, ...(parsed as Record<string, unknown>) } : null;
    } catch {
      return null;
    }
  }
  return { ...params, ...Object.fromEntries(new URLSearchParams(raw)) };
}

function flag(value: unknown): boolean {
  return value === true || value === 'true' || value === '1' || value === 1;
}

function str(value: unknown): string | null {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number') return String(value);
  return null;
}

/** `blocks` as Slack reads it: an array, or a JSON string of one. */
function readBlocks(value: unknown): { ok: true; blocks: unknown[] | null } | { ok: false } {
  if (value === undefined || value === null || value === '') return { ok: true, blocks: null };
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return { ok: false };
    }
  }
  return Array.isArray(parsed) ? { ok: true, blocks: parsed } : { ok: false };
}

function fail(error: string, extra: Record<string, unknown> = {}): Answer {
  return { status: 200, body: { ok: false, error, ...extra } };
}

function invalidBlocks(errors: string[]): Answer {
  return fail('invalid_blocks', { errors, response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) } });
}

export async function startFakeSlack(options: FakeSlackOptions): Promise<FakeSlack> {
  const rate = options.rateLimitPerChannelPerSecond ?? 1;
  const burst = options.burst ?? 3;
  const buckets = new Map<string, Bucket>();
  const responseUrls = new Map<string, { channel: string | null; userId: string | null; uses: number }>();
  const failures = new Map<string, string[]>();
  const waiters = new Set<() => void>();
  let tsSeconds = Math.floor(Date.now() / 1000);
  let tsCounter = 0;

  const nextTs = (): string => {
    tsCounter += 1;
    if (tsCounter > 999_999) {
      tsSeconds += 1;
      tsCounter = 1;
    }
    return `${tsSeconds}.${String(tsCounter).padStart(6, '0')}`;
  };

  const notify = (): void => {
    for (const waiter of [...waiters]) waiter();
  };

  const find = (channel: string, ts: string): FakeMessage | undefined =>
    slack.messages.find((m) => m.channel === channel && m.ts === ts);

  /** The content checks chat.postMessage and chat.update share. */
  const readContent = (
    params: Record<string, unknown>,
  ): { ok: true; text: string | null; blocks: unknown[] | null } | { ok: false; answer: Answer } => {
    const blocks = readBlocks(params.blocks);
    if (!blocks.ok) return { ok: false, answer: fail('invalid_blocks_format') };
    const text = typeof params.text === 'string' ? params.text : null;
    if (blocks.blocks !== null) {
      const errors = blockErrors(blocks.blocks);
      if (errors.length > 0) return { ok: false, answer: invalidBlocks(errors) };
    }
    if ((text === null || text === '') && (blocks.blocks === null || blocks.blocks.length === 0)) {
      return { ok: false, answer: fail('no_text') };
    }
    if (text !== null && text.length > MAX_TEXT) return { ok: false, answer: fail('msg_too_long') };
    return { ok: true, text, blocks: blocks.blocks };
  };

  const postMessage = (params: Record<string, unknown>): Answer => {
    const channel = str(params.channel);
    if (channel === null) return fail('channel_not_found');
    const content = readContent(params);
    if (!content.ok) return content.answer;
    const threadTs = str(params.thread_ts);
    let parent: FakeMessage | undefined;
    if (threadTs !== null) {
      parent = find(channel, threadTs);
      if (parent === undefined) return fail('thread_not_found');
    }
    if (rate > 0) {
      let bucket = buckets.get(channel);
      if (bucket === undefined) {
        bucket = new Bucket(rate, burst);
        buckets.set(channel, bucket);
      }
      const taken = bucket.take();
      if (!taken.ok) {
        return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': String(taken.retryAfter) } };
      }
    }
    const now = new Date();
    const message: FakeMessage = {
      channel,
      ts: nextTs(),
      text: content.text ?? '',
      blocks: content.blocks,
      // A reply to a reply belongs to the parent's thread, as in Slack.
      threadTs: parent === undefined ? null : (parent.threadTs ?? parent.ts),
      replyBroadcast: parent !== undefined && flag(params.reply_broadcast),
      history: [{ text: content.text ?? '', blocks: content.blocks, at: now }],
      via: 'api',
      postedAt: now,
    };
    slack.messages.push(message);
    return { status: 200, body: { ok: true, channel, ts: message.ts, message: messageJson(message) } };
  };

  const update = (params: Record<string, unknown>): Answer => {
    const channel = str(params.channel);
    const ts = str(params.ts);
    if (channel === null) return fail('channel_not_found');
    if (ts === null) return fail('message_not_found');
    const message = find(channel, ts);
    if (message === undefined) return fail('message_not_found');
    const content = readContent({ text: params.text ?? message.text, blocks: params.blocks ?? message.blocks ?? undefined });
    if (!content.ok) return content.answer;
    message.text = content.text ?? '';
    message.blocks = content.blocks;
    message.history.push({ text: message.text, blocks: message.blocks, at: new Date() });
    return { status: 200, body: { ok: true, channel, ts, text: message.text, message: messageJson(message) } };
  };

  const postEphemeral = (params: Record<string, unknown>): Answer => {
    const channel = str(params.channel);
    const user = str(params.user);
    if (channel === null) return fail('channel_not_found');
    if (user === null) return fail('user_not_found');
    const content = readContent(params);
    if (!content.ok) return content.answer;
    slack.ephemerals.push({
      channel,
      user,
      text: content.text ?? '',
      blocks: content.blocks,
      via: 'api',
      responseUrlId: null,
      at: new Date(),
    });
    return { status: 200, body: { ok: true, message_ts: nextTs() } };
  };

  const methods: Record<string, (params: Record<string, unknown>) => Answer> = {
    'auth.test': () => ({ status: 200, body: { ok: true, url: 'https://hoist-test.slack.com/', ...TEAM, is_enterprise_install: false } }),
    'chat.postMessage': postMessage,
    'chat.update': update,
    'chat.postEphemeral': postEphemeral,
    // As Slack answers it: a link to the message in the workspace's archive.
    'chat.getPermalink': (params) => {
      const channel = str(params.channel);
      const ts = str(params.message_ts);
      if (channel === null) return fail('channel_not_found');
      if (ts === null || find(channel, ts) === undefined) return fail('message_not_found');
      return { status: 200, body: { ok: true, channel, permalink: `https://hoist-test.slack.com/archives/${channel}/p${ts.replace('.', '')}` } };
    },
    // As Slack answers it: every group, with `users` only when asked for (`include_users`).
    'usergroups.list': (params) => ({
      status: 200,
      body: {
        ok: true,
        usergroups: (options.userGroups ?? []).map((g) => ({
          id: g.id,
          team_id: TEAM.team_id,
          is_usergroup: true,
          name: g.handle,
          handle: g.handle,
          date_delete: 0,
          user_count: g.users.length,
          ...(flag(params.include_users) ? { users: [...g.users] } : {}),
        })),
      },
    }),
  };

  const handleApi = (method: string, req: IncomingMessage, params: Record<string, unknown> | null): Answer => {
    if (params === null) return fail('invalid_json');
    const header = req.headers.authorization;
    const bearer = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice('Bearer '.length) : null;
    const token = bearer ?? str(params.token);
    delete params.token;
    const handler = methods[method];
    if (handler === undefined) return fail('unknown_method', { req_method: method });
    if (token === null) return fail('not_authed');
    if (token !== options.token) return fail('invalid_auth');
    const injected = failures.get(method)?.shift();
    if (injected !== undefined) return fail(injected);
    return handler(params);
  };

  const handleResponseUrl = (id: string, params: Record<string, unknown> | null): Answer => {
    const entry = responseUrls.get(id);
    if (entry === undefined) return { status: 404, body: { ok: false, error: 'invalid_url' } };
    if (entry.uses >= RESPONSE_URL_USES) return { status: 404, body: { ok: false, error: 'used_url' } };
    if (params === null) return { status: 400, body: { ok: false, error: 'invalid_payload' } };
    const content = readContent(params);
    if (!content.ok) return { ...content.answer, status: 400 };
    entry.uses += 1;
    const now = new Date();
    if (params.response_type === 'in_channel') {
      slack.messages.push({
        channel: entry.channel ?? '',
        ts: nextTs(),
        text: content.text ?? '',
        blocks: content.blocks,
        threadTs: null,
        replyBroadcast: false,
        history: [{ text: content.text ?? '', blocks: content.blocks, at: now }],
        via: 'response_url',
        postedAt: now,
      });
    } else {
      slack.ephemerals.push({
        channel: entry.channel,
        user: entry.userId,
        text: content.text ?? '',
        blocks: content.blocks,
        via: 'response_url',
        responseUrlId: id,
        at: now,
      });
    }
    return { status: 200, body: { ok: true } };
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
        answer = handleApi(method, req, params);
        const { token: _token, ...rest } = params ?? {};
        slack.calls.push({ method, params: rest, status: answer.status, response: answer.body, at: new Date() });
      } else if (responseMatch !== null && req.method === 'POST') {
        const id = decodeURIComponent(responseMatch[1]!);
        answer = handleResponseUrl(id, params);
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

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  const slack: FakeSlack = {
    url: `${base}/api/`,
    responseUrl(id, context) {
      if (!responseUrls.has(id)) {
        responseUrls.set(id, { channel: context?.channel ?? null, userId: context?.userId ?? null, uses: 0 });
      }
      return `${base}/response/${encodeURIComponent(id)}`;
    },
    messages: [],
    ephemerals: [],
    calls: [],
    responses: [],
    thread(channel, ts) {
      return slack.messages.filter((m) => m.channel === channel && m.threadTs === ts);
    },
    failNext(method, error) {
      const queue = failures.get(method) ?? [];
      queue.push(error);
      failures.set(method, queue);
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
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      });
    },
  };
  return slack;
}

function messageJson(message: FakeMessage): Record<string, unknown> {
  return {
    type: 'message',
    user: TEAM.user_id,
    bot_id: TEAM.bot_id,
    text: message.text,
    ts: message.ts,
    ...(message.blocks === null ? {} : { blocks: message.blocks }),
    ...(message.threadTs === null ? {} : { thread_ts: message.threadTs }),
  };
}

function send(res: ServerResponse, answer: Answer): void {
  if (res.headersSent) return;
  res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers });
  res.end(JSON.stringify(answer.body));
}
