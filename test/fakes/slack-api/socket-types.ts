/** What the fake Socket Mode endpoint holds and offers; `FakeSlack.socket` is a `FakeSocketMode`. */

export interface FakeSocketModeOptions {
  /** How long Slack waits for an envelope's acknowledgement before it delivers it again (Slack: 3 s). */
  ackTimeoutMs?: number;
  /** How many times an unacknowledged envelope is delivered again before Slack gives up on it. */
  maxRetries?: number;
  /** After a `disconnect` message, how long Slack keeps the connection before it closes it itself. */
  disconnectGraceMs?: number;
}

export type FakeEnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export interface FakeSocketConnection {
  /** 1, 2, …: in the order the connections were opened. */
  id: number;
  openedAt: Date;
  /** `open` from `hello` on; `disconnecting` once a `disconnect` was sent (nothing more is delivered on it); `closed`. */
  state: 'open' | 'disconnecting' | 'closed';
  closedAt: Date | null;
  /** Envelope ids delivered on this connection, in order. */
  delivered: string[];
  /** Messages from the app that are no acknowledgement (kept, so a test sees what the app sent). */
  other: unknown[];
  /** Resolves when the connection has closed, however. */
  closed: Promise<void>;
}

export interface FakeEnvelopeDelivery {
  connectionId: number;
  retryAttempt: number;
  at: Date;
}

export interface FakeEnvelopeAck {
  connectionId: number;
  /** The acknowledgement's `payload` (a slash command's or modal's answer); null when it had none. */
  payload: Record<string, unknown> | null;
  /** Milliseconds from the delivery it acknowledges (the latest on that connection) to the acknowledgement. */
  afterMs: number;
  at: Date;
  /** It came after Slack had given the delivery up (delivered again, or failed): Slack ignores it. */
  late: boolean;
}

export interface FakeEnvelope {
  /** `envelope_id`. */
  id: string;
  type: FakeEnvelopeType;
  payload: Record<string, unknown>;
  /** Every delivery, the first with retry_attempt 0. */
  deliveries: FakeEnvelopeDelivery[];
  /** Every acknowledgement received, late ones too, in order. */
  acks: FakeEnvelopeAck[];
  /** `waiting`: no connection to deliver it on yet; `failed`: not acknowledged after the last retry. */
  status: 'waiting' | 'delivered' | 'acknowledged' | 'failed';
  /** Resolves with the acknowledgement that counted; rejects when Slack gives up on the envelope. */
  acknowledged: Promise<FakeEnvelopeAck>;
}

export interface SendOptions {
  /** Delivers it on this connection (it must be open) instead of the next one in turn. */
  to?: number;
}

export interface FakeSocketMode {
  connections: FakeSocketConnection[];
  envelopes: FakeEnvelope[];
  /** Connections Slack delivers on now: `hello` sent and no `disconnect` asked. */
  open(): FakeSocketConnection[];
  /** Delivers an envelope of `type` with `payload`, on the open connections in turn; waits for a connection when there is none. */
  send(type: FakeEnvelopeType, payload: Record<string, unknown>, options?: SendOptions): FakeEnvelope;
  /** Sends `{ type: 'disconnect', reason }` on a connection, as Slack does before it closes one; Slack closes it after `disconnectGraceMs` unless the app has. */
  disconnect(connectionId: number, reason?: 'refresh_requested' | 'warning' | 'link_disabled'): void;
  /** Cuts a connection without a close handshake (a network failure). */
  drop(connectionId: number): void;
}
