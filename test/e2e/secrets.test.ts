import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { removeAppContainers, testDocker } from '../support/containers.ts';
import { BASE_IMAGE, DOCKER_HOST, REGISTRY, eventually, freePort, randomName, startTestHoist, type TestHoist } from '../support/hoist-harness.ts';
import { slackUser, type SlackUser } from '../support/slack-user.ts';

const TOKEN = 'xoxb-secrets-e2e';
const SIGNING = 'secrets-e2e-signing-secret';
const CHANNEL = 'C0SECRETENV';
const PASSWORD = 'hunter2';
const OLD_PASSWORD = 'olDpass99';
const HIDDEN = /••••[0-9a-f]{8}/;

/** A web app that prints its environment (its password with it) when it starts; `serve: false` never answers its health check. */
function app(serve: boolean): Record<string, string> {
  const run = serve ? 'exec /bin/busybox httpd -f -p 8080 -h /www' : 'exec /bin/busybox sleep 600';
  return {
    Dockerfile: `FROM ${BASE_IMAGE}\nCOPY www /www\nEXPOSE 8080\nCMD ["/bin/busybox", "sh", "-c", "env; echo \\"db secret is $DB_PASSWORD\\"; ${run}"]\n`,
    'www/index.html': 'hello\n',
  };
}

interface DeploymentJson {
  id: number;
  status: string;
  finishedAt: string | null;
}

/**
 * A service's `env` values never leave Hoist in clear, but for its `publicEnv` keys: not
 * through the API, not in Slack, not in Hoist's own log, while the container does get them.
 */
