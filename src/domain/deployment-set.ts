import type { Resources } from './resources.ts';
import { parseSecretRefs, type SecretFromRef, type SecretKeyRef, type SecretRefs } from './secret-refs.ts';
import { SERVICE_TYPES, type ServiceType } from './service-order.ts';

/**
 * A deployment's rendered configuration, the "deployment set": per service what was
 * applied (or is to be applied) — version, image, port, env, command, replicas,
 * health. Redeploy compares against it; rollback applies an earlier one again.
 */
export interface ServiceSpec {
  name: string;
  type: ServiceType;
  /** Commit SHA for a built service, the image otherwise; null when not known. */
  version: string | null;
  /** The image run; null for a built service until its image exists. */
  image: string | null;
  build: { context: string; dockerfile: string } | null;
  port: number | null;
  /** The host port serving it (docker target), or null. */
  expose: number | null;
  env: Record<string, string>;
  /** Variables read from a key of a secret (references, never values); only when there are any. */
  secretRefs?: Record<string, SecretKeyRef>;
  /** Secrets whose every key becomes a variable; only when there are any. */
  envFrom?: SecretFromRef[];
  command: string[] | null;
  replicas: number;
  health: { path: string; timeoutMs: number } | null;
  schedule: string | null;
  storage: string | null;
  /** A database's data directory in the container, when configured (else the image's known one); absent otherwise. */
  path?: string;
  /** A lifecycle job's longest run; absent for other types. */
  timeoutMs?: number;
  /** CPU and memory requests and limits; absent in sets recorded before they could be set. */
  resources?: Resources | null;
  /** What the target applied for it, as it sent it (Kubernetes objects); absent where the target has none. */
  manifests?: unknown[];
  /** For an image service deployed at a tag the request named: what its registry said at request time. */
  tagCheck?: TagCheck;
  /**
   * For an image service of a deploy that waits for approval: what its registry said of the
   * configured image when the deploy was recorded; `image` then carries the digest it runs by.
   */
  imageCheck?: TagCheck;
}

/** `resolved`: the registry has the tag (and named its digest, when it did); `unchecked`: the registry could not be asked. */
export type TagCheck = { status: 'resolved'; digest: string | null } | { status: 'unchecked'; reason: string };

export interface DeploymentSet {
  target: string;
  namespace: string;
  services: ServiceSpec[];
  /** Services a `destroy` removed from the target with their data: none of their configuration runs any more. */
  removed?: string[];
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** The configuration alone: the manifests are what a target made of it (and name the deployment). */
function configurationOf(spec: ServiceSpec): Omit<ServiceSpec, 'manifests'> {
  const { manifests: _manifests, ...configuration } = spec;
  return configuration;
}

/** Whether two specs apply the same thing (same version, image and configuration). */
export function sameSpec(a: ServiceSpec, b: ServiceSpec): boolean {
  return canonical(configurationOf(a)) === canonical(configurationOf(b));
}

/** The spec's secret references (none for a spec without any). */
export function secretRefsOf(spec: Pick<ServiceSpec, 'secretRefs' | 'envFrom'>): SecretRefs {
  return { secretRefs: spec.secretRefs ?? {}, envFrom: spec.envFrom ?? [] };
}

/** The spec with these references (fields left out when empty, so a set without any reads as before they existed). */
export function withSecretRefs<T extends ServiceSpec>(spec: T, refs: SecretRefs): T {
  const { secretRefs: _env, envFrom: _from, ...rest } = spec;
  return {
    ...rest,
    ...(Object.keys(refs.secretRefs).length > 0 ? { secretRefs: refs.secretRefs } : {}),
    ...(refs.envFrom.length > 0 ? { envFrom: refs.envFrom } : {}),
  } as T;
}

export function specOf(set: DeploymentSet | null, service: string): ServiceSpec | null {
  return set?.services.find((s) => s.name === service) ?? null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseTagCheck(value: unknown): TagCheck | null {
  if (!isRecord(value)) return null;
  if (value.status === 'resolved') return { status: 'resolved', digest: typeof value.digest === 'string' ? value.digest : null };
  if (value.status === 'unchecked' && typeof value.reason === 'string') return { status: 'unchecked', reason: value.reason };
  return null;
}

function parseSpec(value: unknown): ServiceSpec | null {
  // Sets recorded before versions were part of them list the configuration only.
  if (!isRecord(value) || typeof value.name !== 'string' || !('version' in value)) return null;
  if (!(SERVICE_TYPES as readonly unknown[]).includes(value.type)) return null;
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  const tagCheck = parseTagCheck(value.tagCheck);
  const imageCheck = parseTagCheck(value.imageCheck);
  const refs = parseSecretRefs(value.secretRefs, value.envFrom);
  return {
    name: value.name,
    type: value.type as ServiceType,
    version: text(value.version),
    image: text(value.image),
    build: isRecord(value.build) ? (value.build as ServiceSpec['build']) : null,
    port: num(value.port),
    expose: num(value.expose),
    env: isRecord(value.env) ? (value.env as Record<string, string>) : {},
    ...(Object.keys(refs.secretRefs).length > 0 ? { secretRefs: refs.secretRefs } : {}),
    ...(refs.envFrom.length > 0 ? { envFrom: refs.envFrom } : {}),
    command: Array.isArray(value.command) ? (value.command as string[]) : null,
    replicas: num(value.replicas) ?? 1,
    health: isRecord(value.health) ? (value.health as ServiceSpec['health']) : null,
    schedule: text(value.schedule),
    storage: text(value.storage),
    ...(typeof value.path === 'string' ? { path: value.path } : {}),
    ...(typeof value.timeoutMs === 'number' ? { timeoutMs: value.timeoutMs } : {}),
    ...(isRecord(value.resources) ? { resources: value.resources as unknown as Resources } : {}),
    ...(Array.isArray(value.manifests) ? { manifests: value.manifests as unknown[] } : {}),
    ...(tagCheck === null ? {} : { tagCheck }),
    ...(imageCheck === null ? {} : { imageCheck }),
  };
}

/** A stored deployment set; null when there is none or it is not one (recorded by an older version). */
export function parseDeploymentSet(value: unknown): DeploymentSet | null {
  if (!isRecord(value) || !Array.isArray(value.services)) return null;
  const services = value.services.map(parseSpec);
  if (services.some((s) => s === null)) return null;
  const removed = Array.isArray(value.removed) ? value.removed.filter((r): r is string => typeof r === 'string') : [];
  return {
    target: typeof value.target === 'string' ? value.target : '',
    namespace: typeof value.namespace === 'string' ? value.namespace : '',
    services: services as ServiceSpec[],
    ...(removed.length > 0 ? { removed } : {}),
  };
}
