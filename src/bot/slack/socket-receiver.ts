import { defaultProcessEventErrorHandler, SocketModeReceiver, webApi, type SocketModeReceiverProcessEventErrorHandlerArgs } from '@slack/bolt';
import type { Logger } from 'pino';
import { boltLogger } from './bolt-logger.ts';
import { UnplaceableRequest } from './unplaceable-request.ts';
import type { WorkQueue } from './work-queue.ts';

/**
 * How long the client waits for Slack's pong, and so (in @slack/socket-mode) also how long
 * it waits before it reconnects after a `disconnect` or a dropped connection. Its default,
 * 5 s, leaves this process without a connection for that long every time Slack refreshes
 * one; 2 s reconnects within a few seconds and still tolerates a busy event loop.
 */
export const SOCKET_PING_TIMEOUT_MS = 2_000;
/** Slack redelivers an envelope not acknowledged within 3 s: work waits no longer for an acknowledgement than that. */
const ACK_DEADLINE_MS = 3_000;
/** How long stopping waits for Slack to finish the close handshake before it goes on. */
const CLOSE_WAIT_MS = 2_000;

/** Slack refused the app-level token: nothing Hoist can retry; the operator has to fix the token or the app's settings. */
export class SlackAppTokenRefused extends Error {
  readonly code = 'SLACK_APP_TOKEN_REFUSED';
}

export interface SocketReceiverOptions {
  appToken: string;
  /** Web API base, ending with `/api/`: where the WebSocket URLs come from (`apps.connections.open`). */
  apiUrl: string;
  logger: Logger;
  /** Work of accepted requests waits while an envelope waits for its acknowledgement. */
  work: WorkQueue;
}

export interface SocketReceiver {
  receiver: SocketModeReceiver;
  /** Opens the first connection (resolves on Slack's `hello`); a token Slack refuses is a SlackAppTokenRefused. */
  connect(): Promise<void>;
  /** Closes the connection: Slack then delivers what this process has not acknowledged to another connection. */
  disconnect(): Promise<void>;
}

/** Acknowledged envelopes are never delivered again, so a body Hoist cannot place is acknowledged and dropped; anything else goes to Bolt's handling. */
function handleProcessError(logger: Logger) {
  return async (args: SocketModeReceiverProcessEventErrorHandlerArgs): Promise<boolean> => {
    if (!(args.error instanceof UnplaceableRequest)) return defaultProcessEventErrorHandler(args);
    logger.warn('dropped a Socket Mode envelope whose payload is no command, event or action');
    return true;
  };
}

/**
 * Bolt's Socket Mode receiver: one WebSocket to Slack, opened with the app-level token,
 * reconnected by @slack/socket-mode after Slack's `disconnect` and after a dropped
 * connection. Each envelope holds the work queue until it is acknowledged, as an HTTP
 * request does until its answer is written: acknowledgements come first in a burst.
 */
export function createSocketReceiver(options: SocketReceiverOptions): SocketReceiver {
  const logger = boltLogger(options.logger);
  const receiver = new SocketModeReceiver({
    appToken: options.appToken,
    logger,
    clientPingTimeout: SOCKET_PING_TIMEOUT_MS,
    installerOptions: { clientOptions: { slackApiUrl: options.apiUrl } },
    processEventErrorHandler: handleProcessError(options.logger),
  });
  const client = receiver.client;
  const held = new Map<string, () => void>();
  const release = (envelopeId: string): void => {
    held.get(envelopeId)?.();
    held.delete(envelopeId);
  };
  client.on('slack_event', ({ envelope_id: envelopeId }: { envelope_id?: string }) => {
    if (typeof envelopeId !== 'string') return;
    const done = options.work.hold();
    // An envelope never acknowledged here (its connection closed first) is Slack's to deliver again.
    const timer = setTimeout(() => release(envelopeId), ACK_DEADLINE_MS);
    held.set(envelopeId, () => {
      clearTimeout(timer);
      done();
    });
  });
  client.on('outgoing_message', ({ envelope_id: envelopeId }: { envelope_id?: string }) => {
    if (typeof envelopeId === 'string') release(envelopeId);
  });
  // A closed connection acknowledges nothing more: what it held is Slack's to deliver again.
  client.on('close', () => {
    for (const id of [...held.keys()]) release(id);
  });
  client.on('connected', () => options.logger.info('Slack Socket Mode connected'));
  client.on('reconnecting', () => options.logger.info('Slack Socket Mode reconnecting'));

  return {
    receiver,
    async connect() {
      try {
        await client.start();
      } catch (error) {
        if (error instanceof webApi.WebAPIPlatformError) {
          throw new SlackAppTokenRefused(
            `Slack refused SLACK_APP_TOKEN (${error.data.error}): use the app's app-level token (xapp-…) with the connections:write scope, and turn Socket Mode on in the app's settings`,
            { cause: error },
          );
        }
        throw error;
      }
    },
    async disconnect() {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([client.disconnect(), new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
      clearTimeout(timer);
      for (const id of [...held.keys()]) release(id);
    },
  };
}
