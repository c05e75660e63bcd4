import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig, type EnvironmentConfig } from '../../src/config/hoist-config.ts';
import type { RunningChange } from '../../src/domain/event-log.ts';
import type { Target } from '../../src/engine/ports.ts';
import { placementOf } from '../../src/engine/service-spec.ts';
import { createKubernetesTarget } from '../../src/engine/targets/kubernetes/index.ts';
import { createRunningWatcher, type RunningWatcher, type WatchedTarget } from '../../src/jobs/running-watcher.ts';
import type { DatabaseHandle } from '../../src/store/database.ts';
import { readEvents } from '../../src/store/events.ts';
import { claimRunningWatch, releaseRunningWatch, runningStatuses, runningWatchHolder } from '../../src/store/running-status.ts';
import { serviceSpec } from '../engine/target-spec.ts';
import { startFakeKube, type FakeKube } from '../fakes/kube-api/index.ts';
import { openTestStore } from '../support/databases.ts';

/*
 * The running status of a Kubernetes Deployment on the fake API server, followed by the
 * watcher of two processes sharing one Postgres: a pod of a healthy Deployment starts
 * crash-looping (DOWN, told once), recovers (RUNNING, told once); the holder stops and the
 * other takes over. The fake's clock runs ten times faster: a 10 s back-off is a second.
 */

const config = parseHoistConfig(
  `
targets:
  k8s: { kind: kubernetes, context: fake }
apps:
  shop:
    repo: https://git.example.com/shop.git
    channels: [C0SHOP]
    services:
      api: { type: application, build: { context: . }, port: 8080, replicas: 2 }
      migrate: { type: lifecycle-job, image: reg.test/shop-migrate:1, command: [migrate] }
    environments:
      run: { target: k8s, namespace: shop-run, notify: { channel: C0ONCALL } }
`,
  '/virtual/hoist.yaml',
);
const env = config.apps.get('shop')?.environments.get('run') as EnvironmentConfig;
const IMAGE = 'reg.test/shop-api:steady';

let fake: FakeKube;
let target: Target;
let store: DatabaseHandle & { cleanup(): Promise<void> };
let workdir: string;
const recorded = new Set<() => void>();

function watcherOf(holder: string): RunningWatcher {
  const watched: WatchedTarget = {
    name: 'k8s',
    environments: [{ placement: placementOf(env), services: env.services.map((s) => ({ name: s.name, type: s.type })), channel: env.notify.channel }],
    watch: (placements, onReading) => target.watchRunning(placements, onReading),
  };
  return createRunningWatcher({ db: store.db, targets: [watched], holder, logger: pino({ level: 'silent' }), leaseMs: 600, onRecorded: () => recorded.forEach((check) => check()) });
}

/** Resolves once a recorded reading makes `predicate` true (checked now, and after each reading). */
function whenRecorded<T>(predicate: () => Promise<T | null>, what: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    let busy = false;
    const check = () => {
      if (busy) return;
      busy = true;
      void predicate()
        .then((value) => {
          if (value === null) return;
          recorded.delete(check);
          clearTimeout(timer);
          resolve(value);
        }, reject)
        .finally(() => (busy = false));
    };
    const timer = setTimeout(() => {
      recorded.delete(check);
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    recorded.add(check);
    check();
  });
}

const api = async () => (await runningStatuses(store.db, { app: 'shop', env: 'run' })).find((r) => r.service === 'api') ?? null;
const apiIs = (state: string, extra: (row: NonNullable<Awaited<ReturnType<typeof api>>>) => boolean = () => true) => async () => {
  const row = await api();
  return row !== null && row.state === state && extra(row) ? row : null;
};
const changes = async (): Promise<RunningChange[]> =>
  (await readEvents(store.db, { after: 0, app: 'shop', env: 'run' })).flatMap((e) => (e.entry.kind === 'running' ? [e.entry] : []));

