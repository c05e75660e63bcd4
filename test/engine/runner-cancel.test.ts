import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig, type HoistConfig } from '../../src/config/hoist-config.ts';
import type { DeploymentEvent } from '../../src/domain/deployment.ts';
import { createDockerBuilder } from '../../src/engine/build/docker-builder.ts';
import { manifestExists } from '../../src/engine/build/registry-manifest.ts';
import { createDeployRunner, type DeployRunner } from '../../src/engine/deploy-runner.ts';
import { createDocker, isNotFound } from '../../src/engine/docker/client.ts';
import type { Builder, Target } from '../../src/engine/ports.ts';
import { createGitSource } from '../../src/engine/source/git-source.ts';
import { createDockerTarget } from '../../src/engine/targets/docker-target.ts';
import { createImageRegistry } from '../../src/engine/build/image-registry.ts';
import { createHoistService } from '../../src/service/hoist-service.ts';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { serviceStates } from '../../src/store/service-state.ts';
import { createTestDatabase } from '../support/databases.ts';
import { freePort } from '../support/hoist-harness.ts';
import { baseImage, dockerHost, registry, uniqueName } from './engine-env.ts';
import { createGitFixture, type GitFixture } from './git-fixture.ts';

const docker = createDocker(dockerHost);
const app = uniqueName('rc');
const SERVICES = ['alpha', 'beta', 'gamma'] as const;

/** A web app per service directory, answering `<service> <marker>`. */
function webFiles(marker: string, services: readonly string[] = SERVICES): Record<string, string> {
  const files: Record<string, string> = {};
  for (const s of services) {
    files[`${s}/Dockerfile`] = `FROM ${baseImage}\nCOPY www /www\nCMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n`;
    files[`${s}/www/index.html`] = `${s} ${marker}\n`;
  }
  return files;
}

async function answer(port: number): Promise<string | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(2_000) });
    return (await res.text()).trim();
  } catch {
    return null;
  }
}

