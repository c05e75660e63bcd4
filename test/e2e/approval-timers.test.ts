import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.ts';
import { startHoist, type RunningHoist } from '../../src/main.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { removeAppContainers } from '../support/containers.ts';
import { BASE_IMAGE, DOCKER_HOST, eventually, randomName, REGISTRY, startTestHoist, type TestHoist } from '../support/hoist-harness.ts';
import { slackUser } from '../support/slack-user.ts';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';

const TOKEN = 'xoxb-approval-timers';
const SECRET = 'approval-timers-secret';
const CHANNEL = 'C0APPROVE';
const REQUESTER = 'U0OPS';
const APPROVER = 'U0BOB';
const LEAD = 'U0LEAD';

/** One app with an image service (no build), its environments given; `web` may carry extra settings. */
function yaml(app: string, repo: string, environments: string, web = ''): string {
  return `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
  ${app}:
    repo: ${repo}
    channels: [${CHANNEL}]
    services:
      web: { type: container, image: "${BASE_IMAGE}", command: ["/bin/busybox", "httpd", "-f", "-p", "8080"]${web} }
    environments:
${environments}
`;
}

/**
 * Approvals end to end, through signed Slack commands into real processes, Postgres, Redis
 * and Podman: timers that outlive every process, an approval bound to what will run, and
 * going ahead without one.
 */
