import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig, type EnvironmentConfig } from '../../src/config/hoist-config.ts';
import { createDocker } from '../../src/engine/docker/client.ts';
import type { ServiceRequest, Target } from '../../src/engine/ports.ts';
import { placementOf } from '../../src/engine/service-spec.ts';
import { createDockerTarget } from '../../src/engine/targets/docker-target.ts';
import { buildImage, removeApp } from './docker-fixture.ts';
import { dockerHost, uniqueName } from './engine-env.ts';
import { serviceSpec } from './target-spec.ts';

const docker = createDocker(dockerHost);
const app = uniqueName('rp');
const repository = `localhost/hoist-test/${app}`;
const REPLICAS = 3;

const httpImage = (text: string) =>
  buildImage(docker, `${repository}:${text}`, 'COPY index.html /www/index.html\nCMD ["/bin/busybox","httpd","-f","-p","8080","-h","/www"]', {
    'index.html': `${text}\n`,
  });

async function containers(state?: 'running') {
  return docker.listContainers({
    all: state === undefined,
    filters: { label: [`io.hoist.app=${app}`, 'io.hoist.service=web'], ...(state ? { status: [state] } : {}) },
  });
}

describe('docker target: replicas', () => {
  let target: Target;
  let env: EnvironmentConfig;
  let nextId = 1;
  const images: Record<string, string> = {};

  const rollout = async (image: string, onLine: (line: string) => void = () => {}, signal = new AbortController().signal) => {
    const deploymentId = nextId++;
    const lines: string[] = [];
    const result = await target.rollout({
      deploymentId,
      placement: placementOf(env),
      service: serviceSpec(env, 'web', { version: image, image }),
      image,
      version: image,
      signal,
      log: (line) => {
        lines.push(line);
        onLine(line);
      },
    });
    return { result, lines, deploymentId };
  };
  const action = (): ServiceRequest => ({ deploymentId: nextId++, placement: placementOf(env), service: serviceSpec(env, 'web'), signal: new AbortController().signal, log: () => {} });

  /** Counts the running containers over and over until `work` is done: the fewest and the most seen. */
  async function sampled<T>(work: Promise<T>): Promise<{ value: T; fewest: number; most: number; samples: number }> {
    let done = false;
    const value = work.finally(() => {
      done = true;
    });
    let fewest = Infinity;
    let most = 0;
    let samples = 0;
    while (!done) {
      const count = (await containers('running')).length;
      fewest = Math.min(fewest, count);
      most = Math.max(most, count);
      samples++;
    }
    return { value: await value, fewest, most, samples };
  }

  beforeAll(async () => {
    const config = parseHoistConfig(
      `
targets: { local: { kind: docker } }
apps:
  ${app}:
    repo: /srv/none
    services:
      web: { type: container, image: placeholder:1, port: 8080, replicas: ${REPLICAS}, health: { path: /index.html, timeout: 3s } }
    environments:
      test: { target: local }
`,
      'docker-replicas.test.yaml',
    );
    env = config.apps.get(app)!.environments.get('test')!;
    target = createDockerTarget({ docker, stopTimeoutSeconds: 2 });
    const [v1, v2, v3, crash] = await Promise.all([
      httpImage('v1'),
      httpImage('v2'),
      httpImage('v3'),
      buildImage(docker, `${repository}:crash`, 'CMD ["/bin/sh","-c","echo crash-marker; exit 7"]'),
    ]);
    Object.assign(images, { v1, v2, v3, crash });
  });

  afterAll(async () => {
    await removeApp(docker, app);
  });

  it('runs N containers named and labelled per replica, and inspect shows N of N', async () => {
    const { result, deploymentId } = await rollout(images.v1!);
    expect(result).toEqual({ ok: true });
    const list = (await containers('running')).sort((a, b) => Number(a.Labels['io.hoist.replica']) - Number(b.Labels['io.hoist.replica']));
    const base = `hoist-${app}-test-web-${deploymentId}`;
    expect(list.map((c) => c.Names[0]?.replace(/^\//, ''))).toEqual([base, `${base}-1`, `${base}-2`]);
    expect(list.map((c) => [c.Labels['io.hoist.replica'], c.Labels['io.hoist.replicas'], c.Labels['io.hoist.version']])).toEqual([
      ['0', '3', images.v1],
      ['1', '3', images.v1],
      ['2', '3', images.v1],
    ]);
    const [web] = await target.inspect(placementOf(env));
    expect(web).toMatchObject({ service: 'web', deploymentId, ready: 3, desired: 3, healthy: true });
    expect(await (await fetch(`${web?.endpoint}/index.html`, { headers: { connection: 'close' } })).text()).toBe('v1\n');
  });

  it('replaces them one at a time, each healthy before the next, never fewer than N−1 running', async () => {
    const { value, fewest, most, samples } = await sampled(rollout(images.v2!));
    expect(value.result).toEqual({ ok: true });
    expect(samples).toBeGreaterThan(5);
    expect(fewest).toBeGreaterThanOrEqual(REPLICAS - 1);
    expect(most).toBeLessThanOrEqual(REPLICAS + 1);
    // The order in the log: replica i healthy, then one old one stops, then replica i + 1 starts.
    const base = `hoist-${app}-test-web-${value.deploymentId}`;
    const at = (text: string) => value.lines.findIndex((line) => line.startsWith(text));
    for (const [replica, name] of [base, `${base}-1`, `${base}-2`].entries()) {
      expect(at(`started ${name} `)).toBeGreaterThanOrEqual(0);
      expect(at(`${name} is healthy`)).toBeGreaterThan(at(`started ${name} `));
      if (replica > 0) expect(at(`started ${name} `)).toBeGreaterThan(at(`${replica === 1 ? base : `${base}-${replica - 1}`} is healthy`));
    }
    expect(value.lines.filter((line) => line.startsWith('stopping '))).toHaveLength(REPLICAS);
    const all = await containers();
    expect(all.map((c) => [c.State, c.Labels['io.hoist.version']])).toEqual(Array.from({ length: REPLICAS }, () => ['running', images.v2]));
  });

  it('keeps every old replica running when the new version fails', async () => {
    const before = (await containers('running')).map((c) => c.Id).sort();
    const { value, fewest } = await sampled(rollout(images.crash!));
    expect(value.result).toMatchObject({ ok: false, reason: expect.stringMatching(/^web is not healthy: the container exited( with code 7( \(and was restarted\))?| and was restarted)$/) });
    expect(fewest).toBeGreaterThanOrEqual(REPLICAS);
    expect((await containers()).map((c) => c.Id).sort()).toEqual(before);
  });

  it('puts back an old replica it had stopped when canceled halfway', async () => {
    const before = (await containers('running')).map((c) => c.Id).sort();
    const controller = new AbortController();
    let stopping = 0;
    const { value, fewest } = await sampled(
      rollout(
        images.v3!,
        (line) => {
          // Once one old replica made way for a new one, and the next new one is on its way.
          if (line.startsWith('stopping ')) stopping++;
          if (stopping === 1 && line.startsWith('health check:')) controller.abort();
        },
        controller.signal,
      ),
    );
    expect(value.result).toMatchObject({ ok: false, reason: 'rollout canceled' });
    expect(value.lines.some((line) => line.endsWith(' is healthy again'))).toBe(true);
    expect(fewest).toBeGreaterThanOrEqual(REPLICAS - 1);
    const after = await containers();
    expect(after.map((c) => c.Id).sort()).toEqual(before);
    expect(after.every((c) => c.State === 'running' && c.Labels['io.hoist.version'] === images.v2)).toBe(true);
  });

  it('restarts every replica, stops them all, and a deploy brings N back', async () => {
    const started = async () => Promise.all((await containers('running')).map(async (c) => (await docker.getContainer(c.Id).inspect()).State.StartedAt));
    const before = await started();
    expect(await target.restart(action())).toEqual({ ok: true });
    const after = await started();
    expect(after).toHaveLength(REPLICAS);
    for (const time of after) expect(before).not.toContain(time);

    expect(await target.stop(action())).toEqual({ ok: true, stopped: REPLICAS });
    expect(await containers('running')).toEqual([]);
    expect(await target.inspect(placementOf(env))).toEqual([]);

    const { result } = await rollout(images.v1!);
    expect(result).toEqual({ ok: true });
    expect(await target.inspect(placementOf(env))).toMatchObject([{ service: 'web', ready: REPLICAS, desired: REPLICAS, healthy: true }]);
  });
});
