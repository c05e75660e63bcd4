import type Dockerode from 'dockerode';

/** What Hoist needs to know of a Podman engine. */
export interface PodmanEngine {
  rootless: boolean;
}

const engines = new WeakMap<Dockerode, Promise<PodmanEngine | null>>();

/**
 * The Podman engine behind a Docker-compatible client (its libpod API answers), or null for
 * an engine without the libpod API (Docker). Remembered per client once known; a failed probe
 * (engine unreachable) is tried again next time.
 */
export function podmanEngine(docker: Dockerode): Promise<PodmanEngine | null> {
  let known = engines.get(docker);
  if (!known) {
    known = probe(docker);
    engines.set(docker, known);
    known.catch(() => engines.delete(docker));
  }
  return known;
}

function probe(docker: Dockerode): Promise<PodmanEngine | null> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      // Podman 4.3 answers the libpod API only under a version prefix.
      { path: '/v4.0.0/libpod/info', method: 'GET', statusCodes: { 200: true, 404: 'not found', 500: 'server error' } },
      (error, data) => {
        if (error) {
          if ((error as { statusCode?: number }).statusCode === 404) resolve(null);
          else reject(error);
          return;
        }
        const info = data as { host?: { security?: { rootless?: boolean } } } | null;
        resolve({ rootless: info?.host?.security?.rootless === true });
      },
    );
  });
}
