import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig, type HoistConfig } from '../../src/config/hoist-config.ts';
import { createDockerBuilder } from '../../src/engine/build/docker-builder.ts';
import { createImageRegistry } from '../../src/engine/build/image-registry.ts';
import { createDeployRunner } from '../../src/engine/deploy-runner.ts';
import { createDocker } from '../../src/engine/docker/client.ts';
import { createGitSource } from '../../src/engine/source/git-source.ts';
import { createDockerTarget } from '../../src/engine/targets/docker-target.ts';
import type { HoistService } from '../../src/service/contract.ts';
import { createChangeFeed } from '../../src/service/environment-board.ts';
import { createHoistService } from '../../src/service/hoist-service.ts';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { readEvents } from '../../src/store/events.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { createTestDatabase } from '../support/databases.ts';
import { buildImage, removeApp } from './docker-fixture.ts';
import { dockerHost, registry, uniqueName } from './engine-env.ts';

const docker = createDocker(dockerHost);
const app = uniqueName('rj');
const repository = `localhost/hoist-test/${app}`;

/** A lifecycle job on the Docker target through the runner, the real store and the engine: what the deployment records of it. */
describe('runner: a lifecycle job on the docker target', () => {
  let database: { url: string; drop(): Promise<void> };
  let handle: DatabaseHandle;
  let cacheDir: string;
  let service: HoistService;
  let config: (image: string) => HoistConfig;

  const deploy = async (image: string, verb: 'deploy' | 'redeploy' = 'deploy') => {
    const cfg = config(image);
    const changes = createChangeFeed();
    const notify = () => changes.emit('local');
    const source = createGitSource({ cacheDir });
    const target = createDockerTarget({ docker, stopTimeoutSeconds: 2 });
    const runner = createDeployRunner({ db: handle.db, config: cfg, source, builder: createDockerBuilder({ docker, source, registry }), targetFor: () => target, notify, logger: pino({ level: 'silent' }) });
    service = createHoistService({ db: handle.db, config: cfg, source, registry: createImageRegistry(), kick: async () => {}, notify, changes });
    const requested = await service.request(
      verb === 'deploy' ? { verb, scope: { app, services: null }, env: 'test', ref: null } : { verb, scope: { app, services: null }, env: 'test' },
      { requester: { id: 'U0BOB', name: 'bob' }, origin: { kind: 'none' }, trigger: 'api' },
    );
    if (!requested.ok) throw new Error(requested.reason);
    await runner.run(requested.deployment.id, new AbortController().signal);
    const logs = await service.deploymentLogs(requested.deployment.id, { tail: 100, service: null });
    return { deployment: (await service.getDeployment(requested.deployment.id))!, lines: logs.ok ? logs.lines.map((l) => l.line) : [] };
  };

  beforeAll(async () => {
    await Promise.all([
      buildImage(docker, `${repository}:ok`, 'CMD ["/bin/sh","-c","echo applying 0001; echo migrated"]'),
      buildImage(docker, `${repository}:fail`, 'CMD ["/bin/sh","-c","echo applying 0001; echo relation already exists >&2; exit 1"]'),
    ]);
    config = (image) =>
      parseHoistConfig(
        `
targets: { engine: { kind: docker } }
apps:
  ${app}:
    repo: /srv/none
    services:
      migrate: { type: lifecycle-job, image: "${repository}:${image}", timeout: 1m }
    environments:
      test: { target: engine }
`,
        join(tmpdir(), 'runner-job.yaml'),
      );
    database = await createTestDatabase();
    handle = await openDatabase({ url: database.url, dataDir: tmpdir() });
    await migrateToLatest(handle.db);
    cacheDir = mkdtempSync(join(tmpdir(), 'hoist-runner-job-'));
  });

  afterAll(async () => {
    await removeApp(docker, app);
    await handle?.close();
    await database?.drop();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('is DEPLOYED on exit 0 with its output in the deployment log, and a redeploy of the same does not run it again', async () => {
    const { deployment, lines } = await deploy('ok');
    expect(deployment).toMatchObject({ status: 'DEPLOYED', services: [{ name: 'migrate', status: 'DEPLOYED' }] });
    expect(lines.some((line) => line.endsWith('| migrated'))).toBe(true);
    expect(await docker.listContainers({ all: true, filters: { label: [`io.hoist.app=${app}`] } })).toEqual([]);

    // Its run succeeded with this very spec: nothing to run again, though no container of it is left.
    const again = await deploy('ok', 'redeploy');
    expect(again.deployment).toMatchObject({ status: 'DEPLOYED', reason: 'no changes', services: [{ name: 'migrate', reason: 'no changes' }] });
    expect(again.lines.some((line) => line.includes('| migrated'))).toBe(false);
  });

  it('is DEPLOYMENT_ERROR on a non-zero exit, with its last lines', async () => {
    const { deployment, lines } = await deploy('fail');
    expect(deployment).toMatchObject({
      status: 'DEPLOYMENT_ERROR',
      services: [{ name: 'migrate', status: 'DEPLOYMENT_ERROR', reason: 'migrate failed: the job exited with code 1' }],
    });
    expect(lines.some((line) => line.endsWith('| relation already exists'))).toBe(true);
    const events = await readEvents(handle.db, { app, after: 0 });
    const failure = events.map((e) => e.entry).find((entry) => entry.kind === 'failure');
    expect(failure).toMatchObject({ service: 'migrate', status: 'DEPLOYMENT_ERROR', logTail: ['applying 0001', 'relation already exists'] });
    expect(await docker.listContainers({ all: true, filters: { label: [`io.hoist.app=${app}`] } })).toEqual([]);
  });
});
