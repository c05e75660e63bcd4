import { createServer } from 'node:net';
import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig, type EnvironmentConfig } from '../../src/config/hoist-config.ts';
import { createDocker, followProgress } from '../../src/engine/docker/client.ts';
import type { RolloutRequest, Target } from '../../src/engine/ports.ts';
import { placementOf } from '../../src/engine/service-spec.ts';
import { createDockerTarget } from '../../src/engine/targets/docker-target.ts';
import { baseImage, dockerHost, uniqueName } from './engine-env.ts';
import { serviceSpec } from './target-spec.ts';
import { freePort } from '../support/hoist-harness.ts';

const docker = createDocker(dockerHost);
const app = uniqueName('dt');
const imageRepo = `localhost/hoist-test/${app}`;

/** Builds a tiny image on the engine from a Dockerfile and files. */
async function buildTestImage(tag: string, dockerfile: string, files: Record<string, string> = {}): Promise<string> {
  const context = pack();
  context.entry({ name: 'Dockerfile' }, dockerfile);
  for (const [name, content] of Object.entries(files)) context.entry({ name }, content);
  context.finalize();
  const image = `${imageRepo}:${tag}`;
  const stream = await docker.buildImage(context as unknown as Readable, { t: image, forcerm: true });
  const result = await followProgress(stream as Readable);
  if (!result.ok) throw new Error(`building ${image}: ${result.error}`);
  return image;
}

const httpImage = (text: string) =>
  buildTestImage(text, `FROM ${baseImage}\nCOPY index.html /www/index.html\nCMD ["/bin/busybox","httpd","-f","-p","8080","-h","/www"]\n`, {
    'index.html': `${text}\n`,
  });

async function body(url: string): Promise<string> {
  const response = await fetch(url, { headers: { connection: 'close' } });
  return (await response.text()).trim();
}

async function containersOf(service: string) {
  return docker.listContainers({ all: true, filters: { label: [`io.hoist.app=${app}`, `io.hoist.service=${service}`] } });
}

