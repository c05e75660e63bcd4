import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type {
  FakeEnvelope,
  FakeEnvelopeAck,
  FakeEnvelopeType,
  FakeSocketConnection,
  FakeSocketMode,
  FakeSocketModeOptions,
  SendOptions,
} from './socket-types.ts';
import { APP_ID } from './types.ts';

/**
 * Slack's side of Socket Mode: `apps.connections.open` hands out single-use `ws://` URLs;
 * a connection gets `hello`, then envelopes (`envelope_id`, `type`, `payload`,
 * `accepts_response_payload`, `retry_attempt`, `retry_reason`) in turn with the other open
 * connections; an envelope not acknowledged within `ackTimeoutMs` is delivered again with
 * the next `retry_attempt`, on another connection when there is one.
 */

const HOST = 'applink-fake-1';

interface Live {
  connection: FakeSocketConnection;
  ws: WebSocket;
}

interface EnvelopeState {
  envelope: FakeEnvelope;
  resolve(ack: FakeEnvelopeAck): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
}

export interface SocketModeEndpoint {
  fake: FakeSocketMode;
  /** A new single-use URL for `apps.connections.open`. */
  issueUrl(): string;
  /** The HTTP server's `upgrade` handler. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

export function createSocketMode(options: FakeSocketModeOptions & { base: () => string; notify: () => void }): SocketModeEndpoint {
  const ackTimeoutMs = options.ackTimeoutMs ?? 3_000;
  const maxRetries = options.maxRetries ?? 3;
  const disconnectGraceMs = options.disconnectGraceMs ?? 10_000;
  const wss = new WebSocketServer({ noServer: true });
  const tickets = new Set<string>();
  const live = new Map<number, Live>();
  const states = new Map<string, EnvelopeState>();
  const waiting: { state: EnvelopeState; avoid: number | null }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let turn = 0;

  const openLive = (): Live[] => [...live.values()].filter((l) => l.connection.state === 'open');

  /** The next open connection in turn, another than `avoid` when there is one. */
  const pick = (avoid: number | null): Live | null => {
    const open = openLive();
    if (open.length === 0) return null;
    const others = open.filter((l) => l.connection.id !== avoid);
    const from = others.length > 0 ? others : open;
    turn += 1;
    return from[turn % from.length]!;
  };

  const deliver = (state: EnvelopeState, to: Live): void => {
    const { envelope } = state;
    const retryAttempt = envelope.deliveries.length;
    envelope.deliveries.push({ connectionId: to.connection.id, retryAttempt, at: new Date() });
    envelope.status = 'delivered';
    to.connection.delivered.push(envelope.id);
    to.ws.send(
      JSON.stringify({
        envelope_id: envelope.id,
        payload: envelope.payload,
        type: envelope.type,
        accepts_response_payload: envelope.type !== 'events_api',
        retry_attempt: retryAttempt,
        retry_reason: retryAttempt === 0 ? '' : 'timeout',
      }),
    );
    clearTimeout(state.timer);
    state.timer = setTimeout(() => expire(state), ackTimeoutMs);
    options.notify();
  };

  const route = (state: EnvelopeState, avoid: number | null): void => {
    const to = pick(avoid);
    if (to === null) {
      state.envelope.status = 'waiting';
      waiting.push({ state, avoid });
    } else deliver(state, to);
  };

  /** No acknowledgement in time: deliver it again, or give up after the last retry. */
  const expire = (state: EnvelopeState): void => {
    state.timer = undefined;
    const { envelope } = state;
    if (envelope.status !== 'delivered') return;
    if (envelope.deliveries.length > maxRetries) {
      envelope.status = 'failed';
      state.reject(new Error(`envelope ${envelope.id} was not acknowledged after ${envelope.deliveries.length} deliveries`));
      options.notify();
      return;
    }
    route(state, envelope.deliveries.at(-1)?.connectionId ?? null);
  };

