import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { Logger } from 'pino';
import type { CallErrors } from '../../domain/call-errors.ts';
import { redact } from '../../domain/redact.ts';
import { followProgress, isNotFound, type ProgressEvent } from '../docker/client.ts';
import { podmanEngine } from '../docker/podman.ts';
import type { Builder, BuildRequest, Outcome, Source } from '../ports.ts';
import { SourceError } from '../source/git-source.ts';
import { BuildLog } from './build-log.ts';
import { prepareBuildStop } from './build-stopper.ts';
import { lookupManifest, parseImageReference, type RegistryAuth } from './registry-manifest.ts';

export interface DockerBuilderOptions {
  docker: Dockerode;
  source: Source;
  /**
   * Where images go: `host[:port]/path`, e.g. `127.0.0.1:5000/hoist`. Empty: images stay
   * on the engine (`localhost/hoist/...`), which only a docker target on that engine can run.
   */
  registry: string;
  auth?: RegistryAuth | null;
  logger?: Logger;
  /** Speak plain HTTP to the registry; default: only for loopback registries. */
  plainHttp?: boolean;
  /** Counts the registry's failed answers: manifest checks, and pushes and pulls the engine reports failed. */
  callErrors?: CallErrors;
  /**
   * The image Hoist ran for this service at this commit before, bound to its digest
   * (`<image>@sha256:…`, `image` being `<repository>:<commit>`), or null: reused as long as the
   * registry has it, whatever the tag names there by then.
   */
  builtBefore?(where: { app: string; service: string; sha: string; image: string }): Promise<string | null>;
}

type BuildOutcome = Outcome<{ image: string; reused: boolean }>;

/** How many times a push is tried whose freshly built image the engine does not find by its tag. */
const LOST_TAG_ATTEMPTS = 3;

/**
 * Builds that fail for no reason of their own, in the engine's words, and what the build log says
 * of each before the same build is run once more:
 * - Podman before 4.6 (buildah before 1.31) SIGKILLs a RUN step's runtime at random: it starts the
 *   runtime with a parent-death signal, which fires when Go retires the thread that started it,
 *   not when Podman exits (containers/podman#17918). The step goes on running without it
 *   (`leftovers`: it is killed before the next try).
 * - Podman's check for a cached step reads every image's top layer, and fails when another image
 *   is removed from its store meanwhile.
 */
const ENGINE_FAULTS: readonly { words: RegExp; said: string; leftovers: boolean }[] = [
  {
    words: /while running runtime: signal: killed/,
    said: 'the engine killed the runtime of a RUN step, not the step itself (Podman before 4.6 does so at random)',
    leftovers: true,
  },
  {
    words: /checking if cached image exists from a previous build: .*layer not known/,
    said: 'the engine’s image store changed while the build looked for cached steps (another image was removed meanwhile)',
    leftovers: false,
  },
];
const ENGINE_FAULT_ATTEMPTS = 2;

