import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { randomTriggerId, signSlackRequest, slashCommandBody } from '../fakes/slack-sign.ts';
import { containerEvents, removeAppContainers } from '../support/containers.ts';
import { DOCKER_HOST, eventually, randomName, REGISTRY, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';

const TOKEN = 'xoxb-random';
const SECRET = 'random-secret';
const ENVS = ['r1', 'r2', 'r3'] as const;
const REQUESTS = 200;
const WORKERS = 4;

/** A run as a failure message shows it: its id, action, status and window. */
const runText = (r: Row): string =>
  `#${r.id} ${r.action} ${r.status}${r.reason === null ? '' : ` (${r.reason})`} on ${r.executor ?? '-'} ${r.started_at?.toISOString() ?? '-'}–${r.finished_at?.toISOString() ?? '-'}`;

/** A small seeded PRNG (mulberry32), so a failing run can be replayed with its seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Row {
  id: number;
  env: string;
  action: string;
  status: string;
  started_at: Date | null;
  finished_at: Date | null;
  reason: string | null;
  executor: string | null;
}

/** Where the Hoist processes of the test find Redis: its variables, and how to stop that Redis after. */
export interface TestRedis {
  name: string;
  start(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * The randomized no-overlap, arrival-order test: random actions from several people into
 * three environments served by four worker processes; every environment runs one action at a
 * time, in arrival order, and the engine's own events fall inside exactly one run each.
 */
export function randomizedSerial(redis: TestRedis | null): void {
describe(`${REQUESTS} interleaved requests, ${WORKERS} worker processes, ${ENVS.length} environments${redis ? ` on ${redis.name}` : ''}`, () => {
  const app = randomName('rnd');
  const seed = Number(process.env.HOIST_TEST_SEED ?? Date.now() % 1_000_000);
  let slack: FakeSlack;
  let server: TestHoist;
  let repo: GitFixture;
  let db: pg.Client;
  let workers: WorkerProcess[] = [];

  beforeAll(async () => {
    repo = createGitFixture('hoist-random');
    repo.commit('v1', webAppFiles(`hello ${app}`));
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    const yaml = `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
  ${app}:
    repo: ${repo.dir}
    services:
      web: { type: application, build: { context: . }, port: 8080, health: { path: /, timeout: 20s } }
    environments:
${ENVS.map((e) => `      ${e}: { target: engine }`).join('\n')}
`;
    const env = redis === null ? {} : await redis.start();
    server = await startTestHoist({ yaml, slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SECRET }, mode: 'server', env });
    db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
    workers = await Promise.all(Array.from({ length: WORKERS }, () => startWorkerProcess(server.vars)));
  });

  afterAll(async () => {
    for (const w of workers) {
      w.kill('SIGKILL');
      await w.exited;
    }
    await db?.end();
    await server?.stop();
    await slack?.close();
    await removeAppContainers(app);
    await redis?.stop();
    repo?.remove();
  });

  /** The trigger ids of the commands sent: each command is carried out once per id, and its answer kept under it. */
  const triggers: string[] = [];

  async function command(text: string, user: string): Promise<void> {
    const triggerId = randomTriggerId();
    triggers.push(triggerId);
    const body = slashCommandBody({ command: '/hoist', text, userId: user, channelId: 'C0RANDOM', responseUrl: slack.responseUrl(`x-${Math.random()}`), triggerId });
    const res = await fetch(`${server.baseUrl}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(body, SECRET) },
      body,
    });
    expect(res.status).toBe(200);
  }

  it('never runs two actions at once in an environment, and runs them in arrival order', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const random = prng(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    // Every environment gets a first deploy, so the other actions have something to act on.
    await Promise.all(ENVS.map((env) => command(`deploy ${app} to ${env}`, 'U0SEED')));
    // The highest deployment number given out so far: not one per request, since a request
    // identical to one still waiting joins it.
    const recorded = async () => (await db.query<{ last: number }>('select coalesce(max(id), 1) as last from deployments where app = $1', [app])).rows[0]?.last ?? 1;
    const sent: Promise<void>[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const env = pick(ENVS);
      const roll = random();
      const text =
        roll < 0.35
          ? `deploy ${app} to ${env}`
          : roll < 0.55
            ? `redeploy ${app} in ${env}`
            : roll < 0.65
              ? `stop ${app}/web in ${env}`
              : roll < 0.85
                ? `restart ${app}/web in ${env}`
                : roll < 0.93
                  ? `cancel ${app} in ${env}`
                  : `cancel #${1 + Math.floor(random() * (await recorded()))}`;
      sent.push(command(text, `U0R${i % 7}`));
      await new Promise((r) => setTimeout(r, Math.floor(random() * 30)));
    }
    await Promise.all(sent);
    // Slack is acknowledged before a command is carried out: every command's request is
    // recorded (or refused) once its answer is kept. Only then can "all ended" mean all of them.
    await eventually(
      async () => {
        const { rows: answered } = await db.query<{ n: number }>('select count(*)::int as n from requests where key = any($1) and answer is not null', [triggers.map((t) => `slack:${t}`)]);
        return (answered[0]?.n ?? 0) === triggers.length ? true : null;
      },
      300_000,
      `every command to be carried out (seed ${seed})`,
    );

    const rows = await eventually(
      async () => {
        const { rows: all } = await db.query<Row>('select id, env, action, status, started_at, finished_at, reason, executor from deployments where app = $1 order by id', [app]);
        return all.length > ENVS.length && all.every((r) => r.finished_at !== null) ? all : null;
      },
      300_000,
      `every deployment to end (seed ${seed})`,
    );
    const events = await containerEvents(app, since, Math.ceil(Date.now() / 1000) + 1);
    expect(events.length, 'engine events').toBeGreaterThan(0);

    for (const env of ENVS) {
      const ran = rows.filter((r) => r.env === env && r.started_at !== null);
      expect(ran.length, `actions run in ${env}`).toBeGreaterThan(3);
      for (let i = 1; i < ran.length; i++) {
        const previous = ran[i - 1] as Row;
        const current = ran[i] as Row;
        // Arrival order: ids are given on arrival (a request joining an identical one still waiting
        // takes its number); overlap: each starts after the previous ended.
        expect((current.started_at as Date).getTime(), `seed ${seed}: #${current.id} (${current.action}) vs #${previous.id} (${previous.action}) in ${env}`).toBeGreaterThanOrEqual(
          (previous.finished_at as Date).getTime(),
        );
      }
      // The engine's side: every container event of the environment falls inside exactly one run.
      const ms = (ns: number) => ns / 1e6;
      // `cleanup` is Podman's own bookkeeping after a container's process ended (conmon
      // reports it asynchronously), not something Hoist asked the engine to do.
      for (const event of events.filter((e) => e.env === env && e.action !== 'cleanup')) {
        // Inside a run's window, or within 5 ms of it (the engine stamps an event a moment after
        // the call): one run holds it, or none does and one is that close. (A hand-off can take
        // less than 5 ms, so an event at the end of one run can be that close to the next.)
        const within = (slack: number) => ran.filter((r) => ms(event.time) >= (r.started_at as Date).getTime() - slack && ms(event.time) <= (r.finished_at as Date).getTime() + slack);
        const strictly = within(0);
        const inside = strictly.length > 0 ? strictly : within(5);
        // Said on failure: the run the event belongs to and the runs either side of it.
        const around = ran.filter((r) => Math.abs((r.started_at as Date).getTime() - ms(event.time)) < 3_000 || r.id === event.deploymentId).map(runText);
        // The event's own deployment as recorded, even when it never started.
        const own = rows.find((r) => r.id === event.deploymentId);
        expect(
          inside.length,
          `seed ${seed}: ${event.action} of ${event.name} (deployment #${event.deploymentId}: ${own === undefined ? 'not recorded' : runText(own)}) at ${new Date(ms(event.time)).toISOString()} in ${env}; runs around it: ${around.join('; ')}`,
        ).toBe(1);
      }
    }
    expect(rows.filter((r) => r.status === 'CANCELED').length, 'some actions were canceled').toBeGreaterThan(0);
  }, 400_000);
});
}
