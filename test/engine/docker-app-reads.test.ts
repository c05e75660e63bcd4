import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig, type EnvironmentConfig } from '../../src/config/hoist-config.ts';
import { createDocker } from '../../src/engine/docker/client.ts';
import type { ReplicaLogLine, Target } from '../../src/engine/ports.ts';
import { placementOf } from '../../src/engine/service-spec.ts';
import { createDockerTarget } from '../../src/engine/targets/docker-target.ts';
import { baseImage, dockerHost, uniqueName } from './engine-env.ts';
import { serviceSpec } from './target-spec.ts';

/* The running app's logs and usage on the Docker target, against real Podman. */

const docker = createDocker(dockerHost);
const app = uniqueName('ar');
// Counts aloud, and keeps a core a little busy, so that both its output and its usage move.
const script = 'i=0; while true; do echo "tick $i"; i=$((i+1)); j=0; while [ $j -lt 2000 ]; do j=$((j+1)); done; sleep 0.2; done';

describe('docker target: the running app', () => {
  let target: Target;
  let env: EnvironmentConfig;
  const service = () => serviceSpec(env, 'ticker', { version: '1', image: baseImage });

  beforeAll(async () => {
    env = parseHoistConfig(
      `
targets: { local: { kind: docker } }
apps:
  ${app}:
    repo: /srv/none
    services:
      ticker: { type: container, image: ${baseImage}, command: [/bin/sh, -c, '${script}'] }
    environments:
      test: { target: local }
`,
      'app-reads.test.yaml',
    ).apps.get(app)!.environments.get('test')!;
    target = createDockerTarget({ docker, stopTimeoutSeconds: 1 });
    const rolled = await target.rollout({ deploymentId: 7, placement: placementOf(env), service: service(), image: baseImage, version: '1', signal: new AbortController().signal, log: () => {} });
    expect(rolled).toEqual({ ok: true });
    // Until it has written two lines: followed, so the wait is for its output, not for a time.
    const stop = new AbortController();
    let count = 0;
    for await (const _line of target.serviceLogs({ placement: placementOf(env), service: service(), tail: 2, follow: true, signal: stop.signal })) {
      if (++count === 2) stop.abort();
    }
  });

  afterAll(async () => {
    const all = await docker.listContainers({ all: true, filters: { label: [`io.hoist.app=${app}`] } });
    await Promise.all(all.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  });

  const replica = `hoist-${app}-test-ticker-7`;

  it('the last lines of the container, named by it, with the engine’s timestamps', async () => {
    const lines: ReplicaLogLine[] = [];
    for await (const line of target.serviceLogs({ placement: placementOf(env), service: service(), tail: 2, follow: false, signal: new AbortController().signal })) lines.push(line);
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => l.replica)).toEqual([replica, replica]);
    const [a, b] = lines.map((l) => Number(/^tick (\d+)$/.exec(l.line)?.[1]));
    expect(b).toBe(a! + 1);
    expect(lines.every((l) => l.at instanceof Date && !Number.isNaN(l.at.getTime()))).toBe(true);
  });

  it('follows the container: lines written after the request arrive until the caller stops', async () => {
    const stop = new AbortController();
    const seen: number[] = [];
    for await (const line of target.serviceLogs({ placement: placementOf(env), service: service(), tail: 1, follow: true, signal: stop.signal })) {
      expect(line.replica).toBe(replica);
      seen.push(Number(/^tick (\d+)$/.exec(line.line)?.[1]));
      if (seen.length === 3) stop.abort();
    }
    // The last line there was, then two the container wrote while followed, in order.
    expect(seen).toEqual([seen[0], seen[0]! + 1, seen[0]! + 2]);
  });

  it('usage: CPU and memory of the running container, as the engine measures them', async () => {
    const reading = await target.usage(placementOf(env), service());
    expect(reading.ok).toBe(true);
    if (!reading.ok) return;
    expect(reading.replicas).toHaveLength(1);
    const [usage] = reading.replicas;
    expect(usage?.replica).toBe(replica);
    // It counts between its sleeps: some CPU, far from all of it.
    expect(usage?.cpuCores).toBeGreaterThan(0);
    expect(usage?.cpuCores).toBeLessThan(4);
    expect(usage?.memoryBytes).toBeGreaterThan(0);
    expect(usage?.memoryLimitBytes).toBeGreaterThan(usage?.memoryBytes ?? 0);
  });
});
