import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE } from '../../bench/orchestration-hoist.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { createTestDatabase } from '../support/databases.ts';
import { DOCKER_HOST, REGISTRY, hoistVars } from '../support/hoist-harness.ts';
import { pushImageTags } from '../support/image-tags.ts';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';

const TOKEN = 'xoxb-kill';
const CHANNEL = 'C0KILLED';
const ADMIN = 'hoist_outbox_kill_admin_token_0123456789abcdefghijklmnop';

describe('a Hoist killed between posting and marking the post delivered', () => {
  let slack: FakeSlack;
  let dir: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let vars: Record<string, string>;
  let server: WorkerProcess | null = null;

  beforeAll(async () => {
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    dir = mkdtempSync(join(tmpdir(), 'hoist-kill-'));
    database = await createTestDatabase();
    writeFileSync(
      join(dir, 'hoist.yaml'),
      `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
  killed:
    repo: .
    channels: [${CHANNEL}]
    services:
      box: { type: container, image: ${BASE_IMAGE}, command: ["/bin/busybox", "sleep", "3600"] }
    environments:
      k: { target: engine }
`,
    );
    vars = { ...hoistVars(dir, database.url), SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: 'kill-secret', SLACK_API_URL: slack.url, HOIST_API_TOKENS: `ops:admin:${ADMIN}`, HOIST_METRICS: 'off' };
  });

  afterAll(async () => {
    server?.kill('SIGKILL');
    await server?.exited;
    await slack.close();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = (port: string, path: string, body?: unknown) =>
    fetch(`http://127.0.0.1:${port}/api/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const portOf = (w: WorkerProcess) => /"port":(\d+)/.exec(w.output())?.[1] ?? '';

  it('shows the card once after a restart, and goes on in its thread', async () => {
    const [tag] = await pushImageTags(BASE_IMAGE, 1);
    // Server only: no worker takes the deployment, so it waits, its card the one post.
    server = await startWorkerProcess(vars, 'server');
    await server.waitForOutput(/http listening/);
    const held = slack.holdNext('chat.postMessage');
    const requested = await api(portOf(server), '/apps/killed/environments/k/deployments', { action: 'deploy', services: ['box'], ref: tag });
    expect(requested.status, await requested.clone().text()).toBe(202);
    const { id } = ((await requested.json()) as { deployment: { id: number } }).deployment;
    await held.accepted;
    // Slack has the card; Hoist has not heard so, nor settled the event.
    server.kill('SIGKILL');
    await server.exited;

    server = await startWorkerProcess(vars, 'server');
    await server.waitForOutput(/http listening/);
    await slack.waitFor((s) => s.calls.some((c) => c.method === 'conversations.history' && c.status === 200) || null, 30_000);
    const canceled = await api(portOf(server), `/deployments/${id}/cancel`);
    expect(canceled.status, await canceled.clone().text()).toBeLessThan(300);
    const cards = slack.messages.filter((m) => m.threadTs === null);
    await slack.waitFor((s) => s.thread(CHANNEL, cards[0]!.ts).length > 0 || null, 30_000);
    expect(slack.messages.filter((m) => m.threadTs === null)).toHaveLength(1);
    expect(cards[0]!.metadata).toEqual({ event_type: 'hoist_card', event_payload: expect.objectContaining({ deployment_id: id }) });
    expect(slack.thread(CHANNEL, cards[0]!.ts).map((m) => m.text).join('\n')).toMatch(/CANCELED/);
  }, 120_000);
});
