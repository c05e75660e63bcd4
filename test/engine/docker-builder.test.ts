import { mkdtempSync, rmSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../src/domain/deployment-set.ts';
import { createDockerBuilder } from '../../src/engine/build/docker-builder.ts';
import { manifestExists } from '../../src/engine/build/registry-manifest.ts';
import { createDocker, isNotFound } from '../../src/engine/docker/client.ts';
import type { Builder, BuildRequest } from '../../src/engine/ports.ts';
import { createGitSource } from '../../src/engine/source/git-source.ts';
import { baseImage, dockerHost, registry, uniqueName } from './engine-env.ts';
import { pushOver } from '../support/containers.ts';
import { pinnedInRegistry } from '../support/image-tags.ts';
import { createGitFixture, type GitFixture } from './git-fixture.ts';
import { processes, waitFor } from './host-processes.ts';

const docker = createDocker(dockerHost);
const app = uniqueName('bt');

function service(name: string, context = 'app'): ServiceSpec {
  return {
    name,
    type: 'application',
    build: { context, dockerfile: 'Dockerfile' },
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

describe('docker builder', () => {
  let repo: GitFixture;
  let cacheDir: string;
  let builder: Builder;
  const request = (svc: ServiceSpec, sha: string, lines: string[], signal = new AbortController().signal): BuildRequest => ({
    app,
    service: svc,
    repo: repo.dir,
    sha,
    signal,
    log: (line) => lines.push(line),
  });

  beforeAll(() => {
    repo = createGitFixture('hoist-builder');
    cacheDir = mkdtempSync(join(tmpdir(), 'hoist-builder-cache-'));
    builder = createDockerBuilder({ docker, source: createGitSource({ cacheDir }), registry });
  });

  afterAll(async () => {
    // Images stay: removing one while another file builds from shared layers breaks that build in Podman.
    repo.remove();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('builds and pushes an image tagged with the commit, then reuses it', async () => {
    const sha = repo.commit('web', {
      // Its own step (the app's name in it), so that no earlier run's layer cache answers it.
      'app/Dockerfile': `FROM ${baseImage}\nCOPY index.html /www/index.html\nRUN echo built-at-step-three-${app}\n`,
      'app/index.html': 'hello\n',
      'README.md': 'outside the context\n',
    });
    const lines: string[] = [];
    const first = await builder.build(request(service('web'), sha, lines));
    const image = `${registry}/${app}-web:${sha}`;
    // Bound to the digest the registry names for the tag: what a redeploy of it will run.
    const pinned = await pinnedInRegistry(image);
    expect(first).toEqual({ ok: true, image: pinned, reused: false });
    expect(lines).toContain(`built-at-step-three-${app}`);
    expect(await manifestExists(image)).toBe(true);

    const again: string[] = [];
    expect(await builder.build(request(service('web'), sha, again))).toEqual({ ok: true, image: pinned, reused: true });
    expect(again.join('\n')).not.toContain('built-at-step-three');

    // Only in the registry (another machine built it): pulled, not rebuilt.
    // Untag (layers shared with other images stay). Forced: Podman may still hold this build's
    // own container for a moment after the build answered; nothing else uses this image.
    await removeImage(image);
    const pulled: string[] = [];
    expect(await builder.build(request(service('web'), sha, pulled))).toEqual({ ok: true, image: pinned, reused: true });
    expect(await localImageExists(image)).toBe(true);
    expect(pulled.join('\n')).not.toContain('built-at-step-three');
  });

  it('reuses what it built for a commit before, by that digest, even once the tag is pushed over', async () => {
    const sha = repo.commit('kept', { 'kept/Dockerfile': `FROM ${baseImage}\nRUN echo kept-${app}\n` });
    const repository = `${registry}/${app}-kept`;
    const image = `${repository}:${sha}`;
    const first = await builder.build(request(service('kept', 'kept'), sha, []));
    const pinned = await pinnedInRegistry(image);
    expect(first).toEqual({ ok: true, image: pinned, reused: false });

    // Someone pushes another image over the commit's tag.
    await pushOver(baseImage, repository, sha);
    const over = await pinnedInRegistry(image);
    expect(over).not.toBe(pinned);
    const asked: unknown[] = [];
    const remembering = (before: string) =>
      createDockerBuilder({
        docker,
        source: createGitSource({ cacheDir }),
        registry,
        builtBefore: async (where) => {
          asked.push(where);
          return before;
        },
      });
    const lines: string[] = [];
    expect(await remembering(pinned).build(request(service('kept', 'kept'), sha, lines))).toEqual({ ok: true, image: pinned, reused: true });
    expect(asked).toEqual([{ app, service: 'kept', sha, image }]);
    const digestOf = (pinnedImage: string) => pinnedImage.slice(pinnedImage.indexOf('@') + 1);
    expect(lines).toContain(`warning: the registry's ${image} names ${digestOf(over)} now, not ${digestOf(pinned)}, which Hoist built for this commit: running that`);

    // Without that memory, the tag is what is reused.
    expect(await builder.build(request(service('kept', 'kept'), sha, []))).toEqual({ ok: true, image: over, reused: true });
    // What it built gone from the registry: the commit is built again, not taken by its tag.
    const gone = `${image}@sha256:${'0'.repeat(64)}`;
    const again: string[] = [];
    const rebuilt = await remembering(gone).build(request(service('kept', 'kept'), sha, again));
    expect(again).toContain(`the registry no longer has sha256:${'0'.repeat(64)}, which Hoist built for this commit: building it again`);
    expect(rebuilt).toEqual({ ok: true, image: await pinnedInRegistry(image), reused: false });
    expect(rebuilt.ok && rebuilt.image).not.toBe(over);
  });

  it('pushes an image it has just built when the engine does not find it by its tag at first', async () => {
    const sha = repo.commit('blink', {
      'blink/Dockerfile': `FROM ${baseImage}\nRUN echo blink-${app}\n`,
    });
    const repository = `${registry}/${app}-blink`;
    // The engine's answer to the first push: "image not known", as Podman gives when another
    // operation on its image store crosses the push. Made real here: the image keeps another tag
    // (and its id) while the one pushed is taken away, just before that push.
    let pushes = 0;
    const losing = new Proxy(docker, {
      get(target, property, receiver) {
        if (property !== 'getImage') return Reflect.get(target, property, receiver) as unknown;
        return (name: string) => {
          const image = target.getImage(name);
          if (name !== repository) return image;
          return Object.assign(Object.create(image) as typeof image, {
            push: async (options: object) => {
              pushes += 1;
              if (pushes === 1) {
                await target.getImage(`${repository}:${sha}`).tag({ repo: repository, tag: 'kept' });
                await target.getImage(`${repository}:${sha}`).remove();
              }
              return image.push(options);
            },
          });
        };
      },
    });
    const lines: string[] = [];
    const losingBuilder = createDockerBuilder({ docker: losing, source: createGitSource({ cacheDir }), registry });
    const result = await losingBuilder.build(request(service('blink', 'blink'), sha, lines));
    expect(result, lines.join('\n')).toEqual({ ok: true, image: await pinnedInRegistry(`${repository}:${sha}`), reused: false });
    expect(pushes).toBe(2);
    expect(lines.some((line) => /does not find .*blink:\w+, which it has just built: tagging sha256:\w+ again/.test(line))).toBe(true);
    expect(await manifestExists(`${repository}:${sha}`)).toBe(true);
  });

  it('reports a failing step with its output in the log tail', async () => {
    const sha = repo.commit('broken', {
      'broken/Dockerfile': `FROM ${baseImage}\nRUN echo boom-marker && false\n`,
    });
    const lines: string[] = [];
    const result = await builder.build(request(service('broken', 'broken'), sha, lines));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toMatch(/^build failed: .*RUN echo boom-marker && false/);
    expect(result.logTail).toContain('boom-marker');
    expect(result.logTail.length).toBeLessThanOrEqual(30);
    expect(lines).toContain('boom-marker');
    expect(await manifestExists(`${registry}/${app}-broken:${sha}`)).toBe(false);
  });

  it('keeps credentials out of the build log and the failure reason', async () => {
    const sha = repo.commit('leaky', {
      'leaky/Dockerfile': `FROM ${baseImage}\nRUN echo cloning https://deploy:s3cr3tTOKEN@git.example.invalid/x.git && false\n`,
    });
    const lines: string[] = [];
    const result = await builder.build(request(service('leaky', 'leaky'), sha, lines));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toContain('https://deploy:[redacted]@git.example.invalid/x.git');
    expect(lines).toContain('cloning https://deploy:[redacted]@git.example.invalid/x.git');
    expect([result.reason, ...result.logTail, ...lines].join('\n')).not.toContain('s3cr3tTOKEN');
  });

  /**
   * Builds a service whose one RUN step sleeps `seconds` (and a fraction of its own), the step's
   * runtime killed `times` times meanwhile: what Podman before 4.6 does at random (its runtime
   * subprocess gets a parent-death SIGKILL when Go retires a thread), made real.
   */
  async function buildKilled(name: string, seconds: number, times: number) {
    const pause = `${seconds}.${Date.now() % 1_000_000}`;
    const sha = repo.commit(name, { [`${name}/Dockerfile`]: `FROM ${baseImage}\nRUN echo ${name}-${app} && sleep ${pause}\n` });
    const lines: string[] = [];
    const killing = killRuntimesOf(`sleep ${pause}`, times);
    const result = await builder.build(request(service(name, name), sha, lines)).finally(() => killing.stop());
    expect(killing.killed()).toBe(times);
    return { sha, pause, lines, result };
  }

  it('builds again, once, when the engine kills a RUN step’s runtime rather than the step', async () => {
    const { sha, lines, result } = await buildKilled('killed', 6, 1);
    expect(result, lines.join('\n')).toEqual({ ok: true, image: await pinnedInRegistry(`${registry}/${app}-killed:${sha}`), reused: false });
    expect(lines.some((line) => line.startsWith('error: ') && line.includes('while running runtime: signal: killed'))).toBe(true);
    expect(lines).toContain('the engine killed the runtime of a RUN step, not the step itself (Podman before 4.6 does so at random): building again (attempt 2 of 2)');
    expect(await manifestExists(`${registry}/${app}-killed:${sha}`)).toBe(true);
  }, 30_000);

  it('builds again, once, when the engine’s image store changed while the build looked for cached steps', async () => {
    const sha = repo.commit('store', { 'store/Dockerfile': `FROM ${baseImage}\nRUN echo store-${app}\n` });
    // The engine's answer, word for word as Podman 4.3 gave it in a full test run, when another
    // image was removed from its store during that check; the second build goes to the engine.
    const words = 'checking if cached image exists from a previous build: getting top layer info: layer not known';
    let builds = 0;
    const racing = new Proxy(docker, {
      get(target, property, receiver) {
        if (property !== 'buildImage') return Reflect.get(target, property, receiver) as unknown;
        return async (context: NodeJS.ReadableStream, options: object) => {
          builds += 1;
          if (builds > 1) return target.buildImage(context, options);
          context.resume();
          const answer = new PassThrough();
          answer.end(`${JSON.stringify({ stream: `STEP 1/2: FROM ${baseImage}\n` })}\n${JSON.stringify({ errorDetail: { message: words }, error: words })}\n`);
          return answer;
        };
      },
    });
    const lines: string[] = [];
    const result = await createDockerBuilder({ docker: racing, source: createGitSource({ cacheDir }), registry }).build(request(service('store', 'store'), sha, lines));
    expect(result, lines.join('\n')).toEqual({ ok: true, image: await pinnedInRegistry(`${registry}/${app}-store:${sha}`), reused: false });
    expect(builds).toBe(2);
    expect(lines).toContain(`error: ${words}`);
    expect(lines).toContain('the engine’s image store changed while the build looked for cached steps (another image was removed meanwhile): building again (attempt 2 of 2)');
    expect(lines).toContain(`store-${app}`);
  });

  it('fails with the engine’s words when the runtime is killed again, and leaves no step running', async () => {
    const { sha, pause, lines, result } = await buildKilled('twice', 9, 2);
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^build failed: .*while running runtime: signal: killed$/) });
    expect(lines.filter((line) => line.includes('building again'))).toHaveLength(1);
    expect(await manifestExists(`${registry}/${app}-twice:${sha}`)).toBe(false);
    // Each killed runtime left its step running (for 9 s): each was killed in turn.
    const returned = Date.now();
    await waitFor(`the steps left running to end`, () => stepsRunning(`sleep ${pause}`), 4_000);
    expect(Date.now() - returned).toBeLessThan(4_000);
  }, 30_000);

  it('reports a build context missing at that commit', async () => {
    const sha = repo.git('rev-parse', 'HEAD');
    const result = await builder.build(request(service('ghost', 'no-such-dir'), sha, []));
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^build failed: no directory "no-such-dir"/) });
  });

  it('stops waiting for a build when the deployment is canceled', async () => {
    const sha = repo.commit('slow', {
      'slow/Dockerfile': `FROM ${baseImage}\nRUN echo slow-start && sleep 3 && echo slow-end\n`,
    });
    const controller = new AbortController();
    const lines: string[] = [];
    let abortedAt = 0;
    const result = builder.build(
      request(service('slow', 'slow'), sha, lines, controller.signal),
    );
    const poll = setInterval(() => {
      if (lines.includes('slow-start') && !controller.signal.aborted) {
        abortedAt = Date.now();
        controller.abort();
      }
    }, 20);
    const outcome = await result.finally(() => clearInterval(poll));
    expect(outcome).toMatchObject({ ok: false, reason: 'build canceled' });
    // Returned at once after the cancel, not at the end of the slow step.
    expect(abortedAt).toBeGreaterThan(0);
    expect(Date.now() - abortedAt).toBeLessThan(1_000);
    expect(lines).not.toContain('slow-end');
    expect(await manifestExists(`${registry}/${app}-slow:${sha}`)).toBe(false);
  });
});

