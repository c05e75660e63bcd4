import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig, type EnvironmentConfig } from '../../../src/config/hoist-config.ts';
import type { ReplicaLogLine, Target } from '../../../src/engine/ports.ts';
import { placementOf } from '../../../src/engine/service-spec.ts';
import { createKubernetesTarget } from '../../../src/engine/targets/kubernetes/index.ts';
import { startFakeKube, type FakeKube } from '../../fakes/kube-api/index.ts';
import { serviceSpec } from '../target-spec.ts';

/* The running app's logs and usage on the fake cluster: a Deployment with two replicas, each pod a replica. */

const config = parseHoistConfig(
  `
targets:
  k8s: { kind: kubernetes, context: fake }
apps:
  shop:
    repo: https://git.example.com/shop.git
    services:
      api: { type: container, image: reg.test/shop-api:1, port: 8080, replicas: 2, resources: { limits: { memory: 256Mi } } }
    environments:
      logs: { target: k8s, namespace: shop-logs }
`,
  '/virtual/hoist.yaml',
);
const env = config.apps.get('shop')?.environments.get('logs') as EnvironmentConfig;
const placement = placementOf(env);
const api = serviceSpec(env, 'api', { version: '1', image: 'reg.test/shop-api:1' });

let fake: FakeKube;
let target: Target;
let pods: string[];

beforeAll(async () => {
  fake = await startFakeKube({ timeScale: 10, tickMs: 10, podReadySeconds: 1 });
  fake.imageBehaviour('shop-api', { kind: 'ready', logs: ['listening on :8080'] });
  target = createKubernetesTarget({ kubeConfig: kubeConfigOf(fake), timing: { retry: { tries: 3, budgetMs: 2_000, baseDelayMs: 20 } } });
  const outcome = await target.rollout({ deploymentId: 1, placement, service: api, image: 'reg.test/shop-api:1', version: '1', signal: new AbortController().signal, log: () => undefined });
  expect(outcome).toMatchObject({ ok: true });
  pods = fake
    .list('Pod', 'shop-logs')
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => p.metadata.name as string)
    .sort();
  expect(pods).toHaveLength(2);
});

afterAll(async () => {
  expect(fake?.errors ?? []).toEqual([]);
  await fake?.close();
});

function kubeConfigOf(f: FakeKube): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(f.kubeconfig());
  return kc;
}

async function collect(lines: AsyncIterable<ReplicaLogLine>): Promise<ReplicaLogLine[]> {
  const all: ReplicaLogLine[] = [];
  for await (const line of lines) all.push(line);
  return all;
}

describe('the running app on Kubernetes', () => {
  it('the last lines of every pod, merged by time, each named by its pod', async () => {
    expect(fake.writeLog('shop-logs', pods[1]!, 'second pod says hello')).toBe(true);
    const lines = await collect(target.serviceLogs({ placement, service: api, tail: 30, follow: false, signal: new AbortController().signal }));
    const shown = lines.map((l) => `${l.replica} ${l.line}`);
    // The image's own line of each pod (each at its start, in either order), then the one written later.
    expect(shown.slice(0, 2).sort()).toEqual(pods.map((p) => `${p} listening on :8080`));
    expect(shown.slice(2)).toEqual([`${pods[1]} second pod says hello`]);
    expect(lines.every((l) => l.at instanceof Date)).toBe(true);
    const last = await collect(target.serviceLogs({ placement, service: api, tail: 1, follow: false, signal: new AbortController().signal }));
    expect(last.map((l) => l.line)).toEqual(['second pod says hello']);
  });

  it('follows both replicas: what each pod writes arrives, named by its pod, until the caller stops', async () => {
    const stop = new AbortController();
    const seen: ReplicaLogLine[] = [];
    const followed = (async () => {
      for await (const line of target.serviceLogs({ placement, service: api, tail: 1, follow: true, signal: stop.signal })) {
        seen.push(line);
        if (seen.some((l) => l.line === 'from b') && seen.some((l) => l.line === 'from a')) stop.abort();
      }
    })();
    // Each pod's last line first, then what they write from now on.
    await fake.waitFor(() => seen.length >= 2);
    fake.writeLog('shop-logs', pods[0]!, 'from a');
    fake.writeLog('shop-logs', pods[1]!, 'from b');
    await followed;
    expect(seen.filter((l) => l.line === 'from a').map((l) => l.replica)).toEqual([pods[0]]);
    expect(seen.filter((l) => l.line === 'from b').map((l) => l.replica)).toEqual([pods[1]]);
    expect(new Set(seen.slice(0, 2).map((l) => l.replica))).toEqual(new Set(pods));
  });

  it('usage per pod from metrics.k8s.io when metrics-server is installed', async () => {
    fake.metrics.installed(true);
    fake.metrics.set('shop-logs', pods[0]!, 'api', { cpu: '12500000n', memory: '20480Ki' });
    const reading = await target.usage(placement, api);
    expect(reading).toEqual({
      ok: true,
      window: '15s',
      replicas: [
        { replica: pods[0], cpuCores: 0.0125, memoryBytes: 20480 * 1024, memoryLimitBytes: 256 * 1024 * 1024 },
        { replica: pods[1], cpuCores: 0.0025, memoryBytes: 10240 * 1024, memoryLimitBytes: 256 * 1024 * 1024 },
      ],
    });
    expect(fake.requests.some((r) => r.path === '/apis/metrics.k8s.io/v1beta1/namespaces/shop-logs/pods' && r.status === 200)).toBe(true);
  });

  it('says metrics-server is not installed when the cluster does not serve metrics.k8s.io', async () => {
    fake.metrics.installed(false);
    const reading = await target.usage(placement, api);
    expect(reading.ok).toBe(false);
    expect(!reading.ok && reading.reason).toMatch(/^metrics-server not installed/);
  });
});
