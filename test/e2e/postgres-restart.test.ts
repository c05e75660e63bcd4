import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { removeAppContainers } from '../support/containers.ts';
import { appYaml, BASE_IMAGE, eventually, freePort, randomName, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';
import { ownPostgres, type OwnPostgres } from '../support/postgres-cluster.ts';
import { slackUser, type SlackUser } from '../support/slack-user.ts';

const TOKEN = 'xoxb-pgrestart';
const SECRET = 'pgrestart-secret';
const CHANNEL = 'C0PGRESTART';
const RUNNING = ['BUILDING', 'DEPLOYING'];
const ENDED = ['DEPLOYED', 'DEPLOYMENT_ERROR', 'BUILD_ERROR', 'CANCELED'];
const OUTAGE_MS = 20_000;

interface Row {
  id: number;
  env: string;
  status: string;
  reason: string | null;
}

/**
 * Postgres away for 20 s in the middle of a deployment (a restart, a failover, a network
 * cut), on a database cluster of the test's own: Hoist says it is not ready meanwhile,
 * refuses to record what it cannot, reconnects by itself, and the deployment it was running
 * ends — deployed, or failed with the reason — rather than staying in a running status.
 */
describe('Postgres unreachable for 20 s in the middle of a deployment', () => {
  const app = randomName('pgrestart');
  let postgres: OwnPostgres;
  let slack: FakeSlack;
  let repo: GitFixture;
  let slowSha: string;
  let hoist: TestHoist;
  type LogLine = { msg: string; component?: string; err?: unknown };
  const logged: LogLine[] = [];
  let chat: SlackUser;

  beforeAll(async () => {
    postgres = await ownPostgres(await freePort());
    repo = createGitFixture('hoist-pgrestart');
    repo.commit('v1', webAppFiles(`hello ${app}`));
    repo.git('checkout', '--quiet', '-b', 'slow');
    slowSha = repo.commit('slow build', {
      Dockerfile: `FROM ${BASE_IMAGE}\nRUN sleep 10 && echo ${app}\nCOPY www /www\nCMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
    });
    repo.git('checkout', '--quiet', 'main');
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    const yaml = appYaml({ app, repo: repo.dir, port: await freePort(), extraEnvs: ['after', 'during'] });
    hoist = await startTestHoist({
      yaml,
      slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SECRET },
      env: { DATABASE_URL: postgres.url },
      logger: pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line) as LogLine) }),
    });
    chat = slackUser({ baseUrl: () => hoist.baseUrl, slack, secret: SECRET, channel: CHANNEL });
  }, 120_000);

  afterAll(async () => {
    await hoist?.stop();
    await postgres?.remove();
    await slack?.close();
    await removeAppContainers(app);
    repo?.remove();
  });

  /** A connection per question: the test's own reads must not depend on a connection that the outage broke. */
  async function rows(): Promise<Row[]> {
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      return (await client.query<Row>('select id, env, status, reason from deployments where app = $1 order by id', [app])).rows;
    } finally {
      await client.end();
    }
  }

  async function serviceStatuses(id: number): Promise<string[]> {
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      return (await client.query<{ status: string }>('select status from deployment_services where deployment_id = $1 order by name', [id])).rows.map((r) => r.status);
    } finally {
      await client.end();
    }
  }

  async function send(text: string): Promise<string> {
    const { res, id } = await chat.slash(text, { user: 'U0OPS', scoped: false });
    expect(res.status).toBe(200);
    return id;
  }

  const ready = async (): Promise<number> => (await fetch(`${hoist.baseUrl}/readyz`)).status;

  it('is not ready meanwhile, records nothing it cannot, reconnects, and no deployment stays running', async () => {
    await send(`deploy ${app} to after`);
    await eventually(async () => (await rows()).find((r) => r.env === 'after' && r.status === 'DEPLOYED'), 90_000, 'a first deployment');

    await send(`deploy ${app}@${slowSha} to e2e`);
    const running = await eventually(async () => (await rows()).find((r) => r.env === 'e2e' && r.status === 'BUILDING'), 60_000, 'the slow build to start');

    const logFrom = logged.length;
    await postgres.stop();
    const down = Date.now();
    try {
      await eventually(async () => (await ready()) === 503, 15_000, '/readyz to say 503');
      const asked = await send(`deploy ${app} to during`);
      const answer = String((await chat.answerTo(asked, 30_000)).body.text);
      expect(answer).toMatch(/^Hoist could not record this request: its database does not answer; nothing will run\./);
      await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - down))));
      expect(await ready()).toBe(503);
    } finally {
      await postgres.start();
    }
    await eventually(async () => (await ready()) === 200, 30_000, '/readyz to say 200 again');
    // The outage in the log: a line when it began and one when it ended, not a warning with a
    // stack a second from every loop that polls the database.
    await eventually(async () => logged.slice(logFrom).some((l) => l.msg === 'database reachable again'), 30_000, 'the log to say the database answers again');
    const outage = logged.slice(logFrom);
    expect(outage.filter((l) => l.msg === 'database unreachable'), outage.map((l) => l.msg).join('\n')).toHaveLength(1);
    const repeated = outage.filter((l) => l.err !== undefined && /failed|lost/.test(l.msg));
    expect(repeated.length, repeated.map((l) => l.msg).join('\n')).toBeLessThanOrEqual(3);

    const settled = await eventually(async () => {
      const all = await rows();
      return all.every((r) => ENDED.includes(r.status)) ? all : null;
    }, 120_000, 'every deployment to end');
    const ended = settled.find((r) => r.id === running.id) as Row;
    // Finished, or ended by the worker that ran it, with what happened (not "worker lost": it was there all along).
    if (ended.status !== 'DEPLOYED') expect(ended.reason, `#${ended.id} ${ended.status}`).toMatch(/^internal error: the database stopped answering while it ran/);
    expect(settled.filter((r) => RUNNING.includes(r.status))).toEqual([]);
    expect(await serviceStatuses(running.id)).toEqual(ended.status === 'DEPLOYED' ? ['DEPLOYED'] : ['DEPLOYMENT_ERROR']);
    // What was refused during the outage was not recorded then, and nothing of it ran later.
    expect(settled.filter((r) => r.env === 'during')).toEqual([]);

    // Reconnected: a new deployment runs to the end.
    const before = settled.length;
    await send(`deploy ${app} to after`);
    await eventually(async () => (await rows()).slice(before).find((r) => r.env === 'after' && r.status === 'DEPLOYED'), 90_000, 'a deployment after the outage');
  }, 300_000);
});
