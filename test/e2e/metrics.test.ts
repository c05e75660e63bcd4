import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALL_ERROR_KINDS, CALL_SYSTEMS } from '../../src/domain/call-errors.ts';
import type { Actor } from '../../src/service/contract.ts';
import { removeAppContainers } from '../support/containers.ts';
import { BASE_IMAGE, DOCKER_HOST, eventually, freePort, randomName, REGISTRY, startTestHoist, type TestHoist } from '../support/hoist-harness.ts';
import { scrape, seriesOf, valueOf, type Family } from '../support/prometheus-text.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

const alice: Actor = { requester: { id: 'U0ALICE', name: 'alice' }, origin: { kind: 'none' } };

/** The label names each of Hoist's own families may carry: bounded sets, never an id or a commit. */
const LABELS: Record<string, string[]> = {
  hoist_deployments_total: ['action', 'app', 'env', 'status'],
  hoist_deployment_duration_seconds: ['action', 'app', 'env', 'le'],
  hoist_deployment_queue_wait_seconds: ['app', 'env', 'le'],
  hoist_deployments_waiting: ['app', 'env'],
  hoist_deployments_awaiting_approval: ['app', 'env'],
  hoist_deployments_awaiting_checks: ['app', 'env'],
  hoist_deployments_running: ['app', 'env'],
  hoist_environment_locked: ['app', 'env'],
  hoist_outbox_events_pending: ['consumer'],
  hoist_outbox_oldest_pending_age_seconds: ['consumer'],
  hoist_outbox_events_failed_total: ['consumer'],
  hoist_webhook_deliveries_pending: [],
  hoist_webhook_deliveries_failed_total: [],
  hoist_call_errors_total: ['kind', 'system'],
  hoist_metrics_postgres_up: [],
  hoist_metrics_postgres_read_seconds: [],
};

/**
 * `/metrics` of a whole Hoist after deployments whose outcomes are known: a real container
 * engine runs them, the answer is read by a strict reader of the exposition format, and each
 * family's label values and counts are checked exactly.
 */