describe('approval timers, binding and bypass', () => {
  const app = randomName('apt');
  let slack: FakeSlack;
  let repo: GitFixture;

  beforeAll(async () => {
    repo = createGitFixture('hoist-approval-timers');
    repo.commit('first', { README: 'approvals\n' });
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
  });
  afterAll(async () => {
    await slack?.close();
    await removeAppContainers(app);
    repo?.remove();
  });

  /** Sends a signed `/hoist` command to `hoist` as `user`; resolves with the answer to them (unless it has none). */
  async function slash(hoist: TestHoist, text: string, user: string, options: { answered: boolean } = { answered: true }): Promise<string> {
    const chat = slackUser({ baseUrl: hoist.baseUrl, slack, secret: SECRET, channel: CHANNEL });
    const sent = await chat.slash(text, { user });
    expect(sent.res.status).toBe(200);
    return options.answered ? chat.replyText(sent, 20_000) : sent.res.text();
  }

  /** The thread of deployment `id` in `env` (each Hoist here numbers its deployments from 1). */
  const threadOf = (env: string, id: number) => {
    const card = slack.messages.find((m) => m.channel === CHANNEL && m.threadTs === null && m.text.includes(` ${env} · #${id}:`));
    return card ? slack.thread(CHANNEL, card.ts) : [];
  };

  async function openDb(hoist: TestHoist) {
    const db = new pg.Client({ connectionString: hoist.databaseUrl });
    await db.connect();
    const row = async (env: string) => (await db.query<{ id: number; status: string; reason: string | null; approval_expires_at: Date | null }>('select id, status, reason, approval_expires_at from deployments where env = $1 order by id desc limit 1', [env])).rows[0];
    const steps = async (id: number) => (await db.query<{ step: string; reason: string | null }>('select step, reason from approval_history where deployment_id = $1 order by id', [id])).rows;
    return { db, row, steps };
  }

  it('after every process restarts in the middle of the wait, each reminder and the expiry still happen once', async () => {
    // Reminders at 4 s and 8 s, the expiry at 12 s; every process is down from about 1 s to past 4 s.
    const hoist = await startTestHoist({
      yaml: yaml(app, repo.dir, `      timed: { target: engine, approval: { required: 1, approvers: [${APPROVER}], timeout: 12s, remindEvery: 4s } }`),
      slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SECRET },
    });
    let worker: WorkerProcess | null = await startWorkerProcess(hoist.vars);
    const { db, row, steps } = await openDb(hoist);
    try {
      expect(await slash(hoist, `deploy ${app} to timed`, REQUESTER)).toMatch(/waits for approval/i);
      const d = await eventually(() => row('timed'), 10_000, 'the deployment');
      expect(d.status).toBe('AWAITING_APPROVAL');
      const requestedAt = d.approval_expires_at!.getTime() - 12_000;
      const until = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, requestedAt + ms - Date.now())));

      await until(1_000);
      worker.kill('SIGKILL');
      await worker.exited;
      worker = null;
      await hoist.halt();
      expect((await steps(d.id)).map((s) => s.step)).toEqual(['requested']);

      // Past the first reminder's time, nothing runs; then every process starts again.
      await until(4_500);
      await hoist.resume();
      worker = await startWorkerProcess(hoist.vars);

      await eventually(async () => (await row('timed'))?.status === 'EXPIRED', 30_000, 'the expiry');
      // Time for a second claim of anything, had one been possible.
      await new Promise((r) => setTimeout(r, 2_000));
      const history = await steps(d.id);
      expect(history.map((s) => s.step)).toEqual(['requested', 'reminded', 'reminded', 'expired']);
      expect((await row('timed'))?.reason).toBe('nobody approved or rejected it within 12s');

      await slack.waitFor(() => {
        const thread = threadOf('timed', d.id).map((m) => m.text);
        return thread.some((t) => t.includes('EXPIRED')) && thread.filter((t) => t.includes('reminder:')).length >= 2;
      }, 20_000);
      await new Promise((r) => setTimeout(r, 500));
      const thread = threadOf('timed', d.id).map((m) => m.text);
      const reminder = `<@${APPROVER}> reminder: #${d.id} still waits for approval — waiting for 1 of ${APPROVER}; it expires at `;
      expect(thread.filter((t) => t.includes('reminder:'))).toEqual([expect.stringContaining(reminder), expect.stringContaining(reminder)]);
      expect(thread.filter((t) => t.includes('expired without a decision'))).toEqual([`<@${REQUESTER}> #${d.id} expired without a decision — nobody approved or rejected it within 12s`]);
      expect(thread.filter((t) => t.includes('EXPIRED'))).toHaveLength(1);
    } finally {
      worker?.kill('SIGKILL');
      await worker?.exited;
      await db.end();
      await hoist.stop();
    }
  });

  describe('with a server and workers started later', () => {
    const PROD = `      prod: { target: engine, approval: { required: 1, approvers: [${APPROVER}], bypass: [${LEAD}] } }`;
    let server: TestHoist;
    let worker: RunningHoist | null = null;
    let db: Awaited<ReturnType<typeof openDb>>;

    beforeAll(async () => {
      // No worker yet: an approved deployment waits in the queue until one starts.
      server = await startTestHoist({ yaml: yaml(app, repo.dir, PROD), slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SECRET }, mode: 'server' });
      db = await openDb(server);
    });
    /** A worker process of this Hoist, reading hoist.yaml as it is now; one at most. */
    const startWorker = async () => {
      worker ??= await startHoist({ env: parseEnv(server.vars), mode: 'worker', shell: null, logger: pino({ level: 'silent' }) });
    };
    afterAll(async () => {
      await worker?.stop();
      await db?.db.end();
      await server?.stop();
    });

    it('hoist.yaml changed between approval and start: the votes reset, the thread shows the diff, and it runs only after a new approval', async () => {
      await slash(server, `deploy ${app} to prod`, REQUESTER);
      const d = await eventually(() => db.row('prod'), 10_000, 'the deployment');
      expect(await slash(server, `approve #${d.id}`, APPROVER)).toMatch(/approved/i);
      expect((await db.row('prod'))?.status).toBe('QUEUED');

      // A worker starts with a changed hoist.yaml: it reads it at its start.
      writeFileSync(join(server.dir, 'hoist.yaml'), yaml(app, repo.dir, PROD, ', env: { GREETING: hello }'));
      await startWorker();
      await eventually(async () => (await db.steps(d.id)).some((s) => s.step === 'reset'), 30_000, 'the reset');
      expect((await db.row('prod'))?.status).toBe('AWAITING_APPROVAL');
      const reset = (await db.steps(d.id)).at(-1);
      expect(reset).toEqual({ step: 'reset', reason: 'what it would run changed since it was approved: services[web].env.GREETING added' });
      await slack.waitFor(() => threadOf('prod', d.id).some((m) => m.text.includes('the votes were reset')), 20_000);
      expect(threadOf('prod', d.id).map((m) => m.text)).toContain(
        `<@${APPROVER}> the votes were reset; approval is asked again — what it would run changed since it was approved: services[web].env.GREETING added`,
      );
      // Nothing ran meanwhile.
      await new Promise((r) => setTimeout(r, 1_500));
      expect((await db.row('prod'))?.status).toBe('AWAITING_APPROVAL');

      expect(await slash(server, `approve #${d.id}`, APPROVER)).toMatch(/approved/i);
      await eventually(async () => (await db.row('prod'))?.status === 'DEPLOYED', 60_000, 'the deployment to run');
      expect((await db.steps(d.id)).map((s) => s.step)).toEqual(['requested', 'voted', 'approved', 'reset', 'voted', 'approved']);
      const set = (await db.db.query<{ deployment_set: { services: { env: Record<string, string> }[] } }>('select deployment_set from deployments where id = $1', [d.id])).rows[0];
      expect(set?.deployment_set.services[0]?.env).toEqual({ GREETING: 'hello' });
    });

    it('a bypass member deploys without approval, recorded and announced in the channel; anyone else is refused, told who may', async () => {
      await startWorker();
      const refused = await slash(server, `deploy ${app} to prod --bypass-approval "incident 88"`, REQUESTER);
      expect(refused).toContain(`only ${LEAD} may deploy ${app} in prod without approval`);
      const before = (await db.row('prod'))?.id;
      // Accepted, it is answered by its card in the channel.
      await slash(server, `deploy ${app} to prod --bypass-approval "incident 88"`, LEAD, { answered: false });
      const d = await eventually(async () => {
        const latest = await db.row('prod');
        return latest && latest.id !== before ? latest : null;
      }, 10_000, 'the bypassed deployment');
      expect(await db.steps(d.id)).toEqual([{ step: 'bypassed', reason: 'incident 88' }]);
      await eventually(async () => (await db.row('prod'))?.status === 'DEPLOYED', 60_000, 'the bypassed deployment to run');
      const announced = await slack.waitFor(() => threadOf('prod', d.id).find((m) => m.text.includes('went ahead without approval')), 20_000);
      expect(announced).toMatchObject({ text: '@u0lead went ahead without approval — incident 88', replyBroadcast: true });
    });
  });
});
