import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig, type EnvironmentConfig } from '../../src/config/hoist-config.ts';
import type { ServiceSpec } from '../../src/domain/deployment-set.ts';
import { createDocker } from '../../src/engine/docker/client.ts';
import type { Target } from '../../src/engine/ports.ts';
import { placementOf } from '../../src/engine/service-spec.ts';
import { createDockerTarget } from '../../src/engine/targets/docker-target.ts';
import { buildImage, removeApp } from './docker-fixture.ts';
import { dockerHost, uniqueName } from './engine-env.ts';
import { serviceSpec } from './target-spec.ts';

const docker = createDocker(dockerHost);
const app = uniqueName('jb');
const repository = `localhost/hoist-test/${app}`;

describe('docker target: a lifecycle job runs to completion', () => {
  let target: Target;
  let env: EnvironmentConfig;
  let nextId = 1;
  const images: Record<string, string> = {};

  const run = async (service: ServiceSpec, signal = new AbortController().signal) => {
    const deploymentId = nextId++;
    const lines: string[] = [];
    const image = service.image ?? '';
    const started = Date.now();
    const result = await target.rollout({ deploymentId, placement: placementOf(env), service, image, version: image, signal, log: (l) => lines.push(l) });
    return { result, lines, ms: Date.now() - started, name: `hoist-${app}-test-migrate-${deploymentId}-job` };
  };
  const job = (image: string, timeoutMs?: number): ServiceSpec => ({ ...serviceSpec(env, 'migrate', { version: image, image }), ...(timeoutMs ? { timeoutMs } : {}) });
  const leftovers = async () => docker.listContainers({ all: true, filters: { label: [`io.hoist.app=${app}`] } });

  beforeAll(async () => {
    const config = parseHoistConfig(
      `
targets: { local: { kind: docker } }
apps:
  ${app}:
    repo: /srv/none
    services:
      migrate: { type: lifecycle-job, image: placeholder:1, timeout: 20s }
    environments:
      test: { target: local }
`,
      'docker-job.test.yaml',
    );
    env = config.apps.get(app)!.environments.get('test')!;
    target = createDockerTarget({ docker, stopTimeoutSeconds: 2 });
    const [ok, fail, slow] = await Promise.all([
      buildImage(docker, `${repository}:ok`, 'CMD ["/bin/sh","-c","echo applying 0001; echo applying 0002; echo migrated"]'),
      buildImage(docker, `${repository}:fail`, 'CMD ["/bin/sh","-c","echo applying 0001; echo relation already exists >&2; exit 1"]'),
      buildImage(docker, `${repository}:slow`, 'CMD ["/bin/sh","-c","echo waiting for a lock; exec /bin/busybox sleep 60"]'),
    ]);
    Object.assign(images, { ok, fail, slow });
  });

  afterAll(async () => {
    await removeApp(docker, app);
  });

  it('succeeds on exit 0 with its output in the log, and the container is removed', async () => {
    const { result, lines, name } = await run(job(images.ok!));
    expect(result).toEqual({ ok: true });
    expect(lines).toEqual(expect.arrayContaining([`${name} | applying 0001`, `${name} | applying 0002`, `${name} | migrated`, `removed ${name}`]));
    expect(lines.indexOf(`${name} | migrated`)).toBeLessThan(lines.findIndex((l) => l.startsWith(`${name} finished after`)));
    expect(await leftovers()).toEqual([]);
  });

  it('fails on a non-zero exit with its last lines, and the container is removed', async () => {
    const { result, name, lines } = await run(job(images.fail!));
    expect(result).toEqual({ ok: false, reason: 'migrate failed: the job exited with code 1', logTail: ['applying 0001', 'relation already exists'] });
    expect(lines).toContain(`${name} | relation already exists`);
    expect(await leftovers()).toEqual([]);
  });

  it('stops it at its timeout and fails with its last lines', async () => {
    const { result, ms } = await run(job(images.slow!, 1_000));
    expect(result).toEqual({ ok: false, reason: 'migrate failed: the job did not finish within 1s and was stopped', logTail: ['waiting for a lock'] });
    expect(ms).toBeGreaterThanOrEqual(1_000);
    expect(ms).toBeLessThan(8_000);
    expect(await leftovers()).toEqual([]);
  });

  it('stops it when the deployment is canceled', async () => {
    const controller = new AbortController();
    const running = run(job(images.slow!), controller.signal);
    // Canceled once the engine runs it.
    for (;;) {
      const list = await docker.listContainers({ filters: { label: [`io.hoist.app=${app}`], status: ['running'] } });
      if (list.length > 0) break;
    }
    controller.abort();
    const { result, ms } = await running;
    expect(result).toMatchObject({ ok: false, reason: 'rollout canceled' });
    expect(ms).toBeLessThan(8_000);
    expect(await leftovers()).toEqual([]);
  });
});
