import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { appYaml, freePort, randomName, startTestHoist, type TestHoist } from '../support/hoist-harness.ts';
import { slackUser, type SlackUser } from '../support/slack-user.ts';

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
  let chat: SlackUser;
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
    chat = slackUser({ baseUrl: hoist.baseUrl, slack, secret: SECRET, channel: CHANNEL });
  });

  afterAll(async () => {
    await hoist?.stop();
    await slack?.close();
  });

  async function slash(text: string): Promise<string> {
    const { res, id } = await chat.slash(text, { user: 'U0ALICE', scoped: false });
    expect(res.status).toBe(200);
    const ack = await res.text();
    const answer = await chat.answerTo(id, 30_000).catch(() => null);
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
