import type { Deployment, DeploymentEvent } from '../domain/deployment.ts';
import { isFinal } from '../domain/status.ts';
import { formatDuration } from '../bot/render/format.ts';
import { outcomeLine, succeeded } from '../bot/shell/outcome.ts';
import { refusalOf, Unreachable, type ApiAnswer, type ApiClient } from './api-client.ts';
import { serverEvents, type ServerEvent } from './event-stream.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { approversText, headline, threaded, threadText, waitingLine } from './lines.ts';
import { approvalFrom, deploymentFrom, streamEventFrom, type ApprovalProgress } from './wire.ts';

export interface FollowOptions {
  client: ApiClient;
  /** Thread lines and the outcome (stdout). */
  print(text: string): void;
  /** Refusals, reconnects, the timeout (stderr). */
  warn(text: string): void;
  /** How long to wait for the deployment to finish. */
  timeoutMs: number;
  /** The first wait before reconnecting; it doubles up to 10 s. */
  reconnectMs?: number;
  /** A stream silent this long (no event, no heartbeat) is taken for dead and reopened. */
  idleMs?: number;
  now?: () => Date;
}

class TimedOut extends Error {}

const noop = () => {};

/** How long a replay of what was missed may take to reach the deployment's end before the end read is printed instead. */
const REPLAY_GRACE_MS = 3_000;

/** Resolves after `ms`, or rejects when `signal` aborts first. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Requests an action and follows its deployment to the end over the event stream, printing
 * the thread lines. The stream is opened before the request, so nothing it causes is missed;
 * when the stream breaks it is reopened from the last event seen (`Last-Event-ID`), and the
 * deployment is read again first, so a final status is never missed either.
 */