describe('docker target', () => {
  let target: Target;
  let env: EnvironmentConfig;
  let port: number;
  let takenPort: number;
  const images: Record<string, string> = {};
  let nextId = 1;

  const rollout = async (
    service: string,
    image: string,
    version: string,
    signal = new AbortController().signal,
    onLine: (line: string) => void = () => {},
  ) => {
    const lines: string[] = [];
    const request: RolloutRequest = {
      deploymentId: nextId++,
      placement: placementOf(env),
      service: serviceSpec(env, service, { version, image }),
      image,
      version,
      signal,
      log: (line) => {
        lines.push(line);
        onLine(line);
      },
    };
    const started = Date.now();
    const result = await target.rollout(request);
    return { result, lines, ms: Date.now() - started, deploymentId: request.deploymentId };
  };

  beforeAll(async () => {
    port = await freePort();
    takenPort = await freePort();
    const config = parseHoistConfig(
      `
targets: { local: { kind: docker } }
apps:
  ${app}:
    repo: /srv/none
    services:
      web: { type: container, image: placeholder:1, port: 8080, health: { path: /index.html, timeout: 2s } }
      api: { type: container, image: placeholder:1, port: 8080 }
      edge: { type: container, image: placeholder:1, port: 8080 }
      worker: { type: container, image: placeholder:1, command: ["/bin/busybox", "sleep", "3600"],
                resources: { requests: { memory: 32Mi }, limits: { cpu: 500m, memory: 64Mi } } }
    environments:
      test: { target: local, expose: { web: ${port}, edge: ${takenPort} } }
`,
      'docker-target.test.yaml',
    );
    env = config.apps.get(app)!.environments.get('test')!;
    target = createDockerTarget({ docker, stopTimeoutSeconds: 2 });
    const [v1, v2, silent, crash] = await Promise.all([
      httpImage('v1'),
      httpImage('v2'),
      buildTestImage('silent', `FROM ${baseImage}\nCMD ["/bin/busybox","sleep","3600"]\n`),
      buildTestImage('crash', `FROM ${baseImage}\nCMD ["/bin/sh","-c","echo crash-marker; exit 7"]\n`),
    ]);
    Object.assign(images, { v1, v2, silent, crash });
  });

  afterAll(async () => {
    const all = await docker.listContainers({ all: true, filters: { label: [`io.hoist.app=${app}`] } });
    await Promise.all(all.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    // Images stay: removing one while another file builds from shared layers breaks that build in Podman.
  });

  it('rolls out a healthy version that answers on the exposed port, then replaces it', async () => {
    const first = await rollout('web', images.v1!, 'v1');
    expect(first.result).toEqual({ ok: true });
    expect(await body(`http://127.0.0.1:${port}/`)).toBe('v1');

    const second = await rollout('web', images.v2!, 'v2');
    expect(second.result).toEqual({ ok: true });
    expect(await body(`http://127.0.0.1:${port}/`)).toBe('v2');
    expect(second.lines.join('\n')).toContain(`health check: GET http://127.0.0.1:${port}/index.html`);

    const containers = await containersOf('web');
    expect(containers.map((c) => c.Names[0]?.replace(/^\//, ''))).toEqual([`hoist-${app}-test-web-${second.deploymentId}`]);
    expect(containers[0]?.Labels).toMatchObject({
      'io.hoist.app': app,
      'io.hoist.env': 'test',
      'io.hoist.service': 'web',
      'io.hoist.deployment': String(second.deploymentId),
      'io.hoist.version': 'v2',
    });
    const info = await docker.getContainer(containers[0]!.Id).inspect();
    expect(info.HostConfig.Init).toBe(true);

    expect(await target.inspect(placementOf(env))).toEqual([
      {
        service: 'web',
        version: 'v2',
        image: images.v2,
        deploymentId: second.deploymentId,
        endpoint: `http://127.0.0.1:${port}`,
        healthy: true,
        ready: 1,
        desired: 1,
      },
    ]);
  });

  it('keeps the previous version serving when the new one never answers', async () => {
    const { result, ms } = await rollout('web', images.silent!, 'silent');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toMatch(/^web is not healthy: no healthy answer from GET http:\/\/127\.0\.0\.1:\d+\/index\.html within 2s/);
    expect(ms).toBeLessThan(6_000);
    expect(await body(`http://127.0.0.1:${port}/`)).toBe('v2');
    const containers = await containersOf('web');
    expect(containers.map((c) => c.Labels['io.hoist.version'])).toEqual(['v2']);
  });

  it('fails at once with the output of a version that exits', async () => {
    const { result, ms } = await rollout('web', images.crash!, 'crash');
    expect(result).toMatchObject({ ok: false, reason: 'web is not healthy: the container exited with code 7' });
    if (result.ok) return;
    expect(result.logTail).toContain('crash-marker');
    expect(ms).toBeLessThan(1_900);
    expect(await body(`http://127.0.0.1:${port}/`)).toBe('v2');
  });

  it('cancels a rollout in mid health check and keeps the previous version', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 400);
    const { result, ms } = await rollout('web', images.silent!, 'silent', controller.signal);
    expect(result).toEqual({ ok: false, reason: 'rollout canceled', logTail: [] });
    expect(ms).toBeLessThan(1_900);
    expect(await body(`http://127.0.0.1:${port}/`)).toBe('v2');
    expect((await containersOf('web')).map((c) => c.Labels['io.hoist.version'])).toEqual(['v2']);
  });

  it('puts the previous version back when canceled after it was stopped for the swap', async () => {
    const before = (await containersOf('web')).map((c) => c.Id);
    const controller = new AbortController();
    const { result, lines } = await rollout('web', images.v1!, 'v1', controller.signal, (line) => {
      if (line.includes(`on 127.0.0.1:${port}`)) controller.abort();
    });
    expect(result).toMatchObject({ ok: false, reason: 'rollout canceled' });
    expect(lines.some((line) => line.startsWith('stopping '))).toBe(true);
    expect(lines.some((line) => line.endsWith(' again'))).toBe(true);
    expect(await body(`http://127.0.0.1:${port}/`)).toBe('v2');
    expect((await containersOf('web')).map((c) => c.Id)).toEqual(before);
  });

  it('reports an exposed port that something else holds', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(takenPort, '127.0.0.1', resolve));
    try {
      const { result } = await rollout('edge', images.v1!, 'v1');
      expect(result).toMatchObject({ ok: false, reason: expect.stringContaining(`cannot start on 127.0.0.1:${takenPort}`) });
      expect(await containersOf('edge')).toEqual([]);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('runs a service that is not exposed on an ephemeral port', async () => {
    const first = await rollout('api', images.v1!, 'v1');
    expect(first.result).toEqual({ ok: true });
    const second = await rollout('api', images.v2!, 'v2');
    expect(second.result).toEqual({ ok: true });
    const api = (await target.inspect(placementOf(env))).find((s) => s.service === 'api');
    expect(api).toMatchObject({ version: 'v2', deploymentId: second.deploymentId, healthy: true });
    expect(api?.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await body(`${api?.endpoint}/`)).toBe('v2');
    expect(await containersOf('api')).toHaveLength(1);
  });

  it('runs a service without a port when it keeps running', async () => {
    const started = await rollout('worker', images.v1!, 'w1');
    expect(started.result).toEqual({ ok: true });
    const running = await containersOf('worker');
    expect(running.map((c) => c.State)).toEqual(['running']);
    // Its resources as the engine enforces them: a 64 MiB memory limit, half a CPU, a 32 MiB reservation.
    const host = (await docker.getContainer(running[0]!.Id).inspect()).HostConfig;
    expect({ memory: host.Memory, cpus: host.NanoCpus, reservation: host.MemoryReservation }).toEqual({ memory: 67_108_864, cpus: 500_000_000, reservation: 33_554_432 });
  });
});
