import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';

export interface BaselineBolt {
  /** `…/slack/events` of the bare app. */
  url: string;
  stop(): Promise<void>;
}

/**
 * The floor Hoist's Slack edge is compared with: a bare Bolt 5 app in HTTP mode,
 * the same signing secret and Web API, whose `/hoist` handler only acknowledges.
 * Whatever Hoist adds above this is Hoist's own cost.
 */
export async function startBaselineBolt(options: { token: string; signingSecret: string; apiUrl: string }): Promise<BaselineBolt> {
  const receiver = new HTTPReceiver({ signingSecret: options.signingSecret, endpoints: '/slack/events', logLevel: LogLevel.ERROR });
  const app = new App({
    token: options.token,
    receiver,
    logLevel: LogLevel.ERROR,
    deferInitialization: true,
    clientOptions: { slackApiUrl: options.apiUrl },
  });
  app.command('/hoist', async ({ ack }) => {
    await ack();
  });
  await app.init();
  const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/slack/events`,
    async stop() {
      server.closeAllConnections();
      await app.stop();
    },
  };
}
