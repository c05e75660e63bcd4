import { randomBytes } from 'node:crypto';
import type Dockerode from 'dockerode';
import type { Logger } from 'pino';
import { isNotFound, type ProgressEvent } from '../docker/client.ts';
import { podmanEngine } from '../docker/podman.ts';
import { BuildImages } from './build-images.ts';

/**
 * Stops a canceled build inside the engine.
 *
 * Docker stops a build when its client disconnects. Podman (4.x) lets the RUN step that is
 * executing run to its end and only then notices. Its build steps are buildah "working
 * containers": storage-only entries that the libpod API lists with `external=true` (no labels;
 * `Image` is whatever name the image has now, so nothing there tells one build from another),
 * which no libpod call can stop: removing one leaves the RUN process running, because that
 * process is a runc container of its own that Podman's API does not know.
 *
 * So on Podman each build gets a cgroup parent of its own (`hoist-build-<random>`): every RUN
 * process of that build, and of no other, runs in it. From the build's first RUN step on, a
 * helper container from the build's latest image (RUN steps need its shell) stands by in the
 * host's PID namespace; a cancel signals it, and it SIGKILLs every process of that cgroup for a
 * few seconds (without a helper yet, a cancel starts one that does so at once). The RUN step fails, the build ends, and Podman removes the build's working containers
 * itself (`forcerm`). A build that ends normally dismisses its helper. A build whose step the
 * engine left running without its runtime (see docker-builder.ts) kills it the same way.
 */
export interface BuildStop {
  /** Options to add to the build request (a cgroup parent on Podman, nothing on Docker). */
  readonly options: { cgroupparent?: string };
  /** Every event of the build's output: tells which images the build runs on. */
  follow(event: ProgressEvent): void;
  /** The build's output has ended: nothing of it runs any more. */
  ended(): void;
  /**
   * Stops the build in the engine. `disconnect` (closing the build request) is called as soon
   * as the request is no longer needed; settles once the engine has been told, never rejects.
   */
  stop(disconnect: () => void): Promise<void>;
  /**
   * Kills what is left of the build's RUN steps after it ended: a step whose runtime the engine
   * killed goes on running on its own. Settles once the engine has been told, never rejects.
   */
  killLeftovers(): Promise<void>;
}

/** How long a stop waits for the build's output to name an image before giving up. */
const WAIT_FOR_IMAGE_MS = 10_000;

/**
 * Waits (at most 1 h) for SIGUSR1 unless HOIST_STOP_NOW is set, then kills every process of
 * cgroup $HOIST_BUILD_CGROUP, 25 times 0.2 s apart. Only sh builtins, and sleep.
 */
const HELPER_SCRIPT = `trap 'go=1' USR1
n=0
while [ -z "$go" ] && [ -z "$HOIST_STOP_NOW" ]; do
  [ "$n" -lt 3600 ] || exit 0
  n=$((n + 1))
  sleep 1 & wait $!
done
n=0
while [ "$n" -lt 25 ]; do
  for f in /proc/[0-9]*/cgroup; do
    while IFS= read -r line; do
      case "$line" in
        */"$HOIST_BUILD_CGROUP" | */"$HOIST_BUILD_CGROUP"/*) p=\${f#/proc/}; kill -9 "\${p%/cgroup}" 2>/dev/null; break ;;
      esac
    done 2>/dev/null <"$f"
  done
  n=$((n + 1))
  sleep 0.2 2>/dev/null || sleep 1 2>/dev/null || break
done
`;

const NOTHING_TO_STOP: BuildStop = {
  options: {},
  follow: () => {},
  ended: () => {},
  stop: async (disconnect) => disconnect(),
  killLeftovers: async () => {},
};

/** Prepares one build's stop; never rejects (an engine it cannot probe gets Docker's behaviour). */
export async function prepareBuildStop(docker: Dockerode, logger?: Logger): Promise<BuildStop> {
  const engine = await podmanEngine(docker).catch((error: unknown) => {
    logger?.warn({ err: error }, 'could not tell whether the engine is Podman: a canceled build may finish its current step');
    return null;
  });
  if (!engine) return NOTHING_TO_STOP;
  if (engine.rootless) {
    // A cgroup of its own is not for rootless builds.
    logger?.debug('rootless Podman: a canceled build finishes its current step');
    return NOTHING_TO_STOP;
  }
  return podmanBuildStop(docker, logger);
}

