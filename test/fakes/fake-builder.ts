import type { BuildRequest, Builder, Outcome } from '../../src/engine/ports.ts';

export interface FakeBuilder {
  builder: Builder;
  /** Every build asked for, in order. */
  builds: { app: string; service: string; sha: string }[];
}

/**
 * A builder that builds nothing: it answers at once with the image a real build would
 * push, `registry.test/<app>-<service>:<sha>`, so deployments run without Podman.
 */
export function createFakeBuilder(): FakeBuilder {
  const builds: FakeBuilder['builds'] = [];
  const builder: Builder = {
    build(request: BuildRequest): Promise<Outcome<{ image: string; reused: boolean }>> {
      builds.push({ app: request.app, service: request.service.name, sha: request.sha });
      request.log(`fake build of ${request.service.name} at ${request.sha}`);
      return Promise.resolve({ ok: true, image: `registry.test/${request.app}-${request.service.name}:${request.sha}`, reused: false });
    },
  };
  return { builder, builds };
}
