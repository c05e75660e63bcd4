/**
 * Socket Mode: acknowledgements of `/hoist deploy shop@<sha>` slash commands delivered as
 * Socket Mode envelopes (the fake Slack's WebSocket) under the open-loop schedule of the chat
 * scenario, from each envelope's due time to the fake Slack receiving its acknowledgement;
 * beside the same commands at the same rate over HTTP (signed requests from the load
 * generator) to a Hoist started the same way, in the same run.
 */
import { startFakeSlack } from '../test/fakes/slack-api.ts';
import { slashCommandBody } from '../test/fakes/slack-sign.ts';
import { deployText, LOAD_ENV, startBenchHoist } from './bench-hoist.ts';
import { SECRET, settings, TOKEN, USER } from './bench-settings.ts';
import { ackResult, commandsFor, plan } from './chat-scenario.ts';
import { startLoadGenerator } from './load-generator.ts';
import { openLoop, requestCount } from './open-loop.ts';
import type { Result } from './result.ts';

const APP_TOKEN = 'xapp-1-bench';

export async function runSocketBench(options: { logLevel: string; logFile: string }, say: (line: string) => void): Promise<{ results: Result[]; lines: string[] }> {
  const total = requestCount(settings);
  const results: Result[] = [];

  say(`… socket: ${total} commands over HTTP (Hoist, signed requests)`);
  const httpSlack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
  const generator = startLoadGenerator();
  try {
    const hoist = await startBenchHoist({ slack: { apiUrl: httpSlack.url, token: TOKEN, signingSecret: SECRET }, logLevel: options.logLevel, logFile: options.logFile, versions: total });
    try {
      const texts = hoist.versions.map((version) => deployText(LOAD_ENV, version));
      const samples = await generator.run(plan(hoist.url, commandsFor(httpSlack, 'HTTP', texts)));
      results.push(ackResult('ack-load-hoist-http-beside-socket', 'ack under load over HTTP (Hoist, beside Socket Mode)', 'hoist', samples));
    } finally {
      await hoist.stop();
    }
  } finally {
    generator.stop();
    await httpSlack.close();
  }

  say(`… socket: ${total} commands over Socket Mode (Hoist, envelopes on its WebSocket)`);
  const slack = await startFakeSlack({ token: TOKEN, appToken: APP_TOKEN, rateLimitPerChannelPerSecond: 0 });
  try {
    const hoist = await startBenchHoist({ slack: { apiUrl: slack.url, token: TOKEN, appToken: APP_TOKEN }, logLevel: options.logLevel, logFile: options.logFile, versions: total });
    try {
      const commands = commandsFor(slack, 'SOCK', hoist.versions.map((version) => deployText(LOAD_ENV, version)));
      const samples = await openLoop(
        settings,
        async (index) => {
          const command = commands[index]!;
          const body = slashCommandBody({ command: '/hoist', text: command.text, userId: USER, channelId: command.channel, responseUrl: command.responseUrl, triggerId: command.triggerId });
          // Over Socket Mode a slash command's payload is its form fields as a JSON object.
          const envelope = slack.socket.send('slash_commands', Object.fromEntries(new URLSearchParams(body)));
          const ack = await envelope.acknowledged;
          return { status: ack.late ? null : 200, error: ack.late ? 'late acknowledgement' : null };
        },
        (index) => commands[index]!.channel,
      );
      const retried = slack.socket.envelopes.filter((e) => e.deliveries.length > 1).length;
      const result = ackResult('ack-load-hoist-socket', 'ack under load over Socket Mode (Hoist)', 'hoist', samples);
      results.push({ ...result, notes: { ...result.notes, deliveredAgain: retried } });
    } finally {
      await hoist.stop();
    }
  } finally {
    await slack.close();
  }

  const [http, socket] = results;
  const lines =
    http?.p50Ms != null && socket?.p50Ms != null
      ? [`Socket Mode ack vs HTTP ack, same commands and rate in this run: p50 ${socket.p50Ms.toFixed(2)} vs ${http.p50Ms.toFixed(2)} ms, p99 ${String(socket.p99Ms)} vs ${String(http.p99Ms)} ms`]
      : [];
  return { results, lines };
}