function podmanBuildStop(docker: Dockerode, logger?: Logger): BuildStop {
  const cgroup = `hoist-build-${randomBytes(6).toString('hex')}`;
  const images = new BuildImages();
  /** Images no helper could start from (no /bin/sh, say). */
  const failed = new Set<string>();
  /** An image not there yet (still being pulled) is tried again from then on. */
  let retryAt = 0;
  let lastError: unknown = new Error('the build has not named an image yet');
  /** The helper standing by (null: none could start). */
  let helper: Promise<Dockerode.Container | null> | null = null;
  /** A helper is wanted from the first RUN step on (a build without one has nothing to kill). */
  let wanted = false;
  let ended = false;
  let stopping = false;
  let wake: () => void = () => {};
  const named = new Promise<void>((resolve) => (wake = resolve));

  const dismiss = (container: Dockerode.Container) => container.kill().catch(() => undefined);

  /** Starts a helper that stands by, from the best image not failed yet. */
  const standBy = (): void => {
    if (!wanted || helper || ended || stopping || Date.now() < retryAt) return;
    const image = images.candidates().find((candidate) => !failed.has(candidate));
    if (!image) return;
    const starting: Promise<Dockerode.Container | null> = startHelper(docker, image, cgroup, false).then(
      async (container) => {
        if (ended && !stopping) await dismiss(container);
        return container;
      },
      (error: unknown) => {
        if (isNotFound(error)) retryAt = Date.now() + 1_000;
        else failed.add(image);
        lastError = error;
        if (helper === starting) helper = null;
        standBy();
        return null;
      },
    );
    helper = starting;
  };

  /** Starts a helper that kills the build's processes at once, from the best image that can run one: that image, or null (lastError says why). */
  const killNow = async (): Promise<string | null> => {
    for (const image of images.candidates().filter((candidate) => !failed.has(candidate))) {
      try {
        await startHelper(docker, image, cgroup, true);
        return image;
      } catch (error) {
        lastError = error;
      }
    }
    return null;
  };

  return {
    options: { cgroupparent: cgroup },
    follow(event) {
      if (!event.stream) return;
      if (images.follow(event.stream)) wake();
      if (/^STEP \d+(?:\/\d+)?: RUN\b/im.test(event.stream)) wanted = true;
      standBy();
    },
    ended() {
      ended = true;
      wake();
      if (!stopping) void helper?.then((container) => container && dismiss(container));
    },
    async stop(disconnect) {
      const started = Date.now();
      if (images.candidates().length === 0 && !ended) {
        // The build may not have reported its FROM yet; a RUN step can start even so.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([named, new Promise((resolve) => (timer = setTimeout(resolve, WAIT_FOR_IMAGE_MS)))]);
        clearTimeout(timer);
      }
      const finished = ended;
      disconnect();
      if (finished) return;
      wanted = true;
      standBy();
      stopping = true;
      const standing = await helper;
      if (standing) {
        try {
          await standing.kill({ signal: 'SIGUSR1' });
          logger?.info({ cgroup, ms: Date.now() - started }, 'canceled build: its processes are being killed in the engine');
          return;
        } catch (error) {
          // It may stand by still, for nothing now: a helper that kills at once takes over.
          lastError = error;
          await dismiss(standing);
        }
      }
      const image = await killNow();
      if (image) logger?.info({ cgroup, image, ms: Date.now() - started }, 'canceled build: its processes are being killed in the engine');
      else logger?.warn({ err: lastError, cgroup }, 'could not stop a canceled build in the engine: it ends after its current step');
    },
    async killLeftovers() {
      const image = await killNow();
      if (image) logger?.info({ cgroup, image }, 'a build step left running by the engine is being killed');
      else logger?.warn({ err: lastError, cgroup }, 'could not kill a build step left running by the engine: it runs to its end');
    },
  };
}

/** Creates and starts a helper for the build's cgroup; removes it again if it cannot start. */
async function startHelper(docker: Dockerode, image: string, cgroup: string, now: boolean): Promise<Dockerode.Container> {
  const container = await docker.createContainer({
    name: `${cgroup}-${now ? 'stop' : 'standby'}`,
    Image: image,
    Entrypoint: ['/bin/sh', '-c', HELPER_SCRIPT],
    Cmd: [],
    User: '0:0',
    WorkingDir: '/',
    Env: [`HOIST_BUILD_CGROUP=${cgroup}`, ...(now ? ['HOIST_STOP_NOW=1'] : [])],
    Labels: { 'io.hoist.build.stop': cgroup },
    HostConfig: {
      PidMode: 'host',
      // Host cgroup paths in /proc/<pid>/cgroup (not in the typings, known to the API since 1.41).
      CgroupnsMode: 'host',
      NetworkMode: 'none',
      AutoRemove: true,
      // Signals to processes of other containers: no SELinux/AppArmor confinement in the way.
      SecurityOpt: ['label=disable', 'apparmor=unconfined'],
    } as Dockerode.HostConfig,
  });
  try {
    await container.start();
  } catch (error) {
    await container.remove({ force: true }).catch(() => undefined);
    throw error;
  }
  return container;
}