describe('a service’s secrets, deployed on a real container engine', () => {
  const name = randomName('sec');
  let slack: FakeSlack;
  let hoist: TestHoist;
  let chat: SlackUser;
  let repo: GitFixture;
  let port: number;
  let log = '';
  /** Every answer of the API, as text. */
  const answers: string[] = [];

  const yaml = (password: string) => `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
  ${name}:
    repo: ${repo.dir}
    services:
      web:
        type: application
        build: { context: . }
        port: 8080
        health: { path: /, timeout: 8s }
        env: { DB_PASSWORD: ${password}, GREETING: hello }
        publicEnv: [GREETING]
    environments:
      e2e: { target: engine, expose: { web: ${port} } }
`;

  beforeAll(async () => {
    repo = createGitFixture('hoist-secrets-repo');
    repo.commit('serves', app(true));
    repo.git('checkout', '--quiet', '-b', 'broken');
    repo.commit('never healthy', app(false));
    repo.git('checkout', '--quiet', 'main');
    port = await freePort();
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        log += chunk.toString();
        done();
      },
    });
    hoist = await startTestHoist({
      yaml: yaml(OLD_PASSWORD),
      slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SIGNING },
      logger: createLogger('debug', sink),
    });
    chat = slackUser({ baseUrl: () => hoist.baseUrl, slack, secret: SIGNING, channel: CHANNEL });
  });

  afterAll(async () => {
    await hoist?.stop();
    await slack?.close();
    await removeAppContainers(name);
    repo?.remove();
  });

  /** Calls the API and keeps the answer's text for the final scan. */
  async function call(path: string): Promise<{ status: number; text: string }> {
    const res = await hoist.api(path);
    const text = await res.text();
    answers.push(`${path}\n${text}`);
    return { status: res.status, text };
  }
  const json = async <T>(path: string): Promise<T> => {
    const { status, text } = await call(path);
    expect(status, `${path}: ${text}`).toBe(200);
    return JSON.parse(text) as T;
  };

  /** Types a command; with `answer`, waits for what it answers (in the reply or through response_url). */
  async function slash(text: string, answer = true): Promise<string> {
    const sent = await chat.slash(text, { user: 'U0ALICE' });
    expect(sent.res.status).toBe(200);
    return answer ? chat.replyText(sent, 30_000) : sent.res.text();
  }

  /** Deploys from Slack and waits for the deployment to finish. */
  async function deploy(what: string): Promise<DeploymentJson> {
    const newest = async () => (await json<{ items: { id: number }[] }>(`/deployments?app=${name}&limit=1`)).items[0]?.id ?? null;
    const before = await newest();
    await slash(`deploy ${what} to e2e`, false);
    const id = await eventually(async () => {
      const now = await newest();
      return now !== null && now !== before ? now : null;
    }, 15_000, `the deployment of ${what}`);
    return eventually(async () => {
      const d = await json<DeploymentJson>(`/deployments/${id}`);
      return d.finishedAt ? d : null;
    }, 120_000, `#${id} to finish`);
  }

  it('the container has the password; no answer, Slack call or log line has it; the diff says it changed', async () => {
    const first = await deploy(name);
    expect(first.status).toBe('DEPLOYED');

    // The password changes in hoist.yaml; Hoist is restarted on the same database.
    await hoist.halt();
    writeFileSync(join(hoist.dir, 'hoist.yaml'), yaml(PASSWORD));
    await hoist.resume();

    const second = await deploy(name);
    expect(second.status).toBe('DEPLOYED');
    const [container] = await testDocker().listContainers({ filters: { label: [`io.hoist.app=${name}`, 'io.hoist.service=web'] } });
    const info = await testDocker().getContainer(container!.Id).inspect();
    expect(info.Config.Env).toEqual(expect.arrayContaining([`DB_PASSWORD=${PASSWORD}`, 'GREETING=hello']));

    // A version that never answers: its start-up output (with the password) is in its log and in the failure in Slack.
    const failed = await deploy(`${name}@broken`);
    expect(failed.status).toBe('DEPLOYMENT_ERROR');
    const failure = await slack.waitFor((s) => s.messages.find((m) => m.threadTs !== null && JSON.stringify(m.blocks).includes('db secret is')), 30_000);
    expect(JSON.stringify(failure.blocks)).toMatch(new RegExp(`db secret is ${HIDDEN.source}`));

    // Every route that shows the app, its deployments, their sets, diffs and logs.
    await json(`/apps/${name}/environments`);
    await json(`/apps/${name}/environments/e2e`);
    await json(`/apps/${name}/environments/e2e/lock`);
    await json(`/deployments?app=${name}`);
    for (const d of [first, second, failed]) {
      await json(`/deployments/${d.id}`);
      await json(`/deployments/${d.id}/approvals`);
    }
    const manifests = await json<{ set: { services: { env: Record<string, string> }[] } }>(`/deployments/${second.id}/manifests`);
    expect(manifests.set.services[0]!.env.GREETING).toBe('hello');
    expect(manifests.set.services[0]!.env.DB_PASSWORD).toMatch(new RegExp(`^${HIDDEN.source}$`));
    await json(`/deployments/${failed.id}/manifests`);
    const diff = await json<{ changes: { path: string; kind: string; before: unknown; after: unknown }[]; unified: string }>(`/deployments/${second.id}/diff?against=${first.id}`);
    const change = diff.changes.find((c) => c.path === 'services[web].env.DB_PASSWORD');
    expect(change).toMatchObject({ kind: 'changed', before: expect.stringMatching(HIDDEN), after: manifests.set.services[0]!.env.DB_PASSWORD });
    expect(change!.before).not.toBe(change!.after);
    expect(diff.changes.find((c) => c.path.endsWith('GREETING'))).toBeUndefined();
    expect((await call(`/deployments/${second.id}/diff?against=${first.id}&format=unified`)).text).toMatch(new RegExp(`\\+ +"DB_PASSWORD": "${HIDDEN.source}"`));
    await json(`/deployments/${failed.id}/diff?against=${second.id}`);
    const logs = await json<{ lines: { line: string }[] }>(`/deployments/${failed.id}/logs`);
    const texts = logs.lines.map((l) => l.line).join('\n');
    expect(texts).toMatch(new RegExp(`db secret is ${HIDDEN.source}`));
    expect(texts).toContain('GREETING=hello');
    await json(`/deployments/${failed.id}/logs?tail=100&service=web`);
    const followed = await call(`/deployments/${failed.id}/logs?follow=1`);
    expect(followed.text).toContain('"end":true');
    expect(followed.text).toMatch(HIDDEN);

    // Chat commands that show the same things.
    answers.push(await slash(`logs #${failed.id}`), await slash(`status ${name}`), await slash(`history ${name}`));

    expect(answers.join('\n')).not.toContain(PASSWORD);
    expect(answers.join('\n')).not.toContain(OLD_PASSWORD);
    const everything = JSON.stringify({ calls: slack.calls, responses: slack.responses, messages: slack.messages });
    expect(everything).toContain('GREETING=hello');
    expect(everything).not.toContain(PASSWORD);
    expect(log).toContain('"level"');
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toContain(OLD_PASSWORD);
  }, 300_000);
});
