import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig, type EnvironmentConfig } from '../../src/config/hoist-config.ts';
import type { ServiceSpec } from '../../src/domain/deployment-set.ts';
import { createDocker } from '../../src/engine/docker/client.ts';
import type { ServiceRequest, Target } from '../../src/engine/ports.ts';
import { placementOf } from '../../src/engine/service-spec.ts';
import { createDockerTarget } from '../../src/engine/targets/docker-target.ts';
import { buildImage, execIn, removeApp } from './docker-fixture.ts';
import { dockerHost, uniqueName } from './engine-env.ts';
import { serviceSpec } from './target-spec.ts';

const docker = createDocker(dockerHost);
const app = uniqueName('db');
const repository = `localhost/hoist-test/${app}`;

describe('docker target: a database keeps its data in a named volume', () => {
  let target: Target;
  let env: EnvironmentConfig;
  let nextId = 1;
  const images: Record<string, string> = {};
  const volume = () => `hoist-${app}-test-db-data`;

  const spec = (image: string, env_: Record<string, string> = {}): ServiceSpec => {
    const base = serviceSpec(env, 'db', { version: image, image });
    return { ...base, env: { ...base.env, ...env_ } };
  };
  const rollout = async (service: ServiceSpec) => {
    const deploymentId = nextId++;
    const lines: string[] = [];
    const image = service.image ?? '';
    const result = await target.rollout({ deploymentId, placement: placementOf(env), service, image, version: image, signal: new AbortController().signal, log: (l) => lines.push(l) });
    return { result, lines, deploymentId };
  };
  const action = (service: ServiceSpec): ServiceRequest => ({ deploymentId: nextId++, placement: placementOf(env), service, signal: new AbortController().signal, log: () => {} });
  const running = async () => {
    const list = await docker.listContainers({ filters: { label: [`io.hoist.app=${app}`, 'io.hoist.service=db'], status: ['running'] } });
    expect(list).toHaveLength(1);
    return list[0]!;
  };
  const readBack = async () => execIn(docker, (await running()).Id, ['/bin/busybox', 'cat', '/srv/db/file']);

  beforeAll(async () => {
    const config = parseHoistConfig(
      `
targets: { local: { kind: docker } }
apps:
  ${app}:
    repo: /srv/none
    services:
      db: { type: database, image: placeholder:1, port: 5432, path: /srv/db }
    environments:
      test: { target: local }
`,
      'docker-database.test.yaml',
    );
    env = config.apps.get(app)!.environments.get('test')!;
    target = createDockerTarget({ docker, stopTimeoutSeconds: 2 });
    const [a, b] = await Promise.all([
      buildImage(docker, `${repository}:a`, 'CMD ["/bin/busybox","sleep","3600"]'),
      buildImage(docker, `${repository}:b`, 'ENV FLAVOUR=b\nCMD ["/bin/busybox","sleep","3600"]'),
    ]);
    Object.assign(images, { a, b });
  });

  afterAll(async () => {
    await removeApp(docker, app);
  });

  it('writes into a labelled volume mounted at `path`, and reads it back after redeploys, a restart, a stop and a rollback', async () => {
    const first = await rollout(spec(images.a!));
    expect(first.result).toEqual({ ok: true });
    expect(first.lines).toContain(`created volume ${volume()} for /srv/db`);
    const info = await docker.getVolume(volume()).inspect();
    expect(info.Labels).toMatchObject({ 'io.hoist.app': app, 'io.hoist.env': 'test', 'io.hoist.service': 'db' });
    const mounts = (await docker.getContainer((await running()).Id).inspect()).Mounts;
    expect(mounts.map((m) => ({ type: m.Type, name: m.Name, destination: m.Destination }))).toEqual([{ type: 'volume', name: volume(), destination: '/srv/db' }]);
    await execIn(docker, (await running()).Id, ['/bin/sh', '-c', 'echo kept-across-deploys > /srv/db/file']);

    // A new image tag: a new container on the same volume, the old one gone.
    const retagged = await rollout(spec(images.b!));
    expect(retagged.result).toEqual({ ok: true });
    expect((await running()).Labels['io.hoist.deployment']).toBe(String(retagged.deploymentId));
    expect(await readBack()).toBe('kept-across-deploys');

    // A changed configuration.
    const changed = await rollout(spec(images.b!, { TUNING: 'more' }));
    expect(changed.result).toEqual({ ok: true });
    expect(await execIn(docker, (await running()).Id, ['/bin/sh', '-c', 'echo $TUNING'])).toBe('more');
    expect(await readBack()).toBe('kept-across-deploys');

    expect(await target.restart(action(spec(images.b!)))).toEqual({ ok: true });
    expect(await readBack()).toBe('kept-across-deploys');

    expect(await target.stop(action(spec(images.b!)))).toEqual({ ok: true, stopped: 1 });
    const redeployed = await rollout(spec(images.b!));
    expect(redeployed.result).toEqual({ ok: true });
    expect(await readBack()).toBe('kept-across-deploys');

    // A rollback applies the first set again.
    expect((await rollout(spec(images.a!))).result).toEqual({ ok: true });
    expect(await readBack()).toBe('kept-across-deploys');
    expect((await docker.listVolumes({ filters: { label: [`io.hoist.app=${app}`] } })).Volumes?.map((v) => v.Name)).toEqual([volume()]);
  });

  it('keeps the old container on its data when the new version fails', async () => {
    const broken = await buildImage(docker, `${repository}:broken`, 'CMD ["/bin/sh","-c","echo broken-marker; exit 3"]');
    const { result } = await rollout(spec(broken));
    // With its code when Hoist saw the exit; when the engine had restarted it before Hoist looked, without.
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^db is not healthy: the container exited( with code 3( \(and was restarted\))?| and was restarted)$/) });
    if (!result.ok) expect(result.logTail).toContain('broken-marker');
    expect((await running()).Image).toBe(images.a);
    expect(await readBack()).toBe('kept-across-deploys');
  });
});
