import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { stream } from 'hono/streaming';
import type { StreamingApi } from 'hono/utils/stream';
import { tokenDenial } from '../domain/api-token.ts';
import { publicEvent, type LoggedEvent } from '../domain/event-log.ts';
import { redactValues } from '../domain/redact.ts';
import type { Logger } from 'pino';
import { callerOf, denied, type ApiEnv } from './auth.ts';

/**
 * The event log as this process follows it: one reader for every open stream (woken by
 * the events signal, polling as a safety net), not a query per client per event.
 */
export interface EventStreamSource {
  /** The last position passed on to subscribers (for a first subscriber, the log's end): a client without `Last-Event-ID` starts after it. */
  head(): Promise<number>;
  /** Events after `after` (a position), oldest first: what a reconnecting client missed. */
  read(options: { after: number; app: string | null; env: string | null; limit: number }): Promise<LoggedEvent[]>;
  /** Each new batch of events, in log order, as the reader finds them. */
  subscribe(listener: (events: readonly LoggedEvent[]) => void): () => void;
  /** Resolves when Hoist stops: every open stream then ends. */
  readonly closed: Promise<void>;
}

export interface EventRoutesDeps {
  source: EventStreamSource;
  /** How often a `: heartbeat` comment keeps an idle stream open (default 15 s). */
  heartbeatMs?: number;
  /** Where a stream that failed is told of (the client reconnects and resumes with Last-Event-ID). */
  logger?: Pick<Logger, 'warn'>;
}

const REPLAY_PAGE = 500;
const NAME = /^[a-z0-9][a-z0-9._-]*$/i;

const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).openapi('Error');

const eventsRoute = createRoute({
  method: 'get',
  path: '/events',
  summary: 'Live events (Server-Sent Events): status changes, queue moves, locks and approvals',
  description:
    'Each message is `id: <log position>`, `event: <kind>`, `data: <JSON {id, kind, app, env, deploymentId, at, ...fields}>`. ' +
    'Reconnect with `Last-Event-ID` (or `?lastEventId=`) to get exactly what was missed. A `: heartbeat` comment comes every 15 s. ' +
    'A token limited to some apps or environments sees only theirs.',
  request: {
    query: z.object({
      app: z.string().optional().openapi({ description: 'Only this app’s events', example: 'shop' }),
      env: z.string().optional().openapi({ description: 'Only this environment’s events', example: 'staging' }),
      lastEventId: z.string().optional().openapi({ description: 'Resume after this event id (for clients that cannot send `Last-Event-ID`)', example: '42' }),
    }),
  },
  responses: {
    200: { description: 'A stream of events.', content: { 'text/event-stream': { schema: z.string().openapi({ example: 'id: 42\nevent: status\ndata: {"id":42,"kind":"status",…}\n\n' }) } } },
    400: { description: 'A filter or event id that is not valid.', content: { 'application/json': { schema: ErrorSchema } } },
    403: { description: 'The token may not read these events.', content: { 'application/json': { schema: ErrorSchema } } },
    503: { description: 'Hoist’s database does not answer: connect again once it does.', content: { 'application/json': { schema: ErrorSchema } } },
  },
});

const badRequest = (c: Context, message: string) => c.json({ error: { code: 'BAD_REQUEST', message } }, 400);

/** The resume point a client asked for: none, a position, or what is wrong with it. */
function resumeFrom(header: string | undefined, query: string | undefined): { ok: true; after: number | null } | { ok: false; message: string } {
  const raw = header ?? query;
  if (raw === undefined || raw.trim() === '') return { ok: true, after: null };
  if (!/^\d{1,15}$/.test(raw.trim())) return { ok: false, message: `Last-Event-ID must be the id of an event this stream sent (a whole number), not "${raw.slice(0, 40)}"` };
  return { ok: true, after: Number(raw.trim()) };
}

/** Messages already made: every stream of the process gets the same event object from the reader, made once. */
const made = new WeakMap<LoggedEvent, string>();

/** One SSE message; the event is redacted like every other answer. */
function message(event: LoggedEvent): string {
  let text = made.get(event);
  if (text === undefined) {
    text = `id: ${event.position}\nevent: ${event.entry.kind}\ndata: ${JSON.stringify(redactValues(publicEvent(event)))}\n\n`;
    made.set(event, text);
  }
  return text;
}