describe('metrics: GET /metrics after known deployments', () => {
  const good = randomName('mgood');
  const bad = randomName('mbad');
  const slow = randomName('mslow');
  let hoist: TestHoist;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let sha = '';

  beforeAll(async () => {
    const slowPort = await freePort();
    // One receiver refuses what it is sent (given up on at once), one is down (tried again and again).
    receiver = await startWebhookReceiver({ '/refuses': { secret: 'metrics-hook', answer: () => ({ status: 400 }) }, '/down': { secret: 'metrics-hook', answer: () => ({ status: 503 }) } });
    hoist = await startTestHoist({
      env: { HOOK_SECRET: 'metrics-hook' },
      yaml: `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
  ${good}:
    repo: .
    services:
      web: { type: container, image: "${BASE_IMAGE}", command: ["/bin/busybox", "httpd", "-f", "-p", "8080"] }
    environments:
      staging: { target: engine, webhooks: [{ url: "${receiver.url('/down')}", events: [succeeded], secretEnv: HOOK_SECRET }] }
      production: { target: engine, approval: { required: 1, approvers: [U0BOB] } }
  ${bad}:
    repo: .
    webhooks: [{ url: "${receiver.url('/refuses')}", events: [failed], secretEnv: HOOK_SECRET }]
    services:
      web: { type: container, image: "${BASE_IMAGE}", command: ["/bin/busybox", "false"] }
    environments:
      qa: { target: engine }
  ${slow}:
    repo: .
    services:
      web: { type: container, image: "${BASE_IMAGE}", command: ["/bin/busybox", "sleep", "600"], port: 8080, health: { path: /, timeout: 10m } }
    environments:
      qa: { target: engine, expose: { web: ${slowPort} } }
`,
    });
  }, 60_000);

  afterAll(async () => {
    await hoist?.stop();
    await receiver?.close();
    await Promise.all([good, bad, slow].map((app) => removeAppContainers(app)));
  });

  const deployment = async (id: number) => (await (await hoist.api(`/deployments/${id}`)).json()) as { status: string; sha: string | null; startedAt: string | null; finishedAt: string | null };
  async function deploy(app: string, env: string): Promise<number> {
    const result = await hoist.hoist.api.request({ verb: 'deploy', scope: { app, services: null }, env, ref: null }, { ...alice, trigger: 'chat' });
    if (!result.ok) throw new Error(`deploy refused: ${result.reason}`);
    return result.deployment.id;
  }
  const ends = (id: number) =>
    eventually(async () => {
      const d = await deployment(id);
      return d.finishedAt === null ? null : d.status;
    }, 60_000, `#${id} to finish`);
  const metrics = () => scrape(`${hoist.baseUrl}/metrics`);
  /** Every series of a family's sample, labels `k=v` joined, only those of this test's apps. */
  const ours = (families: Map<string, Family>, name: string, without: string[] = []) =>
    Object.fromEntries(Object.entries(seriesOf(families, name, without)).filter(([labels]) => [good, bad, slow].some((app) => labels.includes(`app=${app},`))));

  let running = 0;
  let waiting = 0;

  it('counts final statuses, durations and waits, what waits, awaits approval and runs, and locks, exactly', async () => {
    const first = await deploy(good, 'staging');
    expect(await ends(first)).toBe('DEPLOYED');
    const second = await deploy(good, 'staging');
    expect(await ends(second)).toBe('DEPLOYED');
    expect(await ends(await deploy(bad, 'qa'))).toBe('DEPLOYMENT_ERROR');
    // One never gets healthy (it runs for ten minutes), and one waits behind it.
    running = await deploy(slow, 'qa');
    await eventually(async () => (await deployment(running)).startedAt !== null, 30_000, 'the slow deployment to start');
    waiting = await deploy(slow, 'qa');
    expect(waiting).not.toBe(running);
    const awaiting = await deploy(good, 'production');
    expect((await deployment(awaiting)).status).toBe('AWAITING_APPROVAL');
    expect((await hoist.hoist.api.lockEnvironment({ app: good, env: 'staging', reason: 'release freeze' }, alice)).ok).toBe(true);
    sha = (await deployment(first)).sha ?? '';

    const { families, text } = await metrics();
    expect((await deployment(running)).finishedAt).toBeNull();
    expect(ours(families, 'hoist_deployments_total')).toEqual({
      [`action=deploy,app=${good},env=staging,status=DEPLOYED`]: 2,
      [`action=deploy,app=${bad},env=qa,status=DEPLOYMENT_ERROR`]: 1,
    });
    expect(ours(families, 'hoist_deployment_duration_seconds_count')).toEqual({ [`action=deploy,app=${good},env=staging`]: 2, [`action=deploy,app=${bad},env=qa`]: 1 });
    // Waits: every deployment that started, the one still running too.
    expect(ours(families, 'hoist_deployment_queue_wait_seconds_count')).toEqual({ [`app=${good},env=staging`]: 2, [`app=${bad},env=qa`]: 1, [`app=${slow},env=qa`]: 1 });
    const durations = ours(families, 'hoist_deployment_duration_seconds_sum');
    expect(durations[`action=deploy,app=${good},env=staging`]).toBeGreaterThan(0);
    // Each environment of the configuration has its gauges, 0 or not.
    const gauge = (name: string) => ours(families, name);
    const environments = (values: [number, number, number, number]) => ({
      [`app=${bad},env=qa`]: values[0],
      [`app=${good},env=production`]: values[1],
      [`app=${good},env=staging`]: values[2],
      [`app=${slow},env=qa`]: values[3],
    });
    expect(gauge('hoist_deployments_waiting')).toEqual(environments([0, 0, 0, 1]));
    expect(gauge('hoist_deployments_awaiting_approval')).toEqual(environments([0, 1, 0, 0]));
    expect(gauge('hoist_deployments_awaiting_checks')).toEqual(environments([0, 0, 0, 0]));
    expect(gauge('hoist_deployments_running')).toEqual(environments([0, 0, 0, 1]));
    expect(gauge('hoist_environment_locked')).toEqual(environments([0, 0, 1, 0]));
    // The failed deployment's delivery was refused (given up on at once); the two successes'
    // are tried again and again while their receiver is down.
    const deliveries = await eventually(async () => {
      const now = (await metrics()).families;
      const counted = { failed: valueOf(now, 'hoist_webhook_deliveries_failed_total'), pending: valueOf(now, 'hoist_webhook_deliveries_pending') };
      return counted.failed === 1 && counted.pending === 2 ? counted : null;
    }, 30_000, 'the webhook deliveries to be counted');
    expect(deliveries).toEqual({ failed: 1, pending: 2 });
    expect(receiver.received.filter((r) => r.path === '/refuses').map((r) => r.answered)).toEqual([400]);
    expect(Object.keys(seriesOf(families, 'hoist_outbox_events_pending')).sort()).toEqual(['consumer=changelog', 'consumer=chat', 'consumer=webhooks']);
    expect(valueOf(families, 'hoist_outbox_events_failed_total', { consumer: 'chat' })).toBe(0);
    expect(valueOf(families, 'hoist_metrics_postgres_up')).toBe(1);
    // Every pair of peer and kind from the start; this process's own, and the process's own metrics.
    expect(Object.keys(seriesOf(families, 'hoist_call_errors_total')).sort()).toEqual(
      CALL_SYSTEMS.flatMap((system) => CALL_ERROR_KINDS.map((kind) => `kind=${kind},system=${system}`)).sort(),
    );
    expect(families.get('hoist_process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(families.get('hoist_nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    // Served beside the API but not through its masking, which would take these names for API tokens.
    expect(text).toContain('hoist_outbox_oldest_pending_age_seconds{consumer="chat"}');
    expect(text).not.toContain('[redacted]');
  });

  it('keeps label sets bounded: the names each family may carry, and never a deployment id or a commit', async () => {
    const { families, text } = await metrics();
    for (const family of families.values()) {
      const names = new Set(family.samples.flatMap((s) => Object.keys(s.labels)));
      if (family.name in LABELS) expect([...names].sort(), family.name).toEqual(LABELS[family.name]);
      else expect(family.name.startsWith('hoist_process_') || family.name.startsWith('hoist_nodejs_'), family.name).toBe(true);
    }
    const values = [...families.values()].flatMap((f) => f.samples.flatMap((s) => Object.entries(s.labels).filter(([k]) => k !== 'le').map(([, v]) => v)));
    for (const id of [running, waiting]) expect(values).not.toContain(String(id));
    expect(values.filter((v) => /^[0-9a-f]{7,64}$/.test(v))).toEqual([]);
    if (sha !== '') expect(text).not.toContain(sha);
  });

  it('counts the canceled ones once they end, and nothing waits or runs any more', async () => {
    expect((await hoist.hoist.api.cancel({ kind: 'deployment', id: waiting }, alice)).ok).toBe(true);
    expect((await hoist.hoist.api.cancel({ kind: 'deployment', id: running }, alice)).ok).toBe(true);
    expect(await ends(running)).toBe('CANCELED');
    expect(await ends(waiting)).toBe('CANCELED');
    const { families } = await metrics();
    expect(ours(families, 'hoist_deployments_total')).toEqual({
      [`action=deploy,app=${good},env=staging,status=DEPLOYED`]: 2,
      [`action=deploy,app=${bad},env=qa,status=DEPLOYMENT_ERROR`]: 1,
      [`action=deploy,app=${slow},env=qa,status=CANCELED`]: 2,
    });
    // The one that ran is timed; the one removed from the queue never started.
    expect(valueOf(families, 'hoist_deployment_duration_seconds_count', { app: slow, env: 'qa', action: 'deploy' })).toBe(1);
    expect(valueOf(families, 'hoist_deployments_waiting', { app: slow, env: 'qa' })).toBe(0);
    expect(valueOf(families, 'hoist_deployments_running', { app: slow, env: 'qa' })).toBe(0);
  });
});