/** '' when no process runs `command`; otherwise which do. */
function stepsRunning(command: string): string {
  return processes()
    .filter((p) => p.args === command)
    .map((p) => `${p.pid} (parent ${p.ppid})`)
    .join(', ');
}

/**
 * SIGKILLs the runtime subprocess (`buildah-oci-runtime`, Podman's) of each RUN step whose command
 * is `command`, up to `times` times, polling the host's processes every 50 ms until stopped.
 */
function killRuntimesOf(command: string, times: number): { killed(): number; stop(): void } {
  let killed = 0;
  const done = new Set<number>();
  const timer = setInterval(() => {
    if (killed >= times) return;
    const listed = processes();
    for (const step of listed.filter((p) => p.args === command)) {
      const runtime = listed.find((p) => p.pid === step.ppid && p.args === 'buildah-oci-runtime');
      if (!runtime || done.has(runtime.pid) || killed >= times) continue;
      done.add(runtime.pid);
      process.kill(runtime.pid, 'SIGKILL');
      killed += 1;
    }
  }, 50);
  return { killed: () => killed, stop: () => clearInterval(timer) };
}

/**
 * Removes an image, forced. Podman answers 500 "container … does not exist in database: no such
 * container" when the build container it goes to remove with the image is being removed by
 * itself at that moment; a moment later the image goes alone.
 */
async function removeImage(image: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await docker.getImage(image).remove({ force: true });
      return;
    } catch (error) {
      const { statusCode, message } = error as { statusCode?: number; message?: string };
      if (statusCode !== 500 || !(message ?? '').includes('no such container') || attempt >= 4) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}
