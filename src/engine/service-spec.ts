import type { EnvironmentConfig, ServiceConfig } from '../config/hoist-config.ts';
import { withSecretRefs, type DeploymentSet, type ServiceSpec } from '../domain/deployment-set.ts';
import type { Placement } from './ports.ts';

/** The service's configuration in the environment, rendered with the version (and image, once known) it runs. */
export function renderSpec(env: EnvironmentConfig, service: ServiceConfig, run: { version: string | null; image: string | null }): ServiceSpec {
  const spec: ServiceSpec = {
    name: service.name,
    type: service.type,
    version: run.version,
    image: run.image,
    build: service.build,
    port: service.port,
    expose: service.port === null ? null : (env.expose[service.name] ?? null),
    env: { ...service.env },
    command: service.command === null ? null : [...service.command],
    replicas: service.replicas,
    health: service.health === null ? null : { ...service.health },
    schedule: service.schedule,
    storage: service.storage,
    // Only when set, as resources: sets recorded before them still read the same.
    ...(service.path === null ? {} : { path: service.path }),
    ...(service.timeoutMs === null ? {} : { timeoutMs: service.timeoutMs }),
    // Only when set: a set recorded before resources existed then still reads the same.
    ...(service.resources === null ? {} : { resources: structuredClone(service.resources) }),
  };
  // References only, never values; left out when there are none, as resources are.
  return withSecretRefs(spec, { secretRefs: structuredClone(service.secretRefs), envFrom: structuredClone(service.envFrom) });
}

export function renderSet(env: EnvironmentConfig, specs: ServiceSpec[]): DeploymentSet {
  return { target: env.targetName, namespace: env.namespace, services: specs };
}

/** What a target needs of the environment to run its services' specs. */
export function placementOf(env: EnvironmentConfig): Placement {
  return { app: env.app, env: env.name, namespace: env.namespace, target: env.target };
}
