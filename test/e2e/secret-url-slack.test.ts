import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { signSlackRequest, slashCommandBody } from '../fakes/slack-sign.ts';
import { appYaml, freePort, randomName, startTestHoist, type TestHoist } from '../support/hoist-harness.ts';

const TOKEN = 'xoxb-secret-url';
const SECRET = 'secret-url-signing-secret';
const CHANNEL = 'C0SECRETS';
const PASSWORD = 's3cr3tTOKEN';

/**
 * A repository URL with credentials in it: whatever goes wrong with it, the
 * credentials never reach Slack (answers, cards, threads) nor the log.
 */
describe('a repository URL with credentials, through Slack', () => {
  const app = randomName('secret');
  let slack: FakeSlack;
  let hoist: TestHoist;
  let log = '';

  beforeAll(async () => {
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    // Nothing listens there: the clone fails, and its error names the URL.
    const repo = `http://deploy:${PASSWORD}@127.0.0.1:${await freePort()}/shop.git`;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        log += chunk.toString();
        done();
      },
    });
    hoist = await startTestHoist({
      yaml: appYaml({ app, repo, port: await freePort() }),
      slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SECRET },
      logger: createLogger('debug', sink),
    });
  });

  afterAll(async () => {
    await hoist?.stop();
    await slack?.close();
  });

  async function slash(text: string): Promise<string> {
    const id = `r-${Math.random().toString(16).slice(2)}`;
    const body = slashCommandBody({ command: '/hoist', text, userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl(id) });
    const res = await fetch(`${hoist.baseUrl}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(body, SECRET) },
      body,
    });
    expect(res.status).toBe(200);
    const ack = await res.text();
    const answer = await slack.waitFor((s) => s.responses.find((r) => r.id === id), 30_000).catch(() => null);
    return `${ack}\n${answer === null ? '' : String(answer.body.text)}`;
  }

  it('a clone that fails says so with the URL masked, in the answer, every Slack call and the log', async () => {
    const answer = await slash(`deploy ${app} to e2e`);
    expect(answer).toMatch(/cannot (clone|fetch)/);
    expect(answer).toContain('deploy:[redacted]@127.0.0.1');
    // The other commands that name the app's repository or its state.
    await slash(`status ${app}`);
    await slash(`where ${app}`);
    await slash(`history ${app}`);
    const everything = JSON.stringify({ calls: slack.calls, responses: slack.responses, messages: slack.messages });
    expect(everything).toContain('[redacted]');
    expect(everything).not.toContain(PASSWORD);
    expect(log).toContain('"level"');
    expect(log).not.toContain(PASSWORD);
  });
});
