import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { removeAppContainers } from '../support/containers.ts';
import { createTestDatabase, uniquePrefix } from '../support/databases.ts';
import { appYaml, BASE_IMAGE, DOCKER_HOST, eventually, freePort, randomName, REGISTRY, webAppFiles } from '../support/hoist-harness.ts';
import { ownRedis, type OwnRedis } from '../support/redis-server.ts';
import { slackUser, type SlackUser } from '../support/slack-user.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const TOKEN = 'xoxb-outage';
const SECRET = 'outage-secret';
const CHANNEL = 'C0OUTAGE';

/** A `hoist start` process: its log on stdout, anything else on stderr. */
interface HoistProcess {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

async function startHoistProcess(vars: Record<string, string>): Promise<HoistProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/hoist.mjs'), 'start'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...vars },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await eventually(() => /running.*\(pid \d+\)/.test(stderr) || child.exitCode !== null, 60_000, 'hoist to start');
  if (child.exitCode !== null) throw new Error(`hoist exited ${child.exitCode}:\n${stderr}\n${stdout}`);
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/**
 * Redis or Postgres going away while people use Hoist: each answer says what really
 * happened to the request (recorded, or not), nothing of an unrecorded request runs
 * later, a recorded one runs once when Redis is back, and the log stays readable.
 */
describe('an outage of Redis or Postgres', () => {
  const app = randomName('outage');
  let slack: FakeSlack;
  let repo: GitFixture;
  let slowSha: string;
  let redis: OwnRedis;
  let proxy: TcpProxy;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: pg.Client;
  let dir: string;
  let hoist: HoistProcess;
  let baseUrl: string;
  let chat: SlackUser;

  beforeAll(async () => {
    repo = createGitFixture('hoist-outage');
    repo.commit('v1', webAppFiles(`hello ${app}`));
    repo.git('checkout', '--quiet', '-b', 'slow');
    slowSha = repo.commit('slow build', {
      Dockerfile: `FROM ${BASE_IMAGE}\nRUN sleep 20\nCOPY www /www\nCMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
    });
    repo.git('checkout', '--quiet', 'main');
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    redis = ownRedis(await freePort());
    await redis.start();
    database = await createTestDatabase();
    const url = new URL(database.url);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.port = String(proxy.port);
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
    dir = mkdtempSync(join(tmpdir(), 'hoist-outage-'));
    writeFileSync(join(dir, 'hoist.yaml'), appYaml({ app, repo: repo.dir, port: await freePort(), extraEnvs: ['pgdown', 'running', 'frozen'] }));
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    chat = slackUser({ baseUrl, slack, secret: SECRET, channel: CHANNEL });
    hoist = await startHoistProcess({
      DATABASE_URL: url.toString(),
      REDIS_URL: redis.url,
      HOIST_REDIS_PREFIX: uniquePrefix(),
      HOIST_CONFIG: join(dir, 'hoist.yaml'),
      HOIST_DATA_DIR: join(dir, 'data'),
      DOCKER_HOST,
      HOIST_REGISTRY_URL: REGISTRY,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      SLACK_POSTS_PER_SECOND: '1000',
    });
  }, 120_000);

  afterAll(async () => {
    hoist?.child.kill('SIGTERM');
    // A failed test may leave Redis or Postgres away, and stopping then waits on them.
    await Promise.race([hoist?.exited, new Promise((r) => setTimeout(r, 15_000))]);
    hoist?.child.kill('SIGKILL');
    await db?.end();
    await proxy?.close();
    await redis?.stop();
    await database?.drop();
    await slack?.close();
    await removeAppContainers(app);
    repo?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A signed `/hoist …` from a user, acknowledged; resolves with the id of its response_url. */
  async function send(text: string): Promise<string> {
    const { res, id } = await chat.slash(text, { user: 'U0OPS', scoped: false });
    expect(res.status).toBe(200);
    return id;
  }

  /** A signed `/hoist …` from a user; resolves with Hoist's answer to them. */
  async function command(text: string): Promise<string> {
    const id = await send(text);
    const answer = await chat.answerTo(id, 30_000);
    return String(answer.body.text);
  }

  const rows = async (env: string) =>
    (await db.query<{ id: number; status: string; started_at: Date | null }>('select id, status, started_at from deployments where app = $1 and env = $2 order by id', [app, env])).rows;
  const ready = async () => (await fetch(`${baseUrl}/readyz`)).status;
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('Redis stopped: the answer says the deployment is recorded; once Redis is back it runs exactly once, and the log stays short', async () => {
    const logFrom = hoist.stdout().length;
    await redis.stop();
    await eventually(async () => (await ready()) === 503, 15_000, '/readyz to say 503');

    const answer = await command(`deploy ${app} to e2e`);
    const recorded = /#(\d+) \(deploy \S+ to e2e\) is recorded; it starts when the queue service is back/.exec(answer);
    expect(recorded, answer).not.toBeNull();
    const id = Number(recorded?.[1]);
    expect(await rows('e2e')).toEqual([{ id, status: 'QUEUED', started_at: null }]);

    // What is asked meanwhile is carried out in Postgres, and answered for what it is (another version:
    // the same one again would join #id).
    const second = /#(\d+) \(deploy \S+ to e2e\) is recorded/.exec(await command(`deploy ${app}@${slowSha} to e2e`));
    expect(second).not.toBeNull();
    expect(await command(`cancel #${second?.[1]}`)).toMatch(new RegExp(`^:no_entry_sign: Canceled #${second?.[1]} .*; it had not started`));
    expect(await command(`lock ${app} in e2e`)).toMatch(/^:lock: You locked/);
    expect(await command(`unlock ${app} in e2e`)).toMatch(/^:unlock: Unlocked/);

    // An outage that goes on: the log must not grow with it.
    await pause(12_000);
    const outageLog = hoist.stdout().slice(logFrom);
    await redis.start();
    await eventually(async () => (await ready()) === 200, 15_000, '/readyz to say 200');

    const done = await eventually(async () => {
      const rs = await rows('e2e');
      return rs[0]?.status === 'DEPLOYED' ? rs : null;
    }, 90_000, `#${id} to be deployed`);
    expect(done.map((r) => [r.id, r.status])).toEqual([
      [id, 'DEPLOYED'],
      [Number(second?.[1]), 'CANCELED'],
    ]);
    await slack.waitFor((s) => s.messages.find((m) => m.channel === CHANNEL && m.threadTs === null && m.text.includes(`#${id}`) && m.text.includes('DEPLOYED')), 15_000);

    const lines = outageLog.split('\n').filter((l) => l.trim() !== '');
    const entries = lines.map((l) => JSON.parse(l) as { msg: string; err?: unknown });
    const redisLines = entries.filter((e) => /redis/i.test(e.msg));
    expect(redisLines.map((e) => e.msg)).toEqual(['redis unreachable']);
    // What the outage itself adds: the line when it began and the request's own lines, not one per failure.
    expect(lines.length, outageLog).toBeLessThanOrEqual(12);
    expect(entries.filter((e) => e.err !== undefined), outageLog).toEqual([]);
    expect(hoist.stdout().slice(logFrom)).toContain('"msg":"redis reachable again"');
    expect(hoist.stderr()).not.toMatch(/Unhandled error event|^\s+at /m);
  }, 180_000);

  it('Redis frozen in the middle of a request: the answer says recorded, and once it answers again the deployment runs exactly once', async () => {
    redis.freeze();
    let id: number;
    try {
      const answer = await command(`deploy ${app} to frozen`);
      const recorded = /#(\d+) \(deploy \S+ to frozen\) is recorded; it starts when the queue service is back/.exec(answer);
      expect(recorded, answer).not.toBeNull();
      id = Number(recorded?.[1]);
      expect(await rows('frozen')).toEqual([{ id, status: 'QUEUED', started_at: null }]);
    } finally {
      redis.thaw();
    }
    const done = await eventually(async () => {
      const rs = await rows('frozen');
      return rs[0]?.status === 'DEPLOYED' ? rs : null;
    }, 90_000, `#${id} to be deployed`);
    expect(done.map((r) => r.id)).toEqual([id]);
  }, 120_000);

  it('Redis stopped while a deployment runs: a cancel is recorded, answered as such, and stops it without Redis', async () => {
    await send(`deploy ${app}@${slowSha} to running`);
    const [running] = await eventually(async () => {
      const rs = await rows('running');
      return rs[0]?.status === 'BUILDING' ? rs : null;
    }, 30_000, 'the slow build to start');
    await redis.stop();
    try {
      await eventually(async () => (await ready()) === 503, 15_000, '/readyz to say 503');
      expect(await command(`cancel #${running?.id}`)).toMatch(new RegExp(`^:no_entry: Canceling #${running?.id} .*: it stops now`));
      const [ended] = await eventually(async () => {
        const rs = await rows('running');
        return rs[0]?.status === 'CANCELED' ? rs : null;
      }, 15_000, `#${running?.id} to stop`);
      expect(ended?.id).toBe(running?.id);
    } finally {
      await redis.start();
    }
    expect(hoist.stderr()).not.toMatch(/Unhandled error event|^\s+at /m);
  }, 120_000);

  it('Postgres unreachable: the answer says nothing was recorded, and nothing of it runs later', async () => {
    await proxy.close();
    try {
      await eventually(async () => (await ready()) === 503, 15_000, '/readyz to say 503');
      const answer = await command(`deploy ${app} to pgdown`);
      expect(answer).toMatch(/^Hoist could not record this request: its database does not answer; nothing will run\. Try again once it answers\.$/);
    } finally {
      await proxy.open();
    }
    await eventually(async () => (await ready()) === 200, 15_000, '/readyz to say 200');
    // Give a request recorded after all the time the reconciler needs to start it.
    await pause(5_000);
    expect(await rows('pgdown')).toEqual([]);
    expect(hoist.stderr()).not.toMatch(/^\s+at /m);
  }, 60_000);
});
