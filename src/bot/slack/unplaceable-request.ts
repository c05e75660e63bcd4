import type { ServerResponse } from 'node:http';
import { App, HTTPModuleFunctions, type ReceiverEvent, type ReceiverProcessEventErrorHandlerArgs } from '@slack/bolt';
// How Bolt itself tells a command from an event or an action; not in its public index.
import { getTypeAndConversation } from '@slack/bolt/dist/helpers.js';
import type { Logger } from 'pino';

/** A signed body that is none of the requests Slack sends. */
export class UnplaceableRequest extends Error {}

/**
 * Bolt drops a body it cannot place (a JSON body under a form content type
 * parses as a form with one odd key; a form or JSON without a command, event or
 * action) without answering it, so the sender waits for the receiver's 3-second
 * timeout and then gets a 404. This App refuses such a body at once instead;
 * `answerUnplaceable` turns the refusal into a 400. The signature was checked
 * before: the receiver verifies it before it parses the body.
 */
export class PlacingApp extends App {
  override async processEvent(event: ReceiverEvent): Promise<void> {
    const body: unknown = event.body;
    if (typeof body !== 'object' || body === null || getTypeAndConversation(body).type === undefined) {
      throw new UnplaceableRequest('the body is no command, event or action');
    }
    return super.processEvent(event);
  }
}

/** The receiver's `processEventErrorHandler`: 400 for an unplaceable body, Bolt's own handling for the rest. */
export function answerUnplaceable(logger: Logger) {
  return async (args: ReceiverProcessEventErrorHandlerArgs): Promise<boolean> => {
    if (!(args.error instanceof UnplaceableRequest)) return HTTPModuleFunctions.defaultProcessEventErrorHandler(args);
    logger.warn('refused a signed Slack request whose body is no command, event or action');
    const response: ServerResponse = args.response;
    if (!response.headersSent) {
      response.writeHead(400);
      response.end();
    }
    // Answered: the receiver then stops the timer that would answer it again after 3 s.
    return true;
  };
}
