import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { removeAppContainers } from '../support/containers.ts';
import { BASE_IMAGE, DOCKER_HOST, REGISTRY, eventually, randomName, startTestHoist, type TestHoist } from '../support/hoist-harness.ts';
import { buttonsOf } from '../support/slack-user.ts';
import { answersOf, sendClick, sendSlash, type SocketCommand } from '../support/socket-user.ts';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';

const TOKEN = 'xoxb-socket';
const APP_TOKEN = 'xapp-1-A0HOIST-socket';
const ENVS = ['dev', 'qa', 'staging', 'demo', 'perf'] as const;

interface DeploymentJson {
  id: number;
  app: string;
  env: string;
  action: string;
  status: string;
}

describe('Slack over Socket Mode', () => {
  const apps = [randomName('sock'), randomName('sock')] as const;
  let slack: FakeSlack;
  let hoist: TestHoist;
  let other: WorkerProcess | null = null;

  beforeAll(async () => {
    slack = await startFakeSlack({ token: TOKEN, appToken: APP_TOKEN, rateLimitPerChannelPerSecond: 0 });
    const app = (name: string) => `  ${name}:
    repo: .
    services:
      box: { type: container, image: ${BASE_IMAGE}, command: ["/bin/busybox", "sleep", "3600"] }
    environments:
${ENVS.map((e) => `      ${e}: { target: engine }`).join('\n')}`;
    hoist = await startTestHoist({
      yaml: `targets:\n  engine: { kind: docker, host: "${DOCKER_HOST}" }\nregistry: { url: ${REGISTRY} }\napps:\n${apps.map(app).join('\n')}\n`,
      slack: { apiUrl: slack.url, token: TOKEN, appToken: APP_TOKEN },
    });
  }, 60_000);

  afterAll(async () => {
    if (other !== null) {
      other.kill('SIGCONT');
      other.kill('SIGTERM');
      await other.exited;
    }
    await hoist?.stop();
    await slack?.close();
    for (const app of apps) await removeAppContainers(app);
  }, 60_000);

  const deployments = async (): Promise<DeploymentJson[]> =>
    (
      await Promise.all(apps.map(async (app) => ((await (await hoist.api(`/deployments?app=${app}&limit=100`)).json()) as { items: DeploymentJson[] }).items))
    ).flat();
  /** Every command has its answer, and none has more than one (a second would be a request carried out again, or answered again). */
  const answeredOnce = (commands: SocketCommand[]) =>
    slack.waitFor((s) => (commands.every((c) => answersOf(s, c).length >= 1) ? commands.map((c) => ({ text: c.text, answers: answersOf(s, c).length })) : null), 60_000);

  it('connects instead of serving /slack/events, and a deploy over the socket is acknowledged at once and carried out', async () => {
    const [connection] = await slack.waitFor((s) => (s.socket.open().length === 1 ? s.socket.open() : null), 10_000);
    expect((await fetch(`${hoist.baseUrl}/slack/events`, { method: 'POST', body: '' })).status).toBe(404);
    const deploy = sendSlash(slack, `deploy ${apps[0]} to dev`, { id: 'first' });
    const ack = await deploy.envelope.acknowledged;
    expect(ack).toMatchObject({ connectionId: connection!.id, late: false });
    expect(ack.afterMs).toBeLessThan(1_000);
    // The connection's URL came from SLACK_API_URL's apps.connections.open, with the app-level token.
    expect(slack.calls.filter((c) => c.method === 'apps.connections.open' && c.response.ok === true)).toHaveLength(slack.socket.connections.length);
    const card = await slack.waitFor((s) => s.messages.find((m) => m.channel === deploy.channel && m.threadTs === null && m.text.includes('DEPLOYED')), 30_000);
    expect(card.text).toContain(apps[0]);
    expect((await deployments()).filter((d) => d.app === apps[0] && d.env === 'dev')).toMatchObject([{ action: 'deploy', status: 'DEPLOYED' }]);

    // The card's buttons work over the socket too; the same button clicked twice requests one redeploy.
    const redeploy = buttonsOf(card).find((b) => b.action_id === 'hoist_card_redeploy')!;
    const clicks = [sendClick(slack, card, redeploy, { id: 'r1', user: 'U0ALICE' }), sendClick(slack, card, redeploy, { id: 'r2', user: 'U0ALICE' })];
    await Promise.all(clicks.map((c) => c.acknowledged));
    const redeployed = await eventually(async () => {
      const found = (await deployments()).filter((d) => d.app === apps[0] && d.env === 'dev' && d.action === 'redeploy');
      const told = slack.responses.some((r) => r.id.startsWith('click-r') && /already used: it requested #\d+/.test(String(r.body.text)));
      return found.length > 0 && told ? found : null;
    }, 20_000, 'the redeploy');
    expect(redeployed).toHaveLength(1);
  }, 60_000);

  it('reconnects on its own after the connection drops, and goes on', async () => {
    const [connection] = slack.socket.open();
    slack.socket.drop(connection!.id);
    const [next] = await slack.waitFor((s) => {
      const fresh = s.socket.open().filter((c) => c.id > connection!.id);
      return fresh.length > 0 ? fresh : null;
    }, 10_000);
    expect(next!.openedAt.getTime() - slack.socket.connections[connection!.id - 1]!.closedAt!.getTime()).toBeLessThan(5_000);
    const status = sendSlash(slack, `status ${apps[0]} in dev`, { id: 'afterdrop' });
    expect(await status.envelope.acknowledged).toMatchObject({ connectionId: next!.id });
    await slack.waitFor((s) => answersOf(s, status).length === 1, 10_000);
  }, 30_000);

  it('carries out each of 50 distinct commands exactly once when Slack refreshes the connection in the middle', async () => {
    const before = await deployments();
    const [first] = slack.socket.open();
    const verbs = [
      (app: string, env: string) => `deploy ${app} to ${env}`,
      (app: string, env: string) => `lock ${app} in ${env} --reason "refresh test"`,
      (app: string, env: string) => `status ${app} in ${env}`,
      (app: string, env: string) => `history ${app} in ${env}`,
      (app: string, env: string) => `unlock ${app} in ${env}`,
    ];
    const texts = verbs.flatMap((verb) => apps.flatMap((app) => ENVS.map((env) => verb(app, env))));
    expect(new Set(texts).size).toBe(50);
    const commands: SocketCommand[] = [];
    texts.forEach((text, i) => {
      if (i === 25) slack.socket.disconnect(first!.id, 'refresh_requested');
      commands.push(sendSlash(slack, text, { id: `burst${i}`, user: `U0B${i % 5}` }));
    });
    const acks = await Promise.all(commands.map((c) => c.envelope.acknowledged));
    expect(acks.every((a) => !a.late)).toBe(true);
    expect(acks.filter((a) => a.afterMs >= 1_000).map((a) => a.afterMs)).toEqual([]);
    // The app reconnected on its own, and the second half went out on the new connection.
    const reconnected = slack.socket.connections.filter((c) => c.id > first!.id);
    expect(reconnected.length).toBeGreaterThanOrEqual(1);
    expect(commands.slice(25).every((c) => c.envelope.deliveries.every((d) => d.connectionId !== first!.id))).toBe(true);

    const counts = await answeredOnce(commands);
    expect(counts.filter((c) => c.answers !== 1)).toEqual([]);
    const made = (await deployments()).filter((d) => !before.some((b) => b.id === d.id));
    const deploys = made.filter((d) => d.action === 'deploy').map((d) => `${d.app} ${d.env}`).sort();
    expect(deploys).toEqual(apps.flatMap((app) => ENVS.map((env) => `${app} ${env}`)).sort());
    expect(made.length).toBe(10);
  }, 120_000);

  it('with two server processes connected, one frozen before it acknowledges, every envelope is carried out once', async () => {
    other = await startWorkerProcess(hoist.vars, 'server', { stdin: 'ignore' });
    const open = await slack.waitFor((s) => (s.socket.open().length === 2 ? s.socket.open() : null), 15_000);
    const frozen = open.at(-1)!;
    const before = await deployments();
    process.kill(other.pid, 'SIGSTOP');
    let commands: SocketCommand[];
    try {
      // By the people who may hold these environments' locks from the burst before (whichever of lock and unlock came last there).
      commands = ENVS.map((env, i) => sendSlash(slack, `deploy ${apps[1]} to ${env}`, { id: `frozen${i}`, to: frozen.id, user: `U0B${i}` }));
      commands.push(sendSlash(slack, `status ${apps[0]}`, { id: 'frozenstatus', to: frozen.id }));
      // Slack hears nothing from the frozen process and delivers each envelope again, to the other one.
      const acks = await Promise.all(commands.map((c) => c.envelope.acknowledged));
      expect(acks.map((a) => a.connectionId).every((id) => id !== frozen.id)).toBe(true);
      expect(commands.map((c) => c.envelope.deliveries.map((d) => d.retryAttempt))).toEqual(commands.map(() => [0, 1]));
      await answeredOnce(commands);
    } finally {
      process.kill(other.pid, 'SIGCONT');
    }
    // Thawed, it either still reads what it was sent (and acknowledges late) or finds its connection stale and reconnects.
    const caughtUp = await slack.waitFor(
      (s) => (s.socket.open().some((c) => c.id > frozen.id && c.openedAt > frozen.openedAt) || commands.every((c) => c.envelope.acks.some((a) => a.connectionId === frozen.id)) ? s : null),
      20_000,
    );
    const lateCopies = commands.filter((c) => c.envelope.acks.some((a) => a.connectionId === frozen.id && a.late));
    // A late copy is a replay: it requests nothing new (its deployment is the one already requested), and a read is answered as before.
    const process2 = other;
    const replayedDeploys = () => process2.output().split('\n').filter((line) => line.includes('deployment requested') && line.includes('"duplicate":true')).length;
    await eventually(() => replayedDeploys() >= lateCopies.filter((c) => c.text.startsWith('deploy')).length, 20_000, 'the late copies to be replayed');
    for (const command of lateCopies.filter((c) => c.text.startsWith('status'))) {
      await caughtUp.waitFor((s) => (answersOf(s, command).length >= 2 ? true : null), 20_000);
      expect(new Set(answersOf(slack, command)).size).toBe(1);
    }
    const made = (await deployments()).filter((d) => !before.some((b) => b.id === d.id));
    expect(made.map((d) => `${d.app} ${d.env} ${d.action}`).sort()).toEqual(ENVS.map((env) => `${apps[1]} ${env} deploy`).sort());
    expect(answersOf(slack, commands.at(-1)!)[0]).toContain(apps[0]);

    // The thawed process takes its share again.
    const [connection] = await slack.waitFor((s) => {
      const mine = s.socket.open().filter((c) => c.id >= frozen.id);
      return mine.length > 0 ? mine : null;
    }, 20_000);
    const after = sendSlash(slack, `status ${apps[1]} in dev`, { id: 'thawed', to: connection!.id });
    expect(await after.envelope.acknowledged).toMatchObject({ connectionId: connection!.id, late: false });
    await eventually(() => answersOf(slack, after).length === 1, 10_000, 'the thawed process to answer');
  }, 120_000);
});
