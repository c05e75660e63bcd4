import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { removeAppContainers } from '../support/containers.ts';
import { uniquePrefix } from '../support/databases.ts';
import { appYaml, BASE_IMAGE, eventually, freePort, randomName, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';
import { ownRedisCluster, ownRedisSentinels, type OwnCluster, type OwnSentinels } from '../support/redis-topologies.ts';
import { slackUser, type SlackUser } from '../support/slack-user.ts';

const TOKEN = 'xoxb-failover';
const SECRET = 'failover-secret';
const CHANNEL = 'C0FAILOVER';
const RUNNING = ['BUILDING', 'DEPLOYING'];
const ENDED = ['DEPLOYED', 'DEPLOYMENT_ERROR', 'BUILD_ERROR', 'CANCELED'];

interface Row {
  id: number;
  env: string;
  status: string;
  reason: string | null;
}

/**
 * Redis going through what a highly available Redis goes through — a Sentinel failover, a
 * cluster node crashing and coming back — while a deployment runs: it finishes or ends with
 * a reason, nothing stays running, the queue goes on, and what Hoist answers meanwhile is
 * what it recorded.
 */
describe.each([
  { topology: 'Sentinel', base: 17_340 },
  { topology: 'Cluster', base: 17_350 },
])('Redis $topology fails over in the middle of a deployment', ({ topology, base }) => {
  const app = randomName('failover');
  let slack: FakeSlack;
  let repo: GitFixture;
  let slowSha: string;
  let sentinels: OwnSentinels | null = null;
  let cluster: OwnCluster | null = null;
  let hoist: TestHoist;
  let db: pg.Client;
  let chat: SlackUser;

  beforeAll(async () => {
    repo = createGitFixture('hoist-failover');
    repo.commit('v1', webAppFiles(`hello ${app}`));
    repo.git('checkout', '--quiet', '-b', 'slow');
    slowSha = repo.commit('slow build', {
      Dockerfile: `FROM ${BASE_IMAGE}\nRUN sleep 12 && echo ${app}\nCOPY www /www\nCMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
    });
    repo.git('checkout', '--quiet', 'main');
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    let redis: Record<string, string>;
    if (topology === 'Sentinel') {
      sentinels = await ownRedisSentinels(base);
      redis = { REDIS_URL: '', REDIS_SENTINELS: sentinels.sentinels, REDIS_SENTINEL_MASTER: sentinels.master, HOIST_REDIS_PREFIX: uniquePrefix() };
    } else {
      cluster = await ownRedisCluster(base);
      redis = { REDIS_URL: '', REDIS_CLUSTER: cluster.nodes, HOIST_REDIS_PREFIX: `{${uniquePrefix()}}` };
    }
    const yaml = appYaml({ app, repo: repo.dir, port: await freePort(), extraEnvs: ['after', 'during'] });
    hoist = await startTestHoist({ yaml, slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SECRET }, env: redis });
    db = new pg.Client({ connectionString: hoist.databaseUrl });
    await db.connect();
    chat = slackUser({ baseUrl: () => hoist.baseUrl, slack, secret: SECRET, channel: CHANNEL });
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await hoist?.stop();
    await sentinels?.stop();
    await cluster?.stop();
    await slack?.close();
    await removeAppContainers(app);
    repo?.remove();
  });

  const rows = async (): Promise<Row[]> =>
    (await db.query<Row>('select id, env, status, reason from deployments where app = $1 order by id', [app])).rows;

  /** Types a command; a deploy's answer is its card in the channel, an outage's an ephemeral answer. */
  async function send(text: string): Promise<string> {
    const { res, id } = await chat.slash(text, { user: 'U0OPS', scoped: false });
    expect(res.status).toBe(200);
    return id;
  }
  const ephemeral = (id: string): string | null => {
    const answer = slack.responses.find((r) => r.id === id);
    return answer === undefined ? null : String(answer.body.text);
  };
  const deployedIn = (env: string) => eventually(async () => (await rows()).find((r) => r.env === env && r.status === 'DEPLOYED'), 90_000, `a deployment to ${env}`);

  /** The Redis failure of this topology, from its start to Redis serving again. */
  async function fail(): Promise<void> {
    if (sentinels) {
      await sentinels.failover();
      return;
    }
    // The master serving the prefix's slot: the lease, the fence and the queue all live there.
    const [victim] = cluster!.masters;
    const holder = await slotHolder(hoist.vars.HOIST_REDIS_PREFIX as string);
    const node = cluster!.masters.find((m) => m.port === holder) ?? victim!;
    await node.kill();
    await new Promise((r) => setTimeout(r, 3_000));
    await node.start();
    await cluster!.healthy();
  }

  async function slotHolder(prefix: string): Promise<number> {
    const { Cluster } = await import('ioredis');
    const client = new Cluster(cluster!.nodes.split(',').map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })));
    try {
      const slot = Number(await client.call('cluster', 'keyslot', `${prefix}:lease:x`));
      const slots = (await client.call('cluster', 'slots')) as [number, number, [string, number]][];
      return slots.find(([from, to]) => slot >= from && slot <= to)?.[2][1] ?? 0;
    } finally {
      client.disconnect();
    }
  }

  it('the running deployment finishes or ends with a reason, answers stay true, and the queue goes on', async () => {
    await send(`deploy ${app} to after`);
    await deployedIn('after');

    await send(`deploy ${app}@${slowSha} to e2e`);
    const running = await eventually(async () => (await rows()).find((r) => r.env === 'e2e' && r.status === 'BUILDING'), 60_000, 'the slow build to start');

    // A request while Redis fails over: whatever it answers must be what Postgres holds.
    const failing = fail();
    const asked = await send(`deploy ${app} to during`);
    await failing;
    // The failure fell in the middle of the deployment: it had not ended when Redis served again.
    expect(RUNNING, 'the deployment was still running when Redis served again').toContain((await rows()).find((r) => r.id === running.id)?.status);
    // Answered either by its card (recorded) or ephemerally (recorded for later, or not recorded at all).
    await eventually(async () => ephemeral(asked) !== null || (await rows()).some((r) => r.env === 'during'), 30_000, 'an answer to the request made during the failure');
    const answer = ephemeral(asked);
    const during = (await rows()).filter((r) => r.env === 'during');
    if (answer !== null && /could not record/.test(answer)) expect(during).toEqual([]);
    else expect(during.length, answer ?? 'a card').toBe(1);
    if (answer !== null && /#(\d+)/.test(answer)) expect(during.map((r) => r.id)).toEqual([Number(/#(\d+)/.exec(answer)?.[1])]);

    // Nothing waits forever: every deployment ends, the one running during the failure included.
    const settled = await eventually(async () => {
      const all = await rows();
      return all.length > 0 && all.every((r) => ENDED.includes(r.status)) ? all : null;
    }, 120_000, 'every deployment to end');
    const ended = settled.find((r) => r.id === running.id) as Row;
    if (ended.status !== 'DEPLOYED') expect(ended.reason, `#${ended.id} ${ended.status}`).toBeTruthy();
    expect(settled.filter((r) => RUNNING.includes(r.status))).toEqual([]);
    for (const r of settled.filter((x) => x.env === 'during')) expect(r.status).toBe('DEPLOYED');

    // The queue goes on: a new deployment after the failure runs to the end.
    const before = (await rows()).length;
    await send(`deploy ${app} to after`);
    await eventually(async () => (await rows()).slice(before).find((r) => r.env === 'after' && r.status === 'DEPLOYED'), 90_000, 'a deployment after the failure');
    expect((await fetch(`${hoist.baseUrl}/readyz`)).status).toBe(200);
  }, 300_000);
});
