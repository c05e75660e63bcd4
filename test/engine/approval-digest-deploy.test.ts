import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pino } from 'pino';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';
import { createApprovalBinding, type ApprovalHolds } from '../../src/engine/approval-binding.ts';
import { createDockerBuilder } from '../../src/engine/build/docker-builder.ts';
import { createImageRegistry } from '../../src/engine/build/image-registry.ts';
import { createDeployRunner, type DeployRunner } from '../../src/engine/deploy-runner.ts';
import { createDocker, followProgress } from '../../src/engine/docker/client.ts';
import { createGitSource } from '../../src/engine/source/git-source.ts';
import { createDockerTarget } from '../../src/engine/targets/docker-target.ts';
import type { Actor, HoistService } from '../../src/service/contract.ts';
import { createHoistService } from '../../src/service/hoist-service.ts';
import { pickUp } from '../../src/store/waiting-deployments.ts';
import { removeAppContainers } from '../support/containers.ts';
import { openTestStore } from '../support/databases.ts';
import { baseImage, dockerHost, registry, uniqueName } from './engine-env.ts';

const docker = createDocker(dockerHost);
const app = uniqueName('ad');
const repository = `${registry}/${app}-db`;
const alice: Actor = { requester: { id: 'U0ALICE', name: 'alice' }, origin: { kind: 'none' } };
const bob: Actor = { requester: { id: 'U0BOB', name: 'bob' }, origin: { kind: 'none' } };

/** Builds a FROM-scratch busybox image serving `page`, pushes it to the test registry as `repository:stable`, and returns its id and digest. */
async function pushStable(page: string): Promise<{ id: string; digest: string }> {
  const context = pack();
  context.entry({ name: 'Dockerfile' }, `FROM ${baseImage}\nRUN mkdir /www && echo ${page} > /www/index.html\nCMD ["/bin/busybox","httpd","-f","-p","8080","-h","/www"]\n`);
  context.finalize();
  const built = await followProgress((await docker.buildImage(context as unknown as Readable, { t: `${repository}:stable`, forcerm: true })) as Readable);
  if (!built.ok) throw new Error(built.error);
  const pushed = await followProgress((await docker.getImage(repository).push({ tag: 'stable' })) as Readable);
  if (!pushed.ok) throw new Error(pushed.error);
  const found = await createImageRegistry().lookup(`${repository}:stable`);
  if (found.status !== 'found' || found.digest === null) throw new Error(`the registry did not name a digest for ${repository}:stable`);
  return { id: (await docker.getImage(`${repository}:stable`).inspect()).Id, digest: found.digest };
}

describe('an approved deploy of an image service whose tag is pushed again before it starts, in the real registry', () => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  let cacheDir: string;
  let runner: DeployRunner;
  let service: HoistService;
  let approvalHolds: ApprovalHolds;

  beforeAll(async () => {
    const config = parseHoistConfig(
      `
targets: { engine: { kind: docker } }
apps:
  ${app}:
    repo: /srv/none
    services:
      db: { type: database, image: "${repository}:stable", port: 8080, path: /data }
    environments:
      prod: { target: engine, approval: { required: 1, approvers: [U0BOB] } }
`,
      join(tmpdir(), 'approval-digest-deploy.yaml'),
    );
    store = await openTestStore('postgres');
    cacheDir = mkdtempSync(join(tmpdir(), 'hoist-approval-digest-'));
    // Both sides of one process: the service records and takes votes, the worker's check and runner carry out.
    const shared = { db: store.db, config, source: createGitSource({ cacheDir }), registry: createImageRegistry(), notify: () => {} };
    const target = createDockerTarget({ docker, stopTimeoutSeconds: 2 });
    runner = createDeployRunner({ ...shared, builder: createDockerBuilder({ docker, source: shared.source, registry }), targetFor: () => target, logger: pino({ level: 'silent' }) });
    service = createHoistService({ ...shared, kick: async () => {} });
    approvalHolds = createApprovalBinding(shared);
  });

  afterAll(async () => {
    await removeAppContainers(app);
    await store?.cleanup();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  const runningImage = async () => {
    const [c] = await docker.listContainers({ filters: { label: [`io.hoist.app=${app}`, 'io.hoist.service=db'], status: ['running'] } });
    return c ? (await docker.getContainer(c.Id).inspect()).Image : null;
  };

  it('resets the votes naming both digests, and after a new approval runs the image approved, not one pushed after the check', async () => {
    const first = await pushStable('first');
    const requested = await service.request({ verb: 'deploy', scope: { app, services: ['db'] }, env: 'prod', ref: null }, { ...alice, trigger: 'api' });
    if (!requested.ok) throw new Error(requested.reason);
    const id = requested.deployment.id;
    expect(requested.deployment).toMatchObject({ status: 'AWAITING_APPROVAL' });
    expect(requested.deployment.deploymentSet?.services[0]).toMatchObject({ image: `${repository}:stable@${first.digest}`, imageCheck: { status: 'resolved', digest: first.digest } });
    expect(await service.approve(id, bob)).toMatchObject({ ok: true, outcome: 'approved' });

    // The tag is pushed again, to another image, between the approval and the start.
    const second = await pushStable('second');
    expect(second.digest).not.toBe(first.digest);
    expect(await approvalHolds(id)).toBe(false);
    const approval = await service.approvals(id);
    expect(approval).toMatchObject({ ok: true, status: 'AWAITING_APPROVAL', approved: false });
    expect(approval.ok && approval.history.at(-1)).toMatchObject({
      step: 'reset',
      reason: `what it would run changed since it was approved: db: image ${repository}:stable now ${second.digest.slice(0, 19)} (was ${first.digest.slice(0, 19)})`,
    });

    expect(await service.approve(id, bob)).toMatchObject({ ok: true, outcome: 'approved' });
    expect(await approvalHolds(id)).toBe(true);
    // Pushed again after the check that let it start: what was approved runs.
    await pushStable('third');
    await pickUp(store.db, id);
    await runner.run(id, new AbortController().signal);
    expect(await service.getDeployment(id)).toMatchObject({ status: 'DEPLOYED', services: [{ name: 'db', status: 'DEPLOYED', version: `${repository}:stable` }] });
    expect(await runningImage()).toBe(second.id);
  });
});
