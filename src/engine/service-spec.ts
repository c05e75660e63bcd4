import type { EnvironmentConfig, ServiceConfig } from '../config/hoist-config.ts';
import { withSecretRefs, type DeploymentSet, type ServiceSpec } from '../domain/deployment-set.ts';
import { serviceUrl } from '../domain/public-url.ts';
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
    ...(service.resources === null ? {} : { resources: copy(service.resources) }),
    ...exposure(env, service),
  };
  // References only, never values; left out when there are none, as resources are.
  return withSecretRefs(spec, { secretRefs: copy(service.secretRefs), envFrom: copy(service.envFrom) });
}

/** A copy the spec owns, made only when there is something to copy (structuredClone costs as much for an empty list as most of a request's own work). */
function copy<T extends object>(value: T): T {
  return Array.isArray(value) && value.length === 0 ? ([] as unknown as T) : structuredClone(value);
}

/** The service's Ingress (kubernetes) and public URL, each only where it has one. */
function exposure(env: EnvironmentConfig, service: ServiceConfig): Pick<ServiceSpec, 'ingress' | 'url'> {
  if (service.port === null) return {};
  const ingress = env.ingress[service.name];
  const url = serviceUrl(env.target, { expose: env.expose[service.name] ?? null, ingress: ingress ?? null });
  return { ...(ingress === undefined ? {} : { ingress: { ...ingress } }), ...(url === null ? {} : { url }) };
}

export function renderSet(env: EnvironmentConfig, specs: ServiceSpec[]): DeploymentSet {
  return { target: env.targetName, namespace: env.namespace, services: specs };
}

/** What a target needs of the environment to run its services' specs. */
export function placementOf(env: EnvironmentConfig): Placement {
  return { app: env.app, env: env.name, namespace: env.namespace, target: env.target };
}
