import type Dockerode from 'dockerode';
import type { ServiceSpec } from '../../domain/deployment-set.ts';
import { cpuCores, memoryBytes, type Resources } from '../../domain/resources.ts';
import type { SecretValues } from '../../domain/secret-refs.ts';
import type { Placement } from '../ports.ts';

/** Labels that tie a container to what Hoist deployed; the target finds its containers by them. */
export const LABELS = {
  app: 'io.hoist.app',
  env: 'io.hoist.env',
  service: 'io.hoist.service',
  deployment: 'io.hoist.deployment',
  version: 'io.hoist.version',
  /** `service` for a container that serves, `canary` for a short-lived pre-check copy, `job` for a lifecycle job's run. */
  role: 'io.hoist.role',
  /** Which of the service's replicas it is: 0 … replicas − 1. */
  replica: 'io.hoist.replica',
  /** How many replicas its deployment runs (what `inspect` reports as desired). */
  replicas: 'io.hoist.replicas',
} as const;

export type ContainerRole = 'service' | 'canary' | 'job';

export interface ContainerPlan {
  placement: Placement;
  service: ServiceSpec;
  deploymentId: number;
  image: string;
  version: string;
  role: ContainerRole;
  /** Host port on 127.0.0.1 for the service's port: a number, `ephemeral`, or none. */
  hostPort: number | 'ephemeral' | null;
  /** Which replica (0 for a canary or a job). */
  replica: number;
  /** A database's named volume and where it mounts; null for anything else. */
  volume: { name: string; path: string } | null;
  /** The values of the service's secret references, read at rollout. */
  secrets?: SecretValues;
}

/**
 * The container's variables: every `envFrom` secret's keys, then `env` (its values, then the
 * keys it reads from secrets), later ones winning, as a pod's env wins over its envFrom.
 */
function environment(service: ServiceSpec, secrets: SecretValues | undefined): string[] {
  const from = Object.assign({}, ...(secrets?.from ?? []).map((f) => f.values)) as Record<string, string>;
  return Object.entries({ ...from, ...service.env, ...(secrets?.env ?? {}) }).map(([key, value]) => `${key}=${value}`);
}

/** Replica 0 keeps the name containers had before replicas existed, so running environments keep working. */
export function containerName(plan: Pick<ContainerPlan, 'placement' | 'service' | 'deploymentId' | 'role' | 'replica'>): string {
  const name = `hoist-${plan.placement.app}-${plan.placement.env}-${plan.service.name}-${plan.deploymentId}`;
  if (plan.role === 'canary') return `${name}-canary`;
  if (plan.role === 'job') return `${name}-job`;
  return plan.replica === 0 ? name : `${name}-${plan.replica}`;
}

/** A database's data volume: one per service and environment, kept across deployments; only a destroy removes it. */
export function volumeName(placement: Pick<Placement, 'app' | 'env'>, service: string): string {
  return `hoist-${placement.app}-${placement.env}-${service}-data`;
}

/** Label filters for `listContainers`: the environment, or one service of it. */
export function labelFilter(placement: Placement, service?: string): string[] {
  const filters = [`${LABELS.app}=${placement.app}`, `${LABELS.env}=${placement.env}`];
  if (service !== undefined) filters.push(`${LABELS.service}=${service}`);
  return filters;
}

export function createOptions(plan: ContainerPlan): Dockerode.ContainerCreateOptions {
  const { service } = plan;
  const portKey = service.port === null ? null : `${service.port}/tcp`;
  const publish = portKey !== null && plan.hostPort !== null;
  return {
    name: containerName(plan),
    Image: plan.image,
    ...(service.command ? { Cmd: service.command } : {}),
    Env: environment(service, plan.secrets),
    Labels: {
      [LABELS.app]: plan.placement.app,
      [LABELS.env]: plan.placement.env,
      [LABELS.service]: service.name,
      [LABELS.deployment]: String(plan.deploymentId),
      [LABELS.version]: plan.version,
      [LABELS.role]: plan.role,
      [LABELS.replica]: String(plan.replica),
      [LABELS.replicas]: String(service.replicas),
    },
    ...(portKey !== null ? { ExposedPorts: { [portKey]: {} } } : {}),
    HostConfig: {
      // An init as PID 1 forwards SIGTERM; many servers (busybox among them) ignore it as PID 1.
      Init: true,
      // A canary only has to pass one health check, a job runs once; the serving container comes back after a crash.
      RestartPolicy: { Name: plan.role === 'service' ? 'unless-stopped' : 'no' },
      ...(plan.volume === null ? {} : { Mounts: [{ Type: 'volume' as const, Source: plan.volume.name, Target: plan.volume.path }] }),
      ...hostResources(service.resources ?? null),
      ...(publish
        ? {
            PortBindings: {
              [portKey]: [{ HostIp: '127.0.0.1', HostPort: plan.hostPort === 'ephemeral' ? '' : String(plan.hostPort) }],
            },
          }
        : {}),
    },
  };
}

/** The host port the engine published for the service's port, from `container.inspect()`. */
export function publishedPort(info: Dockerode.ContainerInspectInfo, port: number): number | null {
  const bindings = info.NetworkSettings.Ports?.[`${port}/tcp`];
  const hostPort = bindings?.find((b) => b.HostPort)?.HostPort;
  return hostPort ? Number(hostPort) : null;
}

/** Limits as the engine takes them: memory in bytes, CPUs in billionths; a memory request is a soft reservation. */
function hostResources(resources: Resources | null): { Memory?: number; NanoCpus?: number; MemoryReservation?: number } {
  if (resources === null) return {};
  const memory = resources.limits.memory === null ? null : memoryBytes(resources.limits.memory);
  const cpus = resources.limits.cpu === null ? null : cpuCores(resources.limits.cpu);
  const reservation = resources.requests.memory === null ? null : memoryBytes(resources.requests.memory);
  return {
    ...(memory === null ? {} : { Memory: memory }),
    ...(cpus === null ? {} : { NanoCpus: Math.round(cpus * 1e9) }),
    ...(reservation === null ? {} : { MemoryReservation: reservation }),
  };
}

/** Why the container cannot be made: a secret reference whose value was not handed over (the engine reads them); null when none is missing. */
export function missingSecrets(service: ServiceSpec, secrets: SecretValues | undefined): string | null {
  const names = [
    ...Object.entries(service.secretRefs ?? {}).filter(([name]) => secrets?.env[name] === undefined).map(([name, ref]) => `${name} (${ref.secret}/${ref.key})`),
    ...(service.envFrom ?? []).filter((ref) => !secrets?.from.some((f) => f.secret === ref.secret)).map((ref) => `envFrom ${ref.secret}`),
  ];
  return names.length === 0 ? null : `no value was read for ${names.join(', ')}: a docker target runs values the engine reads from HOIST_SECRETS_DIR at rollout`;
}
