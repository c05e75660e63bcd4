import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { slashCommandBody } from '../fakes/slack-sign.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { containerEvents, removeAppContainers } from '../support/containers.ts';
import { appYaml, freePort, randomName, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';
import { slackUser, type SlackUser } from '../support/slack-user.ts';

const TOKEN = 'xoxb-concurrency';
const SECRET = 'concurrency-secret';
const COUNT = 20;
/** The longest the queue may go without a deployment finishing (one build and rollout on a busy machine takes seconds). */
const STALL_MS = 60_000;

interface DeploymentJson {
  id: number;
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
}

describe('one action at a time per environment', () => {
  const app = randomName('conc');
  let slack: FakeSlack;
  let hoist: TestHoist;
  let chat: SlackUser;
  let repo: GitFixture;

  beforeAll(async () => {
    repo = createGitFixture('hoist-concurrency');
    repo.commit('v1', webAppFiles(`hello ${app}`));
    // A commit of its own for each deploy: identical deploys waiting at once would be one deployment.
    for (let i = 0; i < COUNT; i++) {
      repo.git('checkout', '--quiet', '-b', `v${i}`, 'main');
      repo.commit(`v${i}`, {});
    }
    repo.git('checkout', '--quiet', 'main');
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    hoist = await startTestHoist({
      yaml: appYaml({ app, repo: repo.dir, port: await freePort() }),
      slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SECRET },
    });
    chat = slackUser({ baseUrl: hoist.baseUrl, slack, secret: SECRET, channel: 'C0CONC' });
  });

  afterAll(async () => {
    await hoist?.stop();
    await slack?.close();
    await removeAppContainers(app);
    repo?.remove();
  });

  /** All `count` deployments once they have finished; fails when none finished for STALL_MS. */
  async function finishing(count: number): Promise<DeploymentJson[]> {
    let done = 0;
    let movedAt = Date.now();
    for (;;) {
      const all: DeploymentJson[] = [];
      for (let id = 1; id <= count; id++) {
        const res = await hoist.api(`/deployments/${id}`);
        if (res.status === 200) all.push((await res.json()) as DeploymentJson);
      }
      const finished = all.filter((d) => d.finishedAt).length;
      if (finished === count) return all;
      if (finished > done) [done, movedAt] = [finished, Date.now()];
      if (Date.now() - movedAt > STALL_MS) {
        const where = all.map((d) => `#${d.id} ${d.status}`).join(', ');
        throw new Error(`no deployment finished for ${STALL_MS} ms (${finished} of ${count} finished): ${where}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  // The whole run has no deadline of its own beyond the stall rule: twenty builds and rollouts on a busy machine.
  it(`${COUNT} deploys sent at once never overlap on the engine and run in arrival order`, { timeout: 600_000 }, async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const acks = await Promise.all(
      Array.from({ length: COUNT }, (_, i) => {
        const body = slashCommandBody({
          command: '/deploy',
          text: `${app}@v${i} to e2e`,
          userId: `U0USER${i}`,
          channelId: 'C0CONC',
          responseUrl: slack.responseUrl(`conc-${i}`),
        });
        return chat.post(body).then((r) => r.status);
      }),
    );
    expect(acks).toEqual(Array.from({ length: COUNT }, () => 200));

    // However slow the machine, the queue must keep moving: the wait fails when no deployment has
    // finished for STALL_MS (with where each one stands), not at a total deadline.
    const deployments = await finishing(COUNT);
    expect(deployments.map((d) => d.status)).toEqual(Array.from({ length: COUNT }, () => 'DEPLOYED'));

    // Hoist's own record: each started after the previous finished, in id (arrival) order.
    for (let i = 1; i < deployments.length; i++) {
      const previous = deployments[i - 1] as DeploymentJson;
      const current = deployments[i] as DeploymentJson;
      expect(Date.parse(String(current.startedAt))).toBeGreaterThanOrEqual(Date.parse(String(previous.finishedAt)));
    }

    // The engine's record: deployment N's containers are created only after deployment
    // N-1's were created and started, and the containers of N-2 were gone by then.
    const events = await containerEvents(app, since, Math.ceil(Date.now() / 1000) + 1);
    const first = (action: string, id: number) => events.find((e) => e.action === action && e.deploymentId === id)?.time;
    const last = (action: string, id: number) => events.filter((e) => e.action === action && e.deploymentId === id).at(-1)?.time;
    for (let id = 1; id <= COUNT; id++) {
      expect(first('create', id), `create of #${id}`).toBeDefined();
    }
    for (let id = 2; id <= COUNT; id++) {
      const createdNow = first('create', id) as number;
      expect(createdNow, `#${id} created after #${id - 1} started`).toBeGreaterThan(last('start', id - 1) as number);
      if (id >= 3) {
        const goneBefore = last('remove', id - 2) ?? last('died', id - 2);
        expect(goneBefore, `#${id - 2} removed`).toBeDefined();
        expect(createdNow, `#${id} created after #${id - 2} was removed`).toBeGreaterThan(goneBefore as number);
      }
    }
    // Every deployment's card reached the channel.
    await slack.waitFor((s) => s.messages.filter((m) => m.channel === 'C0CONC' && m.threadTs === null).length === COUNT, 10_000);
  });
});