  const onAck = (from: Live, message: { envelope_id: string; payload?: unknown }): void => {
    const state = states.get(message.envelope_id);
    if (state === undefined) {
      from.connection.other.push(message);
      return;
    }
    const { envelope } = state;
    const delivery = envelope.deliveries.filter((d) => d.connectionId === from.connection.id).at(-1);
    const last = envelope.deliveries.at(-1);
    const counts = envelope.status === 'delivered' && last?.connectionId === from.connection.id;
    const payload = typeof message.payload === 'object' && message.payload !== null && Object.keys(message.payload).length > 0 ? (message.payload as Record<string, unknown>) : null;
    const ack: FakeEnvelopeAck = {
      connectionId: from.connection.id,
      payload,
      afterMs: delivery === undefined ? 0 : Date.now() - delivery.at.getTime(),
      at: new Date(),
      late: !counts,
    };
    envelope.acks.push(ack);
    if (counts) {
      envelope.status = 'acknowledged';
      clearTimeout(state.timer);
      state.resolve(ack);
    }
    options.notify();
  };

  const later = (ms: number, run: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };

  const accept = (ws: WebSocket): void => {
    let markClosed = (): void => undefined;
    const connection: FakeSocketConnection = {
      id: fake.connections.length + 1,
      openedAt: new Date(),
      state: 'open',
      closedAt: null,
      delivered: [],
      other: [],
      closed: new Promise<void>((resolve) => (markClosed = resolve)),
    };
    const entry: Live = { connection, ws };
    fake.connections.push(connection);
    live.set(connection.id, entry);
    ws.on('message', (data) => {
      let message: unknown;
      try {
        message = JSON.parse(String(data));
      } catch {
        connection.other.push(String(data));
        return;
      }
      if (typeof message === 'object' && message !== null && typeof (message as { envelope_id?: unknown }).envelope_id === 'string') {
        onAck(entry, message as { envelope_id: string; payload?: unknown });
      } else connection.other.push(message);
    });
    ws.on('close', () => {
      connection.state = 'closed';
      connection.closedAt = new Date();
      live.delete(connection.id);
      markClosed();
      options.notify();
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: openLive().length,
        debug_info: { host: HOST, build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: APP_ID },
      }),
    );
    // Envelopes that found no connection go out now, in the order they came.
    for (const { state, avoid } of waiting.splice(0)) route(state, avoid);
    options.notify();
  };

  const fake: FakeSocketMode = {
    connections: [],
    envelopes: [],
    open: () => openLive().map((l) => l.connection),
    send(type: FakeEnvelopeType, payload: Record<string, unknown>, sendOptions: SendOptions = {}) {
      let settle: Pick<EnvelopeState, 'resolve' | 'reject'> | undefined;
      const acknowledged = new Promise<FakeEnvelopeAck>((resolve, reject) => (settle = { resolve, reject }));
      // A test that does not wait for it must not crash on a give-up.
      acknowledged.catch(() => undefined);
      const envelope: FakeEnvelope = { id: randomUUID(), type, payload, deliveries: [], acks: [], status: 'waiting', acknowledged };
      const state: EnvelopeState = { envelope, ...settle!, timer: undefined };
      fake.envelopes.push(envelope);
      states.set(envelope.id, state);
      if (sendOptions.to !== undefined) {
        const to = live.get(sendOptions.to);
        if (to === undefined || to.connection.state !== 'open') throw new Error(`fake Socket Mode: connection ${sendOptions.to} is not open`);
        deliver(state, to);
      } else route(state, null);
      return envelope;
    },
    disconnect(connectionId, reason = 'refresh_requested') {
      const entry = live.get(connectionId);
      if (entry === undefined) throw new Error(`fake Socket Mode: connection ${connectionId} is not open`);
      entry.connection.state = 'disconnecting';
      entry.ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: HOST } }));
      later(disconnectGraceMs, () => entry.ws.close(1001));
      options.notify();
    },
    drop(connectionId) {
      const entry = live.get(connectionId);
      if (entry === undefined) throw new Error(`fake Socket Mode: connection ${connectionId} is not open`);
      entry.ws.terminate();
    },
  };

  return {
    fake,
    issueUrl() {
      const ticket = randomUUID();
      tickets.add(ticket);
      return `${options.base().replace(/^http/, 'ws')}/link/?ticket=${ticket}&app_id=${APP_ID}`;
    },
    upgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://fake-slack');
      const ticket = url.searchParams.get('ticket');
      // A URL connects once: a used or unknown ticket is refused, as Slack refuses it.
      if (url.pathname !== '/link/' || ticket === null || !tickets.delete(ticket)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, accept);
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      for (const state of states.values()) clearTimeout(state.timer);
      for (const entry of live.values()) entry.ws.terminate();
      wss.close();
    },
  };
}
