import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../src/domain/deployment-set.ts';
import { BuildImages } from '../../src/engine/build/build-images.ts';
import { createDockerBuilder } from '../../src/engine/build/docker-builder.ts';
import { manifestExists } from '../../src/engine/build/registry-manifest.ts';
import { createDocker, isNotFound } from '../../src/engine/docker/client.ts';
import type { Builder, BuildRequest } from '../../src/engine/ports.ts';
import { createGitSource } from '../../src/engine/source/git-source.ts';
import { baseImage, dockerHost, registry, uniqueName } from './engine-env.ts';
import { createGitFixture, type GitFixture } from './git-fixture.ts';
import { processes, waitFor, type Process } from './host-processes.ts';

const docker = createDocker(dockerHost);
const app = uniqueName('bs');

interface WorkingContainer {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  State: string;
}

/** Buildah's working containers, which only the libpod API lists (null: no libpod API, i.e. Docker). */
async function workingContainers(): Promise<WorkingContainer[] | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await listExternal();
    } catch (error) {
      // Podman fails the whole list when a working container goes while it lists: ask again.
      if (attempt >= 10 || !/container not known/.test(String(error))) throw error;
      await sleep(20);
    }
  }
}

function listExternal(): Promise<WorkingContainer[] | null> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      {
        path: '/v4.0.0/libpod/containers/json?',
        method: 'GET',
        options: { all: true, external: true },
        statusCodes: { 200: true, 404: 'not found', 500: 'server error' },
      },
      (error, data) => {
        if (error) return isNotFound(error) ? resolve(null) : reject(error);
        resolve((data as WorkingContainer[]).filter((c) => c.State === 'storage'));
      },
    );
  });
}

function service(name: string): ServiceSpec {
  return {
    name,
    type: 'application',
    build: { context: name, dockerfile: 'Dockerfile' },
    version: null,
    image: null,
    port: 8080,
    expose: null,
    replicas: 1,
    health: null,
    command: null,
    env: {},
    schedule: null,
    storage: null,
    resources: null,
  };
}