async function localImage(image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

describe('runner: a running deployment told to stop', () => {
  let repo: GitFixture;
  let database: { url: string; drop(): Promise<void> };
  let handle: DatabaseHandle;
  let config: HoistConfig;
  let cacheDir: string;
  let runner: DeployRunner;
  let request: (ref: string) => Promise<number>;
  const ports: Record<string, number> = {};
  /** Each log line of the run, as the engine reports it: the tests abort on the one they wait for. */
  let onLine: (line: string) => void = () => {};
  let v1: string;

  beforeAll(async () => {
    repo = createGitFixture('hoist-runner-cancel');
    v1 = repo.commit('v1', webFiles('v1'));
    for (const s of SERVICES) ports[s] = await freePort();
    config = parseHoistConfig(
      `
targets: { engine: { kind: docker } }
apps:
  ${app}:
    repo: ${repo.dir}
    services:
${SERVICES.map((s) => `      ${s}: { type: application, build: { context: ${s} }, port: 8080, health: { path: /, timeout: 20s } }`).join('\n')}
    environments:
      e2e: { target: engine, expose: { ${SERVICES.map((s) => `${s}: ${ports[s]}`).join(', ')} } }
`,
      join(tmpdir(), 'runner-cancel.yaml'),
    );
    database = await createTestDatabase();
    handle = await openDatabase({ url: database.url, dataDir: tmpdir() });
    await migrateToLatest(handle.db);
    cacheDir = mkdtempSync(join(tmpdir(), 'hoist-runner-git-'));
    const source = createGitSource({ cacheDir });
    const realBuilder = createDockerBuilder({ docker, source, registry });
    const realTarget = createDockerTarget({ docker, stopTimeoutSeconds: 2 });
    // Taps on the engine's log lines, so a test can cancel at an exact step.
    const builder: Builder = { build: (r) => realBuilder.build({ ...r, log: (line) => (r.log(line), onLine(line)) }) };
    const target: Target = { ...realTarget, rollout: (r) => realTarget.rollout({ ...r, log: (line) => (r.log(line), onLine(line)) }) };
    const notify = () => {};
    runner = createDeployRunner({ db: handle.db, config, source, builder, targetFor: () => target, notify, logger: pino({ level: 'silent' }) });
    const service = createHoistService({ db: handle.db, config, source, registry: createImageRegistry(), kick: async () => {}, notify });
    request = async (ref) => {
      const result = await service.request(
        { verb: 'deploy', scope: { app, services: null }, env: 'e2e', ref },
        { requester: { id: 'U0ALICE', name: 'alice' }, origin: { kind: 'none' }, trigger: 'api' },
      );
      if (!result.ok) throw new Error(result.reason);
      return result.deployment.id;
    };
    const first = await request('main');
    await runner.run(first, new AbortController().signal);
    const deployed = await service.getDeployment(first);
    expect(deployed?.status).toBe('DEPLOYED');
  });

  afterAll(async () => {
    const all = await docker.listContainers({ all: true, filters: { label: [`io.hoist.app=${app}`] } });
    await Promise.all(all.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    await handle?.close();
    await database?.drop();
    repo?.remove();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  const deploymentOf = async (id: number) => {
    const service = createHoistService({ db: handle.db, config, source: createGitSource({ cacheDir }), registry: createImageRegistry(), kick: async () => {}, notify: () => {} });
    return (await service.getDeployment(id))!;
  };
  const summaryOf = async (id: number) => {
    const rows = await handle.db.selectFrom('deployment_events').select('payload').where('deployment_id', '=', id).orderBy('id').execute();
    const events = rows.map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as DeploymentEvent);
    return events.find((e): e is Extract<DeploymentEvent, { kind: 'summary' }> => e.kind === 'summary');
  };
  const running = async () =>
    (await docker.listContainers({ all: true, filters: { label: [`io.hoist.app=${app}`] } }))
      .map((c) => `${c.Labels['io.hoist.service']}@${c.Labels['io.hoist.version']?.slice(0, 7)}:${c.State}`)
      .sort();

  it('mid-build: ends CANCELED, leaves no image or container behind, and the previous containers keep serving', async () => {
    const files = webFiles('v2');
    files['alpha/Dockerfile'] = `FROM ${baseImage}\nRUN echo slow-build-start && sleep 4 && echo slow-build-end\nCOPY www /www\nCMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n`;
    repo.git('checkout', '--quiet', '-b', 'slow');
    const v2 = repo.commit('v2, slow to build', files);
    repo.git('checkout', '--quiet', 'main');
    const id = await request('slow');
    const controller = new AbortController();
    onLine = (line) => {
      if (line.includes('slow-build-start')) controller.abort(new Error('canceled'));
    };
    const started = Date.now();
    await runner.run(id, controller.signal);
    onLine = () => {};
    expect(Date.now() - started).toBeLessThan(4_000);

    const d = await deploymentOf(id);
    expect(d).toMatchObject({ status: 'CANCELED', reason: 'canceled' });
    expect(d.services.map((s) => [s.name, s.status, s.reason])).toEqual([
      ['alpha', 'CANCELED', 'canceled during the build; the previous version keeps running'],
      ['beta', 'CANCELED', 'canceled before it started'],
      ['gamma', 'CANCELED', 'canceled before it started'],
    ]);
    // Give an engine that finishes an abandoned build in the background the time to do it.
    await sleep(5_000);
    expect(await localImage(`${registry}/${app}-alpha:${v2}`)).toBe(false);
    expect(await manifestExists(`${registry}/${app}-alpha:${v2}`)).toBe(false);
    expect(await running()).toEqual(SERVICES.map((s) => `${s}@${v1.slice(0, 7)}:running`));
    for (const s of SERVICES) expect(await answer(ports[s]!)).toBe(`${s} v1`);
    const states = await serviceStates(handle.db, app, 'e2e');
    expect(states.map((s) => [s.service, s.status, s.version])).toEqual(SERVICES.map((s) => [s, 'DEPLOYED', v1]));
    expect((await summaryOf(id))?.services).toEqual(SERVICES.map((s) => expect.objectContaining({ name: s, version: v1 })));
  });

  it('mid-rollout: the service in flight keeps its previous container, finished ones keep the new version, later ones are CANCELED', async () => {
    const files = webFiles('v3');
    files['beta/Dockerfile'] = `FROM ${baseImage}\nCMD ["/bin/busybox", "sleep", "600"]\n`;
    repo.git('checkout', '--quiet', '-b', 'stuck');
    const v3 = repo.commit('v3, beta never answers', files);
    repo.git('checkout', '--quiet', 'main');
    const id = await request('stuck');
    const controller = new AbortController();
    let rollingOutBeta = false;
    onLine = (line) => {
      if (line.includes(`-beta-${id}-canary`)) rollingOutBeta = true;
      if (rollingOutBeta && line.startsWith('health check: GET')) controller.abort(new Error('canceled'));
    };
    await runner.run(id, controller.signal);
    onLine = () => {};

    const d = await deploymentOf(id);
    expect(d.status, d.reason ?? '').toBe('CANCELED');
    expect(d.services.map((s) => [s.name, s.status, s.version])).toEqual([
      ['alpha', 'DEPLOYED', v3],
      ['beta', 'CANCELED', v3],
      ['gamma', 'CANCELED', v3],
    ]);
    expect(d.services.map((s) => s.reason)).toEqual([null, 'canceled during the rollout; the previous version keeps running', 'canceled before it started']);
    expect(await answer(ports.alpha!)).toBe('alpha v3');
    expect(await answer(ports.beta!)).toBe('beta v1');
    expect(await answer(ports.gamma!)).toBe('gamma v1');
    expect(await running()).toEqual([`alpha@${v3.slice(0, 7)}:running`, `beta@${v1.slice(0, 7)}:running`, `gamma@${v1.slice(0, 7)}:running`]);
    const states = await serviceStates(handle.db, app, 'e2e');
    expect(states.map((s) => [s.service, s.status, s.version])).toEqual([
      ['alpha', 'DEPLOYED', v3],
      ['beta', 'DEPLOYED', v1],
      ['gamma', 'DEPLOYED', v1],
    ]);
    const summary = await summaryOf(id);
    expect(summary?.headline).toBe('Canceled — what runs in e2e now:');
    expect(summary?.services).toEqual([
      { name: 'alpha', version: v3, note: 'applied before the cancel; kept' },
      { name: 'beta', version: v1, note: 'canceled during the rollout; previous version kept' },
      { name: 'gamma', version: v1, note: 'not started; unchanged' },
    ]);
  });
});
