import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/service/contract.ts';
import { removeAppContainers } from '../support/containers.ts';
import { containerAppYaml, eventually, freePort, randomName, startTestHoist, type TestHoist } from '../support/hoist-harness.ts';
import { scrape, seriesOf, valueOf } from '../support/prometheus-text.ts';
import { runHoist, startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';

const alice: Actor = { requester: { id: 'U0ALICE', name: 'alice' }, origin: { kind: 'none' } };

const yaml = (app: string) => containerAppYaml({ app, environments: '      qa: { target: engine }\n' });

describe('metrics turned off: HOIST_METRICS=off', () => {
  let hoist: TestHoist;
  beforeAll(async () => {
    hoist = await startTestHoist({ yaml: yaml(randomName('moff')), env: { HOIST_METRICS: 'off' } });
  });
  afterAll(async () => {
    await hoist?.stop();
  });

  it('serves no /metrics (404) and the rest as usual', async () => {
    const res = await fetch(`${hoist.baseUrl}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route GET /metrics; see /api/v1' } });
    expect((await fetch(`${hoist.baseUrl}/healthz`)).status).toBe(200);
    expect(hoist.hoist.metricsPort).toBeNull();
  });
});

/**
 * A split deployment: `hoist server` and a `hoist worker` process, each serving /metrics on a
 * port of its own. Each answers for the whole Hoist (what Postgres holds) beside its own
 * process metrics.
 */
describe('metrics on a port of their own: HOIST_METRICS_PORT, in the server and in a worker', () => {
  const app = randomName('mport');
  let server: TestHoist;
  let worker: WorkerProcess;
  let serverPort: number;
  let workerPort: number;

  beforeAll(async () => {
    serverPort = await freePort();
    server = await startTestHoist({ yaml: yaml(app), mode: 'server', env: { HOIST_METRICS_PORT: String(serverPort) } });
    workerPort = await freePort();
    worker = await startWorkerProcess({ ...server.vars, HOIST_METRICS_PORT: String(workerPort) }, 'worker');
  }, 90_000);
  afterAll(async () => {
    worker?.kill('SIGTERM');
    await worker?.exited;
    await server?.stop();
    await removeAppContainers(app);
  });

  it('serves /metrics on that port only, and each process counts every deployment', async () => {
    expect(server.hoist.metricsPort).toBe(serverPort);
    expect(worker.output()).toMatch(new RegExp(`hoist worker: running, metrics on http://127\\.0\\.0\\.1:${workerPort}/metrics \\(pid \\d+\\)`));
    // Not beside the API any more; that port serves nothing else.
    expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(404);
    const elsewhere = await fetch(`http://127.0.0.1:${serverPort}/api/v1/apps`);
    expect(elsewhere.status).toBe(404);
    expect(((await elsewhere.json()) as { error: { message: string } }).error.message).toBe('no route GET /api/v1/apps; this port serves /metrics only');
    const post = await fetch(`http://127.0.0.1:${serverPort}/metrics`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);

    const result = await server.hoist.api.request({ verb: 'deploy', scope: { app, services: null }, env: 'qa', ref: null }, { ...alice, trigger: 'chat' });
    if (!result.ok) throw new Error(`deploy refused: ${result.reason}`);
    const id = result.deployment.id;
    await eventually(async () => ((await (await server.api(`/deployments/${id}`)).json()) as { status: string }).status === 'DEPLOYED', 60_000, `#${id} deployed`);

    const fromServer = (await scrape(`http://127.0.0.1:${serverPort}/metrics`)).families;
    const fromWorker = (await scrape(`http://127.0.0.1:${workerPort}/metrics`)).families;
    for (const families of [fromServer, fromWorker]) {
      expect(seriesOf(families, 'hoist_deployments_total')).toEqual({ [`action=deploy,app=${app},env=qa,status=DEPLOYED`]: 1 });
      expect(valueOf(families, 'hoist_deployment_duration_seconds_count', { app, env: 'qa', action: 'deploy' })).toBe(1);
      expect(valueOf(families, 'hoist_deployments_running', { app, env: 'qa' })).toBe(0);
      expect(families.get('hoist_process_resident_memory_bytes')?.samples[0]?.value).toBeGreaterThan(0);
    }
  });

  it('a port already taken stops the start, naming the variable to change', async () => {
    const taken = await runHoist(['worker'], { ...server.vars, HOIST_METRICS_PORT: String(serverPort) });
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain(`hoist: port ${serverPort} is already in use (set HOIST_METRICS_PORT to a free one)`);
  });
});