/** Builds images with a Docker-compatible engine and pushes them to one registry. */
export function createDockerBuilder(options: DockerBuilderOptions): Builder {
  const { docker, source, logger } = options;
  const localOnly = options.registry.trim() === '';
  const registry = localOnly ? 'localhost/hoist' : options.registry.trim().replace(/\/+$/, '');
  const auth = options.auth ?? null;
  const authconfig = auth
    ? { username: auth.username, password: auth.password, serveraddress: parseImageReference(`${registry}/x`).host }
    : undefined;
  // What the engine is decides how a canceled build is stopped; asking takes up to a second.
  void podmanEngine(docker).catch(() => undefined);
  const callErrors = options.callErrors;
  /** Whether the registry has the image, and the digest its tag names there (never, without a registry). */
  const inRegistry = async (image: string, signal: AbortSignal): Promise<{ found: true; digest: string | null } | { found: false }> =>
    localOnly ? { found: false } : lookupManifest(image, { auth, plainHttp: options.plainHttp, signal, ...(callErrors === undefined ? {} : { callErrors }) });

  async function hasLocalImage(image: string): Promise<boolean> {
    try {
      await docker.getImage(image).inspect();
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /**
   * Follows a push or pull, logging its status lines; the first error event is the result.
   * The engine reports the registry's refusal inside an answer that succeeded: a `rejected`
   * registry call (unless the transfer was canceled).
   */
  async function transfer(stream: NodeJS.ReadableStream, log: BuildLog, signal: AbortSignal): Promise<string | null> {
    const result = await followProgress(stream as Readable, (event: ProgressEvent) => {
      if (event.status && !event.progress) log.line([event.id, event.status].filter(Boolean).join(': '));
    });
    if (result.ok) return null;
    if (!signal.aborted) callErrors?.('registry', 'rejected');
    return result.error.trim();
  }

  /** Pushes the image: why it failed, or the digest its tag names in the registry now (null: none said, or no registry). */
  async function push(repository: string, tag: string, log: BuildLog, signal: AbortSignal): Promise<{ error: string } | { digest: string | null }> {
    if (localOnly) return { digest: null };
    log.line(`pushing ${repository}:${tag}`);
    const stream = await docker.getImage(repository).push({ tag, authconfig, abortSignal: signal });
    const error = await transfer(stream, log, signal);
    if (error) return { error };
    // The engine has said "pushed" before while the registry had nothing: believe the registry.
    const pushed = await inRegistry(`${repository}:${tag}`, signal);
    if (!pushed.found) return { error: `the registry does not have ${repository}:${tag}` };
    return { digest: pushed.digest };
  }

  /**
   * Pushes what a build has just made. Podman can answer "image not known" for the tag of a
   * build it reported finished a moment before, when another operation on its image store
   * crosses the push; the image is there under its id. It is tagged again by that id and
   * pushed again, a few times at most, before the push is given up with the reason.
   */
  async function pushBuilt(repository: string, tag: string, id: string | null, log: BuildLog, signal: AbortSignal): Promise<{ error: string } | { digest: string | null }> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await push(repository, tag, log, signal);
      } catch (error) {
        if (!isNotFound(error) || id === null || signal.aborted) throw error;
        if (attempt >= LOST_TAG_ATTEMPTS) return { error: `the engine does not find ${repository}:${tag}, which it has just built as ${id}` };
        log.line(`the engine does not find ${repository}:${tag}, which it has just built: tagging ${id} again`);
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
        try {
          await docker.getImage(id).tag({ repo: repository, tag });
        } catch (again) {
          if (!isNotFound(again)) throw again;
        }
      }
    }
  }

  /**
   * What Hoist built for the commit before (see builtBefore), when the registry still has that
   * digest (a tag that names something else now is said in the log); 'build' when it no longer
   * has it (the commit is built again rather than taken by its tag); null when Hoist knows of none.
   */
  async function reuseBuilt(request: BuildRequest, image: string, log: BuildLog): Promise<BuildOutcome | 'build' | null> {
    const before = localOnly ? null : await options.builtBefore?.({ app: request.app, service: request.service.name, sha: request.sha, image });
    if (!before) return null;
    const digest = before.slice(image.length + 1);
    const [kept, tagged] = await Promise.all([inRegistry(before, request.signal), inRegistry(image, request.signal)]);
    if (!kept.found) {
      log.line(`the registry no longer has ${digest}, which Hoist built for this commit: building it again`);
      return 'build';
    }
    if (!tagged.found) log.line(`warning: the registry no longer has ${image}: running ${digest}, which Hoist built for this commit`);
    else if (tagged.digest !== null && tagged.digest !== digest) log.line(`warning: the registry's ${image} names ${tagged.digest} now, not ${digest}, which Hoist built for this commit: running that`);
    log.line(`reusing ${before}: already built for this commit`);
    return { ok: true, image: before, reused: true };
  }

  async function reuse(image: string, repository: string, tag: string, log: BuildLog, signal: AbortSignal) {
    const [local, remote] = await Promise.all([hasLocalImage(image), inRegistry(image, signal)]);
    if (!local && !remote.found) return null;
    let digest = remote.found ? remote.digest : null;
    if (!remote.found) {
      const pushed = await push(repository, tag, log, signal);
      if ('error' in pushed) return failure(`push failed: ${pushed.error}`, log);
      digest = pushed.digest;
    } else if (!local) {
      log.line(`pulling ${image}`);
      const stream = await docker.pull(image, { authconfig, abortSignal: signal });
      const error = await transfer(stream, log, signal);
      // The registry has it, which is what deployments need; a local copy only saves a pull later.
      if (error) log.line(`warning: could not pull ${image}: ${error}`);
    }
    log.line(`reusing ${image}: already built for this commit`);
    return { ok: true as const, image: pinned(image, digest), reused: true };
  }

  /**
   * The build's failure as an outcome, or what it made (`id`: the image's id, null when the
   * engine did not say); null when canceled before it ended. A build that failed for a fault of
   * the engine's (ENGINE_FAULTS) is run again, once.
   */
  async function buildImage(request: BuildRequest, image: string, log: BuildLog): Promise<BuildOutcome | { built: true; id: string | null } | null> {
    for (let attempt = 1; ; attempt++) {
      const built = await buildOnce(request, image, log);
      if (built === null || !('engineFault' in built)) return built;
      if (attempt >= ENGINE_FAULT_ATTEMPTS || request.signal.aborted) return built.failure;
      log.line(`${built.engineFault}: building again (attempt ${attempt + 1} of ${ENGINE_FAULT_ATTEMPTS})`);
      logger?.warn({ image, attempt, fault: built.engineFault }, 'a build failed for a fault of the engine’s: building again');
    }
  }

  async function buildOnce(request: BuildRequest, image: string, log: BuildLog): Promise<BuildOutcome | { built: true; id: string | null } | { engineFault: string; failure: BuildOutcome } | null> {
    const { service, signal } = request;
    const build = service.build;
    if (!build) throw new Error(`service ${service.name} has no build section`);
    log.line(`building ${image} (context ${build.context}, ${build.dockerfile})`);
    const stopReady = prepareBuildStop(docker, logger);
    let context: Readable;
    try {
      context = await source.archive(request.repo, request.sha, build.context);
    } catch (error) {
      if (error instanceof SourceError) return failure(`build failed: ${error.message}`, log);
      throw error;
    }
    const stopper = await stopReady;
    if (signal.aborted) {
      context.destroy();
      return null;
    }
    // The build request has its own abort: on a cancel the stopper may still need the build's
    // output (which images it runs on) before the request is closed.
    const connection = new AbortController();
    const onAbort = () => {
      context.destroy();
      void stopper.stop(() => connection.abort());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let id: string | null = null;
    const run = (async () => {
      try {
        const stream = await docker.buildImage(context, {
          t: image,
          dockerfile: build.dockerfile,
          rm: true,
          // Without it a failed or aborted build leaves its working container behind.
          forcerm: true,
          // Containers inherit image labels: these must not look like the target's io.hoist.app etc.
          labels: {
            'io.hoist.build.app': request.app,
            'io.hoist.build.service': service.name,
            'org.opencontainers.image.revision': request.sha,
          },
          ...stopper.options,
          abortSignal: connection.signal,
        });
        return await followProgress(stream as Readable, (event) => {
          stopper.follow(event);
          if (typeof event.aux?.ID === 'string') id = event.aux.ID;
          if (event.stream && !signal.aborted) log.write(event.stream);
        });
      } finally {
        stopper.ended();
      }
    })();
    try {
      const result = await untilAborted(run, signal);
      if (result === ABORTED) return null;
      if (!result.ok) {
        const message = result.error.trim();
        log.line(`error: ${message}`);
        const failed = failure(`build failed: ${message.split('\n')[0]}`, log);
        const fault = ENGINE_FAULTS.find((f) => f.words.test(message));
        if (!fault) return failed;
        // A step going on without its runtime is not left running beside the next try.
        if (fault.leftovers) await stopper.killLeftovers();
        return { engineFault: fault.said, failure: failed };
      }
      log.flush();
      return { built: true, id };
    } catch (error) {
      if (signal.aborted) return null;
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  return {
    async build(request) {
      const { app, service, sha, signal } = request;
      const repository = `${registry}/${app}-${service.name}`;
      const image = `${repository}:${sha}`;
      const log = new BuildLog(request.log);
      const canceled = () => failure('build canceled', log);
      if (signal.aborted) return canceled();
      const started = Date.now();
      try {
        const known = await reuseBuilt(request, image, log);
        if (known !== null && known !== 'build') return known;
        // Nothing Hoist built for this commit: what the registry or the engine has under its tag.
        const reused = known === null ? await reuse(image, repository, sha, log, signal) : null;
        if (reused) return reused;
        const built = await buildImage(request, image, log);
        if (built === null || signal.aborted) return canceled();
        if (!('built' in built)) return built;
        const pushed = await pushBuilt(repository, sha, built.id, log, signal);
        if ('error' in pushed) return failure(`push failed: ${pushed.error}`, log);
        logger?.info({ image, digest: pushed.digest, ms: Date.now() - started }, 'image built and pushed');
        return { ok: true, image: pinned(image, pushed.digest), reused: false };
      } catch (error) {
        if (signal.aborted) return canceled();
        throw error;
      }
    },
  };
}

/**
 * The image as it is run and recorded: bound to the digest the registry named for its tag right
 * after the push (or when it was found there), so that a redeploy or rollback of this deployment
 * runs what was built, even if the tag is pushed over later. Without a digest (no registry, or
 * one that does not say), the tag.
 */
function pinned(image: string, digest: string | null): string {
  return digest === null ? image : `${image}@${digest}`;
}

/** A reason may quote the engine's or the registry's words, which may carry a URL's credentials. */
function failure(reason: string, log: BuildLog): { ok: false; reason: string; logTail: string[] } {
  return { ok: false, reason: redact(reason), logTail: log.tail() };
}

const ABORTED = Symbol('aborted');

/** The work's result, or ABORTED as soon as the signal fires (the work goes on unobserved). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  work.catch(() => undefined);
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