export async function requestAndFollow(options: FollowOptions, where: { app: string; env: string }, send: (signal: AbortSignal) => Promise<ApiAnswer>): Promise<ExitCode> {
  const { client, print, warn } = options;
  const now = options.now ?? (() => new Date());
  const overall = new AbortController();
  const timer = setTimeout(() => overall.abort(new TimedOut()), options.timeoutMs);
  /** The open stream's own abort (a dead stream is reopened without ending the rest). */
  const live: { connection: AbortController | null } = { connection: null };
  let deployment: Deployment | null = null;
  let approvers: string | null = null;
  /** The last id the stream gave (an event's, or the position a stream starts after). */
  let lastEventId: string | null = null;

  /**
   * Opens the stream and reads it until it says where it starts (its first `id`), or ends or
   * breaks before that (`saidStart` false); a refusal is returned as the exit code.
   */
  const open = async (resumeFrom: string | null): Promise<{ events: AsyncGenerator<ServerEvent>; saidStart: boolean } | ExitCode> => {
    live.connection?.abort();
    const mine = new AbortController();
    live.connection = mine;
    const response = await client.events(where, resumeFrom, AbortSignal.any([overall.signal, mine.signal]));
    if (!response.ok || response.body === null) {
      const text = await response.text().catch(() => '');
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        // Not JSON: the status says enough.
      }
      warn(`hoist: the event stream was refused: ${refusalOf({ status: response.status, body }).message}`);
      return response.status >= 400 && response.status < 500 ? EXIT.refused : EXIT.failed;
    }
    let idleTimer: NodeJS.Timeout | undefined;
    const idle = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => mine.abort(), options.idleMs ?? 45_000);
    };
    mine.signal.addEventListener('abort', () => clearTimeout(idleTimer), { once: true });
    overall.signal.addEventListener('abort', () => clearTimeout(idleTimer), { once: true });
    idle();
    let saidStart = false;
    let said = () => {};
    const saying = new Promise<void>((resolve) => (said = resolve));
    const inner = serverEvents(response.body, idle, (id) => {
      lastEventId = id;
      saidStart = true;
      said();
    });
    const first = inner.next();
    // The first id comes before any event; an end or a break before it settles `first`.
    await Promise.race([saying, first.then(noop, noop)]);
    async function* events(): AsyncGenerator<ServerEvent> {
      const got = await first;
      if (got.done === true) return;
      yield got.value;
      yield* inner;
    }
    return { events: events(), saidStart };
  };

  const read = async (id: number): Promise<Deployment> => {
    const answer = await client.call('GET', `/deployments/${id}`, { signal: overall.signal });
    if (answer.status !== 200) throw new Error(`could not read #${id}: ${refusalOf(answer).message}`);
    return deploymentFrom(answer.body);
  };

  const approvalOf = async (id: number): Promise<ApprovalProgress | null> => {
    const answer = await client.call('GET', `/deployments/${id}/approvals`, { signal: overall.signal });
    return answer.status === 200 ? approvalFrom(answer.body) : null;
  };

  const finish = (final: Deployment): ExitCode => {
    print(outcomeLine(final));
    return succeeded(final) ? EXIT.ok : EXIT.failed;
  };

  /** One event of this deployment: its thread line, and the exit code once it has ended. */
  const handle = async (event: DeploymentEvent, current: Deployment): Promise<ExitCode | null> => {
    let shown = current;
    let ended = false;
    if (event.kind === 'status' && event.service === null) {
      current.status = event.status;
      if (isFinal(event.status)) {
        // The final line says how long it took: read the deployment as it ended.
        shown = deployment = await read(current.id);
        ended = isFinal(shown.status);
      }
    } else if (event.kind === 'approval') {
      if (event.step === 'requested' || event.step === 'reset') {
        const progress = await approvalOf(current.id);
        approvers = progress === null ? null : approversText(progress);
      }
      if (event.step === 'rejected' || event.step === 'expired') {
        shown = deployment = await read(current.id);
        ended = isFinal(shown.status);
      }
    }
    const text = threadText(event, shown, approvers);
    if (text !== null) print(threaded(current.id, text));
    return ended ? finish(shown) : null;
  };

  /**
   * The deployment ended while no stream was open: what it said meanwhile is replayed from
   * `after` (the server sends what was missed at once), printed up to its end; null when the
   * replay did not reach the end within a moment (the caller then prints the end it read).
   */
  const replayToEnd = async (after: string): Promise<ExitCode | null> => {
    const stream = await open(after);
    if (typeof stream === 'number') return null;
    const connection = live.connection;
    const grace = setTimeout(() => connection?.abort(), REPLAY_GRACE_MS);
    try {
      for await (const message of stream.events) {
        const parsed = streamEventFrom(message.data);
        if (parsed.deploymentId !== started?.id || parsed.event === null || deployment === null) continue;
        const ended = await handle(parsed.event, deployment);
        if (ended !== null) return ended;
      }
    } catch {
      // The grace ran out, or the stream broke: the end read stands in.
      if (overall.signal.aborted) throw overall.signal.reason;
    } finally {
      clearTimeout(grace);
    }
    return null;
  };

  let started: Deployment | null = null;
  try {
    // Where the stream starts is known before the request is sent: a stream that ends or
    // breaks later is resumed from there, so nothing the request causes is missed.
    let stream = await open(null);
    for (let backoff = options.reconnectMs ?? 1_000; typeof stream !== 'number' && !stream.saidStart; backoff = Math.min(backoff * 2, 10_000)) {
      warn('hoist: the event stream ended before it said where it starts; reconnecting');
      await pause(backoff, overall.signal);
      stream = await open(null);
    }
    if (typeof stream === 'number') return stream;
    const answer = await send(overall.signal);
    if (answer.status >= 400 && answer.status < 500) {
      warn(`hoist: refused: ${refusalOf(answer).message}`);
      return EXIT.refused;
    }
    if (answer.status !== 200 && answer.status !== 202) {
      warn(`hoist: the request failed: ${refusalOf(answer).message}`);
      return EXIT.failed;
    }
    const body = answer.body as { deployment?: unknown; outcome?: unknown; approval?: unknown };
    started = deploymentFrom(body.deployment);
    deployment = started;
    const outcome = typeof body.outcome === 'string' ? body.outcome : 'queued';
    print(headline(started, outcome));
    if (isFinal(started.status)) return finish(started);
    if (outcome === 'awaiting-approval' || started.status === 'AWAITING_APPROVAL') {
      const progress = approvalFrom(body.approval) ?? (await approvalOf(started.id));
      approvers = progress === null ? null : approversText(progress);
      print(waitingLine(started, progress, options.timeoutMs, now()));
    }

    let backoff = options.reconnectMs ?? 1_000;
    for (;;) {
      try {
        for await (const message of stream.events) {
          backoff = options.reconnectMs ?? 1_000;
          const parsed = streamEventFrom(message.data);
          if (parsed.deploymentId !== started.id || parsed.event === null) continue;
          const ended = await handle(parsed.event, deployment);
          if (ended !== null) return ended;
        }
        warn('hoist: the event stream ended; reconnecting');
      } catch (error) {
        if (overall.signal.aborted) throw overall.signal.reason;
        if (!(error instanceof Error && error.name === 'AbortError') && !(error instanceof TypeError) && !(error instanceof Unreachable)) throw error;
        warn(`hoist: the event stream broke (${error instanceof Unreachable ? error.message : 'no data'}); reconnecting`);
      }
      // Reconnected or not, the deployment may have ended meanwhile: ask it first.
      for (;;) {
        await pause(backoff, overall.signal);
        backoff = Math.min(backoff * 2, 10_000);
        try {
          deployment = await read(started.id);
          if (isFinal(deployment.status)) return (lastEventId === null ? null : await replayToEnd(lastEventId)) ?? finish(deployment);
          const reopened = await open(lastEventId);
          if (typeof reopened === 'number') return reopened;
          stream = reopened;
          break;
        } catch (error) {
          if (overall.signal.aborted) throw overall.signal.reason;
          warn(`hoist: ${error instanceof Error ? error.message : String(error)}; trying again`);
        }
      }
    }
  } catch (error) {
    if (error instanceof TimedOut || overall.signal.reason instanceof TimedOut) {
      const still = deployment === null ? 'the request had no answer' : `#${deployment.id} is still ${deployment.status} (it goes on)`;
      warn(`hoist: gave up after ${formatDuration(options.timeoutMs)} (--timeout): ${still}`);
      return EXIT.timeout;
    }
    throw error;
  } finally {
    clearTimeout(timer);
    live.connection?.abort();
    overall.abort();
  }
}