/** `GET /events`: the event log as Server-Sent Events, filtered by `app`/`env` and by what the token may read. */
export function eventRoutes(deps: EventRoutesDeps): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>();
  const heartbeatMs = deps.heartbeatMs ?? 15_000;

  app.openapi(eventsRoute, async (c) => {
    const query = c.req.query();
    const unknown = Object.keys(query).filter((k) => !['app', 'env', 'lastEventId'].includes(k));
    if (unknown.length > 0) return badRequest(c, `unknown parameter ${unknown.map((k) => `"${k}"`).join(', ')}; this stream takes app, env and lastEventId`);
    for (const key of ['app', 'env'] as const) {
      const value = query[key];
      if (value !== undefined && !NAME.test(value)) return badRequest(c, `${key} must be an ${key === 'app' ? 'app' : 'environment'} name such as "${key === 'app' ? 'shop' : 'staging'}", not "${value.slice(0, 40)}"`);
    }
    const where = { app: query.app ?? null, env: query.env ?? null };
    const refusal = denied(c, 'read', where);
    if (refusal) return refusal;
    const resume = resumeFrom(c.req.header('last-event-id'), query.lastEventId);
    if (!resume.ok) return badRequest(c, resume.message);

    // Without filters, a token limited to some apps or environments gets theirs only.
    const token = callerOf(c);
    const wanted = (event: LoggedEvent) =>
      (where.app === null || event.app === where.app) && (where.env === null || event.env === where.env) && tokenDenial(token, 'read', { app: event.app, env: event.env }) === null;

    // Subscribed, and where the stream starts known, before the answer begins: a client that
    // sees the stream open gets every event recorded from then on.
    let followed: Followed;
    try {
      followed = await subscribeFrom(deps.source, resume.after, wanted);
    } catch (error) {
      deps.logger?.warn({ err: error }, 'an event stream could not start: the event log could not be read');
      return c.json({ error: { code: 'UNAVAILABLE', message: 'Hoist’s database does not answer; connect again once it does.' } }, 503);
    }
    c.header('Content-Type', 'text/event-stream; charset=utf-8');
    c.header('Cache-Control', 'no-cache');
    c.header('X-Accel-Buffering', 'no');
    return stream(
      c,
      (out) => follow(out, deps.source, followed, { where, wanted, heartbeatMs }),
      async (error) => {
        deps.logger?.warn({ err: error }, 'an event stream failed and was closed; its client resumes with Last-Event-ID');
      },
    );
  });

  return app;
}

/** A stream's subscription to the source: the live events held for it, and the position it starts after. */
interface Followed {
  start: number;
  replaying: boolean;
  pending: LoggedEvent[];
  /** Called when live events come (the stream waits on it). */
  onLive: (() => void) | null;
  unsubscribe(): void;
}

/**
 * Subscribes before anything is read: live events are held from now on, and the position the
 * stream starts after is the client's, or (asked once subscribed) the last the source passed on.
 */
async function subscribeFrom(source: EventStreamSource, after: number | null, wanted: (event: LoggedEvent) => boolean): Promise<Followed> {
  const followed: Followed = { start: 0, replaying: after !== null, pending: [], onLive: null, unsubscribe: () => {} };
  followed.unsubscribe = source.subscribe((events) => {
    for (const event of events) if (wanted(event)) followed.pending.push(event);
    if (!followed.replaying) {
      followed.onLive?.();
      followed.onLive = null;
    }
  });
  try {
    // Asked even when the client says where to resume: the source passes on what comes after
    // its head, which a first subscriber sets now (the replay covers what lies before it).
    const head = await source.head();
    // What the source passed on while the head was asked for came after the subscription: it
    // is sent, and the stream starts just before the first of it rather than past it.
    const first = followed.pending[0]?.position;
    followed.start = after ?? (first === undefined ? head : Math.min(head, first - 1));
  } catch (error) {
    followed.unsubscribe();
    throw error;
  }
  return followed;
}

/**
 * Sends what the client missed, then what comes, each event once: live events are
 * subscribed to before the replay and held until it ends; anything at or below what was
 * already sent is dropped.
 */
async function follow(
  out: StreamingApi,
  source: EventStreamSource,
  followed: Followed,
  options: { where: { app: string | null; env: string | null }; wanted(event: LoggedEvent): boolean; heartbeatMs: number },
): Promise<void> {
  let open = true;
  let sent = followed.start;
  const { pending } = followed;
  const nudge = () => {
    followed.onLive?.();
    followed.onLive = null;
  };
  const end = () => {
    open = false;
    nudge();
  };
  out.onAbort(end);
  void source.closed.then(end);
  const heartbeat = setInterval(() => {
    if (open) void out.write(': heartbeat\n\n').catch(end);
  }, options.heartbeatMs);

  try {
    // The position the stream starts after, as an id without an event: a client that loses the
    // stream before any event resumes from here (EventSource keeps it as its Last-Event-ID)
    // rather than from wherever the log is when it reconnects.
    await out.write(`id: ${sent}\n: connected\n\n`);
    while (open && followed.replaying) {
      const page = await source.read({ after: sent, app: options.where.app, env: options.where.env, limit: REPLAY_PAGE });
      for (const event of page) {
        if (!options.wanted(event)) continue;
        await out.write(message(event));
        sent = event.position;
      }
      if (page.length < REPLAY_PAGE) followed.replaying = false;
      else sent = Math.max(sent, page.at(-1)?.position ?? sent);
    }
    while (open) {
      while (open && pending.length > 0) {
        const event = pending.shift();
        if (event === undefined || event.position <= sent) continue;
        await out.write(message(event));
        sent = event.position;
      }
      if (open) await new Promise<void>((resolve) => (followed.onLive = resolve));
    }
  } finally {
    clearInterval(heartbeat);
    followed.unsubscribe();
  }
}
