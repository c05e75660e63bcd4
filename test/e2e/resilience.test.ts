import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { containerEvents, removeAppContainers } from '../support/containers.ts';
import { appYaml, BASE_IMAGE, eventually, freePort, randomName, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';
import { slackUser, type SlackUser } from '../support/slack-user.ts';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';

const TOKEN = 'xoxb-resilience';
const SECRET = 'resilience-secret';
const CHANNEL = 'C0RESIL';

interface Row {
  id: number;
  status: string;
  reason: string | null;
  executor: string | null;
  started_at: Date | null;
  finished_at: Date | null;
}

/**
 * Several worker processes against one Postgres and Redis: a worker killed, frozen or
 * stopped in the middle of a deployment never leaves the environment stuck.
 */
describe('worker processes that die, freeze or stop', () => {
  const app = randomName('res');
  let slack: FakeSlack;
  let server: TestHoist;
  let chat: SlackUser;
  let repo: GitFixture;
  let db: pg.Client;
  let workers: WorkerProcess[] = [];

  beforeAll(async () => {
    repo = createGitFixture('hoist-resilience');
    repo.commit('fast', webAppFiles(`hello ${app}`));
    repo.commitOn('slow', 'main', 'slow build', {
      Dockerfile: `FROM ${BASE_IMAGE}\nRUN sleep 6\nCOPY www /www\nCMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
    });
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    server = await startTestHoist({
      yaml: appYaml({ app, repo: repo.dir, port: await freePort(), extraEnvs: ['kill', 'freeze', 'flush', 'term', 'drain'] }),
      slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SECRET },
      mode: 'server',
    });
    chat = slackUser({ baseUrl: server.baseUrl, slack, secret: SECRET, channel: CHANNEL });
    db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
  });

  afterEach(async () => {
    for (const w of workers) {
      w.kill('SIGCONT');
      w.kill('SIGKILL');
      await w.exited;
    }
    workers = [];
  });

  afterAll(async () => {
    await db?.end();
    await server?.stop();
    await slack?.close();
    await removeAppContainers(app);
    repo?.remove();
  });

  /**
   * The slow commit's image, once built, would be reused; each test needs a fresh slow build.
   * Its slow step names the variant and this run: a build layer cached by an earlier run (or
   * test) would otherwise make the "slow" build instant.
   */
  function slowVariant(tag: string): string {
    // Committed beside main, not checked out: a request for the default branch still in hand
    // (answered, not yet resolved) must find main, whenever Hoist asks.
    return repo.commitOn('slow', 'slow', `slow ${tag}`, {
      Dockerfile: `FROM ${BASE_IMAGE}\nRUN echo ${app}-${tag} && sleep 6\nCOPY www /www\nCMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
      'www/variant.txt': `${tag}\n`,
    });
  }

  /** Another version of the fast commit: identical requests join one waiting deployment, so queued ones must differ. */
  function fastVariant(tag: string): string {
    return repo.commitOn(`fast-${tag}`, 'main', `fast ${tag}`, { 'www/variant.txt': `${tag}\n` });
  }

  async function deploy(text: string, options: { retry?: number; triggerId?: string } = {}): Promise<number> {
    const { res } = await chat.slash(text, { user: 'U0OPS', scoped: false, triggerId: options.triggerId, retry: options.retry });
    expect(res.status).toBe(200);
    return res.status;
  }

  /** On a failure, what the workers said (why a run was stopped, if it was): warnings, errors, and lines of deployments, leases, fences, cancels, builds, stops and drains. */
  const said = () =>
    workers.map((w) => w.output().split('\n').filter((line) => /"level":(40|50)|deployment|lease|fence|cancel|build|stop|drain/i.test(line)).slice(-30).join('\n')).join('\n');

  const rows = async (env: string): Promise<Row[]> =>
    (await db.query<Row>('select id, status, reason, executor, started_at, finished_at from deployments where app = $1 and env = $2 order by id', [app, env])).rows;
  /** The rows once `predicate` holds; on a timeout, the error says what the rows were and what the workers said. */
  const waitRows = async (env: string, count: number, predicate: (rs: Row[]) => boolean, timeoutMs = 60_000, what = 'deployments') => {
    try {
      return await eventually(async () => {
        const rs = await rows(env);
        return rs.length >= count && predicate(rs) ? rs : null;
      }, timeoutMs, what);
    } catch (error) {
      const now = (await rows(env)).map((r) => `#${r.id} ${r.status}${r.reason === null ? '' : `: ${r.reason}`}`).join('; ');
      throw new Error(`${(error as Error).message}; the deployments: ${now}\nthe workers said:\n${said()}`, { cause: error });
    }
  };

  it('a worker killed mid-deployment: within 15 s the environment is free, the deployment ends "worker lost", the thread says so', async () => {
    const sha = slowVariant('kill');
    workers = [await startWorkerProcess(server.vars), await startWorkerProcess(server.vars)];
    await deploy(`deploy ${app}@${sha} to kill`);
    await deploy(`deploy ${app} to kill`);
    const [running] = await waitRows('kill', 2, (rs) => rs[0]?.status === 'BUILDING' && rs[0].executor !== null, 30_000, 'the slow build to start');
    const victim = workers.find((w) => running?.executor?.endsWith(`:${w.pid}`));
    expect(victim, `executor ${running?.executor}`).toBeDefined();
    const killedAt = Date.now();
    victim?.kill('SIGKILL');

    const after = await waitRows('kill', 2, (rs) => rs.every((r) => r.finished_at !== null), 30_000, 'both deployments to end');
    const recovery = Date.now() - killedAt;
    expect(after[0]).toMatchObject({ status: 'DEPLOYMENT_ERROR', reason: 'worker lost' });
    expect(after[1]?.status).toBe('DEPLOYED');
    expect(after[1]?.executor).not.toBe(running?.executor);
    expect((after[0]?.finished_at as Date).getTime() - killedAt).toBeLessThan(15_000);
    expect(recovery).toBeLessThan(30_000);
    const card = await slack.waitFor((s) => s.messages.find((m) => m.channel === CHANNEL && m.threadTs === null && m.text.includes(`#${after[0]?.id}`) && m.text.includes('DEPLOYMENT_ERROR')), 10_000);
    await slack.waitFor((s) => s.thread(CHANNEL, card.ts).some((m) => m.text.includes('worker lost')), 10_000);
    const stuck = await db.query(`select count(*)::int as n from deployments where app = $1 and finished_at is null`, [app]);
    expect(stuck.rows[0].n).toBe(0);
  });

  it('a frozen worker taken over cannot change the deployment nor act on the target once thawed', async () => {
    const sha = slowVariant('freeze');
    workers = [await startWorkerProcess(server.vars), await startWorkerProcess(server.vars)];
    const since = Math.floor(Date.now() / 1000) - 1;
    await deploy(`deploy ${app}@${sha} to freeze`);
    const [running] = await waitRows('freeze', 1, (rs) => rs[0]?.status === 'BUILDING' && rs[0].executor !== null, 30_000, 'the slow build to start');
    const frozen = workers.find((w) => running?.executor?.endsWith(`:${w.pid}`));
    expect(frozen).toBeDefined();
    frozen?.kill('SIGSTOP');
    const [lost] = await waitRows('freeze', 1, (rs) => rs[0]?.finished_at !== null, 60_000, 'the takeover');
    expect(lost).toMatchObject({ status: 'DEPLOYMENT_ERROR', reason: 'worker lost' });
    const eventsBefore = (await db.query('select count(*)::int as n from deployment_events where deployment_id = $1', [lost?.id])).rows[0].n as number;

    frozen?.kill('SIGCONT');
    await frozen?.waitForOutput(/taken over by another worker|fence lost/, 30_000);
    const [final] = await rows('freeze');
    expect(final).toMatchObject({ status: 'DEPLOYMENT_ERROR', reason: 'worker lost' });
    const eventsAfter = (await db.query('select count(*)::int as n from deployment_events where deployment_id = $1', [lost?.id])).rows[0].n as number;
    expect(eventsAfter).toBe(eventsBefore);
    const events = await containerEvents(app, since, Math.ceil(Date.now() / 1000) + 1);
    expect(events.filter((e) => e.deploymentId === lost?.id)).toEqual([]);
  });

  it('Redis losing every key mid-deployment loses no deployment: running ones finish, waiting ones run in order', async () => {
    const sha = slowVariant('flush');
    workers = [await startWorkerProcess(server.vars)];
    await deploy(`deploy ${app}@${sha} to flush`);
    await deploy(`deploy ${app} to flush`);
    await deploy(`deploy ${app}@${fastVariant('flush')} to flush`);
    await waitRows('flush', 3, (rs) => rs[0]?.status === 'BUILDING', 30_000, 'the slow build to start');
    const redis = new Redis(server.vars.REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      const keys = await redis.keys(`${server.vars.HOIST_REDIS_PREFIX}:*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
    const done = await waitRows('flush', 3, (rs) => rs.every((r) => r.finished_at !== null), 60_000, 'all three to end');
    expect(done.map((r) => r.status), `${done.map((r) => `#${r.id} ${r.status}: ${r.reason}`).join('; ')}\nthe worker said:\n${said()}`).toEqual(['DEPLOYED', 'DEPLOYED', 'DEPLOYED']);
    for (let i = 1; i < done.length; i++) {
      expect((done[i]?.started_at as Date).getTime()).toBeGreaterThanOrEqual((done[i - 1]?.finished_at as Date).getTime());
    }
  });

  it('SIGTERM: the worker takes no new job, finishes the running deployment and exits', async () => {
    const sha = slowVariant('term');
    const worker = await startWorkerProcess(server.vars);
    workers = [worker];
    await deploy(`deploy ${app}@${sha} to term`);
    await deploy(`deploy ${app} to term`);
    await waitRows('term', 2, (rs) => rs[0]?.status === 'BUILDING', 30_000, 'the slow build to start');
    worker.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    const [first, second] = await rows('term');
    expect(first?.status, `#${first?.id}: ${first?.reason}\nthe worker said:\n${said()}`).toBe('DEPLOYED');
    expect(second?.status).toBe('QUEUED');
    const next = await startWorkerProcess(server.vars);
    workers.push(next);
    const done = await waitRows('term', 2, (rs) => rs[1]?.finished_at !== null, 30_000, 'the second deployment');
    expect(done[1]?.status).toBe('DEPLOYED');
    expect(done[1]?.executor?.endsWith(`:${next.pid}`)).toBe(true);
  });

  it('SIGTERM past the drain time: the running deployment ends CANCELED saying why, and the worker exits', async () => {
    const sha = slowVariant('drain');
    const worker = await startWorkerProcess({ ...server.vars, HOIST_WORKER_DRAIN_SECONDS: '1' });
    workers = [worker];
    await deploy(`deploy ${app}@${sha} to drain`);
    await waitRows('drain', 1, (rs) => rs[0]?.status === 'BUILDING', 30_000, 'the slow build to start');
    const stoppedAt = Date.now();
    worker.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    // Well before the 6 s build would have ended: the drain time, then the cancel.
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    const [ended] = await rows('drain');
    expect(ended).toMatchObject({ status: 'CANCELED' });
    const { rows: reason } = await db.query<{ reason: string }>('select reason from deployments where id = $1', [ended?.id]);
    expect(reason[0]?.reason).toBe('the worker running it was stopped and its drain time (1 s) ran out');
  });

  it('the same slash command delivered twice (a Slack retry) creates one deployment', async () => {
    const before = (await rows('e2e')).length;
    await deploy(`deploy ${app} to e2e`, { triggerId: 'trigger-retry-1' });
    await deploy(`deploy ${app} to e2e`, { triggerId: 'trigger-retry-1', retry: 1 });
    await deploy(`deploy ${app} to e2e`, { triggerId: 'trigger-retry-1', retry: 2 });
    await waitRows('e2e', before + 1, () => true, 10_000);
    // Give a wrongly created second deployment the time the first needed to appear.
    await new Promise((r) => setTimeout(r, 300));
    expect((await rows('e2e')).length).toBe(before + 1);
  });
});
