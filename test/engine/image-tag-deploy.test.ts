import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pino } from 'pino';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCardText } from '../../src/bot/render/deployment-card.ts';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';
import { createDockerBuilder } from '../../src/engine/build/docker-builder.ts';
import { createImageRegistry } from '../../src/engine/build/image-registry.ts';
import { createDeployRunner, type DeployRunner } from '../../src/engine/deploy-runner.ts';
import { createDocker, followProgress } from '../../src/engine/docker/client.ts';
import { createGitSource } from '../../src/engine/source/git-source.ts';
import { createDockerTarget } from '../../src/engine/targets/docker-target.ts';
import type { HoistService } from '../../src/service/contract.ts';
import { createHoistService } from '../../src/service/hoist-service.ts';
import { openTestStore } from '../support/databases.ts';
import { removeApp } from './docker-fixture.ts';
import { baseImage, dockerHost, registry, uniqueName } from './engine-env.ts';

const docker = createDocker(dockerHost);
const app = uniqueName('it');
const repository = `${registry}/${app}-db`;

/** Builds a FROM-scratch busybox image serving `page`, and pushes it to the test registry as `repository:tag`. */
async function pushImage(tag: string, page: string): Promise<string> {
  const context = pack();
  context.entry({ name: 'Dockerfile' }, `FROM ${baseImage}\nRUN mkdir /www && echo ${page} > /www/index.html\nCMD ["/bin/busybox","httpd","-f","-p","8080","-h","/www"]\n`);
  context.finalize();
  const built = await followProgress((await docker.buildImage(context as unknown as Readable, { t: `${repository}:${tag}`, forcerm: true })) as Readable);
  if (!built.ok) throw new Error(built.error);
  const pushed = await followProgress((await docker.getImage(repository).push({ tag })) as Readable);
  if (!pushed.ok) throw new Error(pushed.error);
  return (await docker.getImage(`${repository}:${tag}`).inspect()).Id;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('deploying another tag of an image service on the docker target, checked in the real registry', () => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  let cacheDir: string;
  let runner: DeployRunner;
  let service: HoistService;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    ids.a = await pushImage('a', 'tag-a');
    ids.b = await pushImage('b', 'tag-b');
    const unreachable = `127.0.0.1:${await closedPort()}/hoist-test/${app}-cache:a`;
    const config = parseHoistConfig(
      `
targets: { engine: { kind: docker } }
apps:
  ${app}:
    repo: /srv/none
    services:
      db: { type: database, image: "${repository}:a", port: 8080, path: /data }
      cache: { type: container, image: "${unreachable}", port: 8080 }
    environments:
      test: { target: engine }
`,
      join(tmpdir(), 'image-tag-deploy.yaml'),
    );
    store = await openTestStore('postgres');
    cacheDir = mkdtempSync(join(tmpdir(), 'hoist-image-tag-'));
    // Both sides of one process: the service records and checks, the runner carries out.
    const shared = { db: store.db, config, source: createGitSource({ cacheDir }), notify: () => {} };
    const target = createDockerTarget({ docker, stopTimeoutSeconds: 2 });
    runner = createDeployRunner({ ...shared, builder: createDockerBuilder({ docker, source: shared.source, registry }), targetFor: () => target, logger: pino({ level: 'silent' }) });
    service = createHoistService({ ...shared, registry: createImageRegistry(), kick: async () => {} });
  });

  afterAll(async () => {
    await removeApp(docker, app);
    await store?.cleanup();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  const deploy = (services: string[], ref: string) =>
    service.request({ verb: 'deploy', scope: { app, services }, env: 'test', ref }, { requester: { id: 'U0BOB', name: 'bob' }, origin: { kind: 'none' }, trigger: 'api' });
  const runningImage = async () => {
    const [c] = await docker.listContainers({ filters: { label: [`io.hoist.app=${app}`, 'io.hoist.service=db'], status: ['running'] } });
    return c ? (await docker.getContainer(c.Id).inspect()).Image : null;
  };

  it('runs tag A, then tag B: the container runs B\'s image, pinned to the digest the registry named', async () => {
    for (const tag of ['a', 'b']) {
      const requested = await deploy(['db'], tag);
      if (!requested.ok) throw new Error(requested.reason);
      await runner.run(requested.deployment.id, new AbortController().signal);
      const d = (await service.getDeployment(requested.deployment.id))!;
      expect(d).toMatchObject({ status: 'DEPLOYED', ref: tag, services: [{ name: 'db', status: 'DEPLOYED', version: `${repository}:${tag}` }] });
      const spec = d.deploymentSet?.services[0];
      expect(spec?.tagCheck).toEqual({ status: 'resolved', digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
      expect(spec?.image).toBe(`${repository}:${tag}@${spec?.tagCheck?.status === 'resolved' ? spec.tagCheck.digest : ''}`);
      expect(await runningImage()).toBe(ids[tag]);
    }
    expect(ids.a).not.toBe(ids.b);
  });

  it('refuses a tag the registry does not have, with the reason', async () => {
    expect(await deploy(['db'], 'nope')).toEqual({
      ok: false,
      code: 'REF_NOT_FOUND',
      reason: `db cannot be deployed at nope: ${repository} has no tag "nope"`,
    });
  });

  it('goes ahead when the registry cannot be asked (a closed port), and the card says the tag was not checked', async () => {
    const requested = await deploy(['cache'], 'b');
    if (!requested.ok) throw new Error(requested.reason);
    const d = (await service.getDeployment(requested.deployment.id))!;
    expect(d).toMatchObject({ status: 'QUEUED', ref: 'b', services: [{ name: 'cache', version: expect.stringMatching(/-cache:b$/) }] });
    expect(d.deploymentSet?.services[0]?.tagCheck).toEqual({ status: 'unchecked', reason: expect.stringContaining('could not be asked: ECONNREFUSED') });
    expect(renderCardText(d, { now: new Date(), mention: (id) => id })).toMatch(/ref b \(tag not checked: 127\.0\.0\.1:\d+ could not be asked: ECONNREFUSED\)/);
  });
});