beforeAll(async () => {
  fake = await startFakeKube({ timeScale: 10, tickMs: 10, podReadySeconds: 1 });
  workdir = mkdtempSync(join(tmpdir(), 'hoist-running-'));
  writeFileSync(join(workdir, 'kubeconfig'), fake.kubeconfig({ context: 'fake' }));
  target = createKubernetesTarget({
    kubeconfigPath: join(workdir, 'kubeconfig'),
    context: 'fake',
    timing: { progressDeadlineSeconds: 10, rolloutTimeoutMs: 20_000, watch: { reopenDelayMs: 20, maxReopenDelayMs: 200, maxFailures: 20, watchTimeoutSeconds: 2 } },
  });
  store = await openTestStore('postgres');
  const rolled = await target.rollout({
    deploymentId: 1,
    placement: placementOf(env),
    service: serviceSpec(env, 'api', { version: 'steady', image: IMAGE }),
    image: IMAGE,
    version: 'steady',
    signal: new AbortController().signal,
    log: () => undefined,
  });
  expect(rolled.ok).toBe(true);
  // What the runner records after a successful deployment.
  await store.db.insertInto('service_state').values({ app: 'shop', env: 'run', service: 'api', status: 'DEPLOYED', version: 'steady', image: IMAGE, deployment_id: null }).execute();
}, 60_000);

afterAll(async () => {
  expect(fake?.errors ?? []).toEqual([]);
  await fake?.close();
  await store?.cleanup();
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

describe('running status on the fake cluster, two watchers', () => {
  let first: RunningWatcher;
  let second: RunningWatcher;

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
  });

  it('follows a healthy Deployment: RUNNING 2/2, by one holder', async () => {
    first = watcherOf('process-a');
    first.start();
    await whenRecorded(apiIs('RUNNING', (r) => r.ready === 2 && r.desired === 2), 'RUNNING 2/2');
    second = watcherOf('process-b');
    second.start();
    expect(await runningWatchHolder(store.db, 'k8s')).toBe('process-a');
    // Jobs are not followed: a lifecycle job has no running status.
    expect((await runningStatuses(store.db, { app: 'shop', env: 'run' })).map((r) => r.service)).toEqual(['api']);
  });

  it('a pod that starts crash-looping makes it DOWN, told once in the notify channel; its recovery RUNNING, told once', async () => {
    expect(fake.faults.podsBecome(IMAGE, { kind: 'crash-loop' })).toBe(2);
    const down = await whenRecorded(apiIs('DOWN', (r) => r.reason?.includes('CrashLoopBackOff') === true), 'DOWN with CrashLoopBackOff');
    expect(down.ready).toBe(0);
    fake.faults.podsBecome(IMAGE, { kind: 'ready' });
    const up = await whenRecorded(apiIs('RUNNING', (r) => r.ready === 2), 'RUNNING again', 15_000);
    expect(up.restarts).toBeGreaterThan(0);
    const told = (await changes()).filter((c) => c.announce !== null);
    expect(told.map((c) => [c.announce, c.running.state, c.channel])).toEqual([
      ['down', 'DOWN', 'C0ONCALL'],
      ['recovered', 'RUNNING', 'C0ONCALL'],
    ]);
  }, 30_000);

  it('the other watcher takes over when the holder stops, and tells the next fall once', async () => {
    await first.stop();
    await whenRecorded(async () => ((await runningWatchHolder(store.db, 'k8s')) === 'process-b' ? true : null), 'process-b to hold the target');
    fake.faults.podsBecome(IMAGE, { kind: 'crash-loop' });
    await whenRecorded(apiIs('DOWN'), 'DOWN seen by process-b');
    fake.faults.podsBecome(IMAGE, { kind: 'ready' });
    await whenRecorded(apiIs('RUNNING', (r) => r.ready === 2), 'RUNNING again', 15_000);
    const told = (await changes()).filter((c) => c.announce !== null).map((c) => c.announce);
    expect(told).toEqual(['down', 'recovered', 'down', 'recovered']);
  }, 30_000);
});

describe('the running watch lease', () => {
  it('is one holder’s until it lapses (a holder that died) or is let go (one that stopped)', async () => {
    expect(await claimRunningWatch(store.db, 'edge', 'p1', 300)).toBe(true);
    expect(await claimRunningWatch(store.db, 'edge', 'p2', 300)).toBe(false);
    expect(await claimRunningWatch(store.db, 'edge', 'p1', 300)).toBe(true);
    // p1 stops renewing (it died): its lease lapses and p2 takes the target.
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await claimRunningWatch(store.db, 'edge', 'p2', 5_000)).toBe(true);
    expect(await runningWatchHolder(store.db, 'edge')).toBe('p2');
    await releaseRunningWatch(store.db, 'edge', 'p2');
    expect(await claimRunningWatch(store.db, 'edge', 'p1', 5_000)).toBe(true);
  });
});