async function localImageExists(image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

describe('BuildImages', () => {
  it('names the images of a Podman build, best first', () => {
    const images = new BuildImages();
    expect(images.follow('STEP 1/5: FROM 127.0.0.1:5000/node:22 AS deps\n')).toBe(true);
    expect(images.follow('STEP 2/5: RUN npm ci\n')).toBe(false);
    expect(images.follow('--> 8e77d6605d9\n')).toBe(true);
    expect(images.follow('STEP 3/5: FROM deps\n')).toBe(false);
    images.follow('STEP 4/5: FROM --platform=linux/amd64 busybox:1\n');
    images.follow('STEP 5/5: FROM scratch\n');
    images.follow('--> Using cache 2fbd96c09831aa\n');
    expect(images.candidates()).toEqual(['2fbd96c09831aa', 'busybox:1', '127.0.0.1:5000/node:22']);
  });
});

describe('docker builder: a canceled build stops in the engine', () => {
  let repo: GitFixture;
  let cacheDir: string;
  let builder: Builder;
  const request = (svc: ServiceSpec, sha: string, lines: string[], signal: AbortSignal): BuildRequest => ({
    app,
    service: svc,
    repo: repo.dir,
    sha,
    signal,
    log: (line) => lines.push(line),
  });

  /** A base image of this run only (the shared one plus a label): only this test's builds run on it. */
  let base: string;
  let baseId: string;

  beforeAll(async () => {
    repo = createGitFixture('hoist-build-stop');
    cacheDir = mkdtempSync(join(tmpdir(), 'hoist-build-stop-cache-'));
    builder = createDockerBuilder({ docker, source: createGitSource({ cacheDir }), registry });
    const sha = repo.commit('base', { 'base/Dockerfile': `FROM ${baseImage}\nLABEL io.hoist.test.base=${app}\n` });
    const built = await builder.build(request(service('base'), sha, [], new AbortController().signal));
    if (!built.ok) throw new Error(built.reason);
    // By its tag: the engine knows the image it built by that, not by the digest the registry gave it.
    base = built.image.replace(/@sha256:[0-9a-f]{64}$/, '');
    baseId = (await docker.getImage(base).inspect()).Id.replace(/^sha256:/, '');
  });

  afterAll(() => {
    // Images stay: removing one while another file builds from shared layers breaks that build in Podman.
    repo?.remove();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('kills the running RUN step within 2 s, while a build from the same base goes on', async () => {
    const marker = `${app}-sleeper`;
    const sha = repo.commit('slow and steady', {
      // The comment reaches `sh -c`: it tells this build's RUN process from anyone else's.
      'sleeper/Dockerfile': `FROM ${base}\nRUN sleep 30 && echo done > /x # ${marker}\n`,
      // Unique to this run, so that no layer cache of an earlier run skips the step.
      'steady/Dockerfile': `FROM ${base}\nRUN echo steady-start && sleep 8 && echo steady-end ${app}\n`,
    });
    const controller = new AbortController();
    const sleeperLines: string[] = [];
    const steadyLines: string[] = [];
    const started = Date.now();
    const sleeper = builder.build(request(service('sleeper'), sha, sleeperLines, controller.signal));
    let sleeperEnded: unknown = null;
    void sleeper.then((outcome) => (sleeperEnded = outcome));

    // Cancel once the sleeper's RUN runs (and at least a second after its start), with the other build mid-RUN.
    let running: Process[] = [];
    await waitFor('the RUN step of the build to cancel', () => {
      if (sleeperEnded) throw new Error(`the build to cancel ended first: ${JSON.stringify(sleeperEnded)}`);
      const all = processes();
      const shell = all.find((p) => p.args.includes(marker));
      running = shell ? [shell, ...all.filter((p) => p.ppid === shell.pid)] : [];
      return running.some((p) => p.args === 'sleep 30');
    }, 60_000);
    const steady = builder.build(request(service('steady'), sha, steadyLines, new AbortController().signal));
    await waitFor('the other build to start its RUN step', () => steadyLines.includes('steady-start'), 60_000);
    await sleep(Math.max(0, 1_000 - (Date.now() - started)));
    // On Podman each build has a working container on the base image: both are listed.
    const podman = (await docker.version()).Components?.some((c) => /podman/i.test(c.Name)) ?? false;
    const onBase = async () => ((await workingContainers()) ?? []).filter((c) => c.ImageID === baseId);
    if (podman) expect((await onBase()).length).toBe(2);
    expect(steadyLines).not.toContain(`steady-end ${app}`);

    const abortedAt = Date.now();
    controller.abort();
    const outcome = await sleeper;
    const returnedAfter = Date.now() - abortedAt;
    expect(outcome).toMatchObject({ ok: false, reason: 'build canceled' });
    expect(returnedAfter).toBeLessThan(300);

    // Within 2 s of the cancel nothing of that build runs: no RUN process, no working container.
    await waitFor('the canceled build to be gone from the engine', async () => {
      const alive = new Set(processes().map((p) => p.pid));
      const processesLeft = running.filter((p) => alive.has(p.pid)).length;
      // The other build's working container stays (its step runs 8 s): one left on the base.
      const containersLeft = podman ? (await onBase()).length : 1;
      return [
        ...(processesLeft > 0 ? [`${processesLeft} processes`] : []),
        ...(containersLeft !== 1 ? [`${containersLeft} working containers on the base`] : []),
      ].join('; ');
    }, 2_000 - (Date.now() - abortedAt));
    expect(processes().filter((p) => p.args.includes(marker))).toEqual([]);
    expect(steadyLines).not.toContain(`steady-end ${app}`);
    const image = `${registry}/${app}-sleeper:${sha}`;
    expect(await localImageExists(image)).toBe(false);
    expect(await manifestExists(image)).toBe(false);

    // The other build, from the same base image at the same time, was not disturbed.
    const steadyOutcome = await steady;
    expect(steadyOutcome, JSON.stringify(steadyOutcome)).toEqual({ ok: true, image: expect.stringMatching(new RegExp(`^${registry}/${app}-steady:${sha}@sha256:[0-9a-f]{64}$`)), reused: false });
    expect(steadyLines).toContain(`steady-end ${app}`);
    expect(processes().filter((p) => p.args.includes(marker))).toEqual([]);
    if (podman) await waitFor('the working containers of both builds to go', async () => (await onBase()).length === 0, 5_000);
  }, 150_000);
});
