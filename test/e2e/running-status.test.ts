import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/store/schema.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { removeAppContainers, testDocker } from '../support/containers.ts';
import { channelAppYaml, eventually, randomName, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';
import { expectMatchesDocument, servedDocument } from '../support/openapi-check.ts';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';

const SLACK_TOKEN = 'xoxb-running';
const CHANNEL = 'C0RUNNING';

interface ServiceAnswer {
  name: string;
  status: string;
  running: { state: string; ready: number; desired: number; restarts: number } | null;
}

/**
 * The running status on a real engine with two Hoist processes sharing one database: a killed
 * container is DOWN within 5 s and told once in the app's channel; started again it is RUNNING,
 * told once; the process that follows the engine stops and the other one takes over.
 */
describe('running status on Podman, two Hoist processes', () => {
  const app = randomName('run');
  let first: TestHoist;
  let second: WorkerProcess;
  let slack: FakeSlack;
  let repo: GitFixture;
  let db: Kysely<Database>;

  beforeAll(async () => {
    repo = createGitFixture('hoist-running');
    repo.commit('v1', webAppFiles('running v1'));
    slack = await startFakeSlack({ token: SLACK_TOKEN, rateLimitPerChannelPerSecond: 0 });
    first = await startTestHoist({
      yaml: channelAppYaml({ app, repo: repo.dir, channel: CHANNEL, environments: '      e2e: { target: engine }\n' }),
      slack: { apiUrl: slack.url, token: SLACK_TOKEN, signingSecret: 'running-secret' },
    });
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: first.databaseUrl, max: 2 }) }) });
  }, 120_000);

  afterAll(async () => {
    second?.kill('SIGKILL');
    await second?.exited;
    await db?.destroy();
    await first?.stop();
    await slack?.close();
    await removeAppContainers(app);
    repo?.remove();
  });

  const holder = async () => (await db.selectFrom('running_watches').select('holder').where('target', '=', 'engine').where('lease_until', '>', new Date()).executeTakeFirst())?.holder ?? null;
  const running = async () => (await db.selectFrom('running_status').selectAll().where('app', '=', app).where('service', '=', 'web').executeTakeFirst()) ?? null;
  const told = (words: RegExp) => slack.messages.filter((m) => m.channel === CHANNEL && m.threadTs === null && words.test(m.text));
  /** Waits until the chat of some process delivered every event logged so far. */
  const chatCaughtUp = () =>
    eventually(async () => {
      const last = await db.selectFrom('deployment_events').select((e) => e.fn.max('position').as('last')).executeTakeFirstOrThrow();
      const cursor = await db.selectFrom('event_cursors').select('position').where('consumer', '=', 'chat').executeTakeFirst();
      return cursor !== undefined && Number(cursor.position) >= Number(last.last);
    }, 20_000, 'the chat to deliver every event');
  const serving = async () => {
    const [container] = await testDocker().listContainers({ all: true, filters: { label: [`io.hoist.app=${app}`, 'io.hoist.role=service'] } });
    if (container === undefined) throw new Error('no container serves the app');
    return testDocker().getContainer(container.Id);
  };

  it('deploys, and the API shows the service DEPLOYED and RUNNING 1/1; the first process follows the engine', async () => {
    const res = await first.api(`/apps/${app}/environments/e2e/deployments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'deploy' }) });
    expect(res.status).toBe(202);
    const web = await eventually(async () => {
      const view = (await (await first.api(`/apps/${app}/environments/e2e`)).json()) as { services: ServiceAnswer[] };
      const service = view.services.find((s) => s.name === 'web');
      return service?.status === 'DEPLOYED' && service.running?.state === 'RUNNING' ? service : null;
    }, 120_000, 'the deployment and its running status');
    expect(web.running).toMatchObject({ ready: 1, desired: 1, restarts: 0 });
    expect(await holder()).toMatch(new RegExp(`:${process.pid}:`));
    // The second process starts while the first follows the engine: it waits for its turn.
    second = await startWorkerProcess(first.vars, 'start', { stdin: 'ignore' });
  }, 180_000);

  it('a killed container is DOWN within 5 s, told once in the channel; started again, RUNNING, told once', async () => {
    const container = await serving();
    await container.kill();
    const killedAt = Date.now();
    await eventually(async () => (await running())?.state === 'DOWN', 5_000, 'DOWN within 5 s');
    expect(Date.now() - killedAt).toBeLessThan(5_000);
    const view = (await (await first.api(`/apps/${app}/environments/e2e`)).json()) as { services: ServiceAnswer[] };
    expectMatchesDocument(await servedDocument(first), 'GET', '/api/v1/apps/{app}/environments/{env}', 200, view);
    expect(view.services[0]).toMatchObject({ status: 'DEPLOYED', running: { state: 'DOWN', ready: 0, desired: 1 } });
    await eventually(() => told(/is \*DOWN 0\/1/).length > 0, 10_000, 'the fall told in the channel');

    await container.start();
    await eventually(async () => (await running())?.state === 'RUNNING', 10_000, 'RUNNING again');
    await eventually(() => told(/RUNNING 1\/1\* again/).length > 0, 10_000, 'the recovery told in the channel');
    await chatCaughtUp();
    expect(told(/is \*DOWN/)).toHaveLength(1);
    expect(told(/again\./)).toHaveLength(1);
    expect(told(/is \*DOWN/)[0]?.text).toContain(`${app}/web in e2e`);
  }, 60_000);

  it('the other process takes over when the holder stops, and tells the next fall once', async () => {
    await first.halt();
    const pid = second.pid;
    await eventually(async () => (await holder())?.includes(`:${pid}:`) === true, 15_000, 'the second process to follow the engine');
    // Read again by the new holder: the memory of what was told stays in Postgres.
    await (await serving()).kill();
    await eventually(async () => (await running())?.state === 'DOWN', 5_000, 'DOWN seen by the new holder');
    await eventually(() => told(/is \*DOWN/).length === 2, 10_000, 'the second fall told');
    await chatCaughtUp();
    expect(told(/is \*DOWN/)).toHaveLength(2);
    expect(told(/again\./)).toHaveLength(1);
  }, 60_000);

  it('a holder that dies loses the target once its lease lapses: the other process follows it and tells the recovery once', async () => {
    await first.resume();
    second.kill('SIGKILL');
    await second.exited;
    await eventually(async () => (await holder())?.includes(`:${process.pid}:`) === true, 15_000, 'the first process to take the target back');
    await (await serving()).start();
    await eventually(async () => (await running())?.state === 'RUNNING', 10_000, 'RUNNING seen by the first process');
    await eventually(() => told(/again\./).length === 2, 10_000, 'the second recovery told');
    await chatCaughtUp();
    expect(told(/is \*DOWN/)).toHaveLength(2);
    expect(told(/again\./)).toHaveLength(2);
  }, 60_000);
});
