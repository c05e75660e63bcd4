import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig, type EnvironmentConfig } from '../../src/config/hoist-config.ts';
import { createDocker, followProgress } from '../../src/engine/docker/client.ts';
import type { ServiceRequest, Target } from '../../src/engine/ports.ts';
import { placementOf } from '../../src/engine/service-spec.ts';
import { createDockerTarget } from '../../src/engine/targets/docker-target.ts';
import { containerEvents } from '../support/containers.ts';
import { freePort } from '../support/hoist-harness.ts';
import { baseImage, dockerHost, uniqueName } from './engine-env.ts';
import { serviceSpec } from './target-spec.ts';

const docker = createDocker(dockerHost);
const app = uniqueName('sa');
const image = `localhost/hoist-test/${app}:v1`;

async function body(url: string): Promise<string | null> {
  try {
    const response = await fetch(url, { headers: { connection: 'close' }, signal: AbortSignal.timeout(2_000) });
    return (await response.text()).trim();
  } catch {
    return null;
  }
}

async function containersOf(service: string) {
  return docker.listContainers({ all: true, filters: { label: [`io.hoist.app=${app}`, `io.hoist.service=${service}`] } });
}

describe('docker target: stop, restart and remove of a service', () => {
  let target: Target;
  let env: EnvironmentConfig;
  let port: number;
  let nextId = 1;
  const lines: string[] = [];

  const request = (service: string, signal = new AbortController().signal): ServiceRequest => ({
    deploymentId: nextId++,
    placement: placementOf(env),
    service: serviceSpec(env, service),
    signal,
    log: (line) => lines.push(line),
  });

  beforeAll(async () => {
    port = await freePort();
    const context = pack();
    context.entry({ name: 'Dockerfile' }, `FROM ${baseImage}\nCOPY index.html /www/index.html\nVOLUME /data\nCMD ["/bin/busybox","httpd","-f","-p","8080","-h","/www"]\n`);
    context.entry({ name: 'index.html' }, 'v1\n');
    context.finalize();
    const result = await followProgress((await docker.buildImage(context as unknown as Readable, { t: image, forcerm: true })) as Readable);
    if (!result.ok) throw new Error(result.error);
    env = parseHoistConfig(
      `
targets: { local: { kind: docker } }
apps:
  ${app}:
    repo: /srv/none
    services:
      web: { type: container, image: ${image}, port: 8080, health: { path: /index.html, timeout: 5s } }
      api: { type: container, image: ${image}, port: 8080 }
    environments:
      test: { target: local, expose: { web: ${port} } }
`,
      'service-actions.test.yaml',
    ).apps.get(app)!.environments.get('test')!;
    target = createDockerTarget({ docker, stopTimeoutSeconds: 2 });
    for (const name of ['web', 'api']) {
      const service = serviceSpec(env, name, { version: 'v1', image });
      const rolled = await target.rollout({ deploymentId: nextId++, placement: placementOf(env), service, image, version: 'v1', signal: new AbortController().signal, log: () => {} });
      expect(rolled).toEqual({ ok: true });
    }
  });

  afterAll(async () => {
    const all = await docker.listContainers({ all: true, filters: { label: [`io.hoist.app=${app}`] } });
    await Promise.all(all.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
    // Images stay: removing one while another file builds from shared layers breaks that build in Podman.
  });

  it('restarts the container in place and waits until it answers again', async () => {
    const [before] = await containersOf('web');
    const startedBefore = (await docker.getContainer(before!.Id).inspect()).State.StartedAt;
    const result = await target.restart(request('web'));
    expect(result).toEqual({ ok: true });
    const [after] = await containersOf('web');
    expect(after!.Id).toBe(before!.Id);
    expect((await docker.getContainer(after!.Id).inspect()).State.StartedAt).not.toBe(startedBefore);
    expect(await body(`http://127.0.0.1:${port}/`)).toBe('v1');
    expect(lines.some((l) => /is healthy after \d+ ms/.test(l))).toBe(true);
  });

  it('stops the container, keeping it and its volume, and says so again without harm', async () => {
    const [before] = await containersOf('web');
    const volumes = (await docker.getContainer(before!.Id).inspect()).Mounts.map((m) => m.Name);
    expect(volumes.length).toBeGreaterThan(0);
    const since = Math.floor(Date.now() / 1000) - 1;
    expect(await target.stop(request('web'))).toEqual({ ok: true, stopped: 1 });
    const stoppedAt = Date.now();
    // The engine is done with the container when the stop answers: nothing of it comes later.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const events = await containerEvents(app, since, Math.ceil(Date.now() / 1000) + 1);
    // (`cleanup` is Podman's own asynchronous bookkeeping after the process ended, not an action.)
    expect(events.filter((e) => e.time / 1e6 > stoppedAt && e.action !== 'cleanup').map((e) => e.action)).toEqual([]);
    const [after] = await containersOf('web');
    expect(after).toMatchObject({ Id: before!.Id, State: 'exited' });
    expect((await docker.getContainer(after!.Id).inspect()).Mounts.map((m) => m.Name)).toEqual(volumes);
    expect(await body(`http://127.0.0.1:${port}/`)).toBeNull();
    expect(await target.stop(request('web'))).toEqual({ ok: true, stopped: 0 });
    expect((await target.inspect(placementOf(env))).map((s) => s.service)).toEqual(['api']);
  });

  it('a new rollout after a stop replaces the stopped container', async () => {
    const service = serviceSpec(env, 'web', { version: 'v1', image });
    const rolled = await target.rollout({ deploymentId: nextId++, placement: placementOf(env), service, image, version: 'v1', signal: new AbortController().signal, log: () => {} });
    expect(rolled).toEqual({ ok: true });
    expect((await containersOf('web')).map((c) => c.State)).toEqual(['running']);
    expect(await body(`http://127.0.0.1:${port}/`)).toBe('v1');
  });

  it('refuses to restart a service that has no container', async () => {
    expect(await target.remove(request('api'))).toEqual({ ok: true, removed: 1 });
    expect(await containersOf('api')).toEqual([]);
    const result = await target.restart(request('api'));
    expect(result).toMatchObject({ ok: false, reason: 'no container of api in test to restart' });
  });

  it('destroys a service with its data: its container, its anonymous volume, its data volume and what is labelled with it; another service\'s stay', async () => {
    const exists = async (name: string) => docker.getVolume(name).inspect().then(() => true, () => false);
    const labels = (service: string) => ({ 'io.hoist.app': app, 'io.hoist.env': 'test', 'io.hoist.service': service });
    const data = `hoist-${app}-test-web-data`;
    const other = `hoist-${app}-test-api-data`;
    await docker.createVolume({ Name: data, Labels: labels('web') });
    await docker.createVolume({ Name: `${app}-web-extra`, Labels: labels('web') });
    await docker.createVolume({ Name: other, Labels: labels('api') });
    try {
      const [web] = await containersOf('web');
      const anonymous = (await docker.getContainer(web!.Id).inspect()).Mounts.map((m) => m.Name ?? '').filter((n) => n !== '');
      expect(anonymous.length).toBeGreaterThan(0);
      const destroyed = await target.destroy(request('web'));
      expect(destroyed).toMatchObject({ ok: true });
      const removed = destroyed.ok ? destroyed.removed : [];
      expect(removed.filter((r) => r.startsWith('container '))).toHaveLength(1);
      expect(removed).toEqual(expect.arrayContaining([`volume ${data}`, `volume ${app}-web-extra`]));
      expect(await containersOf('web')).toEqual([]);
      for (const name of [data, `${app}-web-extra`, ...anonymous]) expect([name, await exists(name)]).toEqual([name, false]);
      expect(await exists(other)).toBe(true);
      // Nothing left: a second destroy removes nothing.
      expect(await target.destroy(request('web'))).toEqual({ ok: true, removed: [] });
    } finally {
      for (const name of [data, `${app}-web-extra`, other]) await docker.getVolume(name).remove().catch(() => undefined);
    }
  });
});
