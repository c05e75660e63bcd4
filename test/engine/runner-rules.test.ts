import { mkdtempSync, rmSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';
import type { ActionVerb } from '../../src/domain/command.ts';
import { createDockerBuilder } from '../../src/engine/build/docker-builder.ts';
import { createDeployRunner, type DeployRunner } from '../../src/engine/deploy-runner.ts';
import { createDocker, followProgress } from '../../src/engine/docker/client.ts';
import { createGitSource } from '../../src/engine/source/git-source.ts';
import { createDockerTarget } from '../../src/engine/targets/docker-target.ts';
import type { ActionCommand, HoistService } from '../../src/service/contract.ts';
import { createImageRegistry } from '../../src/engine/build/image-registry.ts';
import { createChangeFeed } from '../../src/service/environment-board.ts';
import { createHoistService } from '../../src/service/hoist-service.ts';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { pickUp } from '../../src/store/waiting-deployments.ts';
import { createTestDatabase } from '../support/databases.ts';
import { removeApp } from './docker-fixture.ts';
import { baseImage, dockerHost, registry, uniqueName } from './engine-env.ts';

const docker = createDocker(dockerHost);
const app = uniqueName('rr');
const image = `localhost/hoist-test/${app}:1`;

/**
 * The runner with the real service, store and engine, each action requested the way the
 * edges do and run the way a worker does (one after the other, nothing in between).
 */
describe('runner: order of an environment and rules checked again when an action starts', () => {
  let database: { url: string; drop(): Promise<void> };
  let handle: DatabaseHandle;
  let cacheDir: string;
  let runner: DeployRunner;
  let service: HoistService;

  beforeAll(async () => {
    const context = pack();
    context.entry({ name: 'Dockerfile' }, `FROM ${baseImage}\nRUN mkdir /www && echo up > /www/index.html\nCMD ["/bin/busybox","httpd","-f","-p","8080","-h","/www"]\n`);
    context.finalize();
    const built = await followProgress((await docker.buildImage(context as unknown as Readable, { t: image, forcerm: true })) as Readable);
    if (!built.ok) throw new Error(built.error);
    const config = parseHoistConfig(
      `
targets: { engine: { kind: docker } }
apps:
  ${app}:
    repo: /srv/none
    services:
      db: { type: database, image: ${image}, port: 8080, path: /data }
      web: { type: container, image: ${image}, port: 8080 }
    environments:
      test: { target: engine }
`,
      join(tmpdir(), 'runner-rules.yaml'),
    );
    database = await createTestDatabase();
    handle = await openDatabase({ url: database.url, dataDir: tmpdir() });
    await migrateToLatest(handle.db);
    cacheDir = mkdtempSync(join(tmpdir(), 'hoist-runner-rules-'));
    const source = createGitSource({ cacheDir });
    const target = createDockerTarget({ docker, stopTimeoutSeconds: 2 });
    const builder = createDockerBuilder({ docker, source, registry });
    // As main.ts wires it: what the runner writes, the service's views of the environments follow.
    const changes = createChangeFeed();
    const notify = () => changes.emit('local');
    runner = createDeployRunner({ db: handle.db, config, source, builder, targetFor: () => target, notify, logger: pino({ level: 'silent' }) });
    service = createHoistService({ db: handle.db, config, source, registry: createImageRegistry(), kick: async () => {}, notify, changes });
  });

  afterAll(async () => {
    await removeApp(docker, app);
    // Images stay: removing one while another file builds from shared layers breaks that build in Podman.
    await handle?.close();
    await database?.drop();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  async function request(verb: Exclude<ActionVerb, 'cancel'>, services: string[] | null = null): Promise<number> {
    const scope = { app, services };
    const command = (verb === 'deploy' ? { verb, scope, env: 'test', ref: null } : verb === 'rollback' ? { verb, scope, env: 'test', to: null } : { verb, scope, env: 'test' }) as ActionCommand;
    const result = await service.request(command, { requester: { id: 'U0BOB', name: 'bob' }, origin: { kind: 'none' }, trigger: 'api' });
    if (!result.ok) throw new Error(result.reason);
    return result.deployment.id;
  }
  const run = async (id: number) => {
    await runner.run(id, new AbortController().signal);
    return (await service.getDeployment(id))!;
  };
  const containers = async (name: string) => {
    const [c] = await docker.listContainers({ all: true, filters: { label: [`io.hoist.app=${app}`, `io.hoist.service=${name}`] } });
    return c ? docker.getContainer(c.Id).inspect() : null;
  };

  it('deploys databases before containers, and stops them in the reverse order', async () => {
    const deployed = await run(await request('deploy'));
    expect(deployed.status).toBe('DEPLOYED');
    expect(deployed.services.map((s) => s.name)).toEqual(['db', 'web']);
    const started = [(await containers('db'))!.State.StartedAt, (await containers('web'))!.State.StartedAt];
    expect(Date.parse(started[0]!)).toBeLessThan(Date.parse(started[1]!));

    const stopped = await run(await request('stop'));
    expect(stopped).toMatchObject({ status: 'STOPPED', services: [{ name: 'web', status: 'STOPPED' }, { name: 'db', status: 'STOPPED' }] });
    const finished = [(await containers('web'))!.State.FinishedAt, (await containers('db'))!.State.FinishedAt];
    expect(Date.parse(finished[0]!)).toBeLessThan(Date.parse(finished[1]!));
  });

  it('ends CANCELED with the reason when what was allowed at request time no longer is when it starts', async () => {
    await run(await request('deploy'));
    const restart = await request('restart', ['web']);
    const stop = await request('stop', ['web']);
    // A worker takes the first stop; a second one asked meanwhile is its own deployment (identical ones still waiting are joined).
    await pickUp(handle.db, stop);
    const secondStop = await request('stop', ['web']);
    // The queue runs them in order: the stop happens before the restart gets its turn.
    const first = await run(stop);
    expect(first.status).toBe('STOPPED');
    expect(await run(restart)).toMatchObject({
      status: 'CANCELED',
      reason: 'no longer applies: web in test is STOPPED; `deploy` it first',
      services: [{ name: 'web', status: 'CANCELED', reason: 'no longer applies: web in test is STOPPED; `deploy` it first' }],
    });
    expect(await run(secondStop)).toMatchObject({ status: 'CANCELED', reason: expect.stringContaining('already STOPPED') });
    expect((await containers('web'))!.State.Running).toBe(false);
    const view = await service.environments(app, 'test');
    expect(Array.isArray(view) && view[0]?.services.find((s) => s.name === 'web')?.status).toBe('STOPPED');
  });

  it('redeploy of a stopped service starts it again, and of a running one changes nothing', async () => {
    const redeployed = await run(await request('redeploy', ['web']));
    expect(redeployed).toMatchObject({ status: 'DEPLOYED', reason: null, services: [{ name: 'web', status: 'DEPLOYED', reason: null }] });
    const before = (await containers('web'))!;
    expect(before.State.Running).toBe(true);
    const again = await run(await request('redeploy'));
    expect(again).toMatchObject({ status: 'DEPLOYED', reason: 'no changes' });
    expect(again.services.map((s) => [s.name, s.reason])).toEqual([['db', 'no changes'], ['web', 'no changes']]);
    const after = (await containers('web'))!;
    expect([after.Id, after.State.StartedAt]).toEqual([before.Id, before.State.StartedAt]);
  });
});
