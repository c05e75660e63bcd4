import type { Readable } from 'node:stream';
import type { GitHubRepo, TargetConfig } from '../config/hoist-config.ts';
import type { CommitCheck } from '../domain/checks.ts';
import type { ServiceSpec } from '../domain/deployment-set.ts';
import type { EnvironmentReading } from '../domain/running-status.ts';
import type { SecretValues } from '../domain/secret-refs.ts';

/** Receives a deployment's log lines as they happen (build output, container output, engine notes). */
export type LogSink = (line: string) => void;

export type Outcome<T = object> = ({ ok: true } & T) | { ok: false; reason: string; logTail: string[] };

export interface Source {
  /** Resolves a ref (null: the default branch, or `branch`) to a full commit SHA, once. */
  resolve(repo: string, ref: string | null): Promise<{ ok: true; sha: string } | { ok: false; reason: string }>;
  /** A tar stream of the tree `context` (a directory relative to the repository root) at `sha`. */
  archive(repo: string, sha: string, context: string): Promise<Readable>;
}

export interface BuildRequest {
  app: string;
  service: ServiceSpec;
  repo: string;
  sha: string;
  signal: AbortSignal;
  log: LogSink;
}

export interface Builder {
  /** Builds (or reuses) `<registry>/<app>-<service>:<sha>` and pushes it; returns the image reference. */
  build(request: BuildRequest): Promise<Outcome<{ image: string; reused: boolean }>>;
}

/** What an image's registry says of its tag (or digest), asked without pulling. */
export type TagLookup =
  | { status: 'found'; digest: string | null }
  | { status: 'missing'; reason: string }
  /** The registry could not be asked (unreachable, credentials needed, an unexpected answer). */
  | { status: 'unchecked'; reason: string };

export interface ImageRegistry {
  lookup(image: string): Promise<TagLookup>;
}

/**
 * Where an environment's services run: what a target needs of the environment besides each
 * service's recorded spec (which carries its own host port, `expose`).
 */
export interface Placement {
  app: string;
  env: string;
  namespace: string;
  /** The environment's target as configured (the Kubernetes target reads its image pull secrets). */
  target: TargetConfig;
}

export interface RolloutRequest {
  deploymentId: number;
  placement: Placement;
  /** What to run, as the deployment recorded it. */
  service: ServiceSpec;
  /** The image to run (the spec's, or the one just built for it). */
  image: string;
  /** What the deployment calls this version: the commit SHA for built services, else the image. */
  version: string;
  /**
   * The values of the spec's secret references, read by the engine at rollout for a target that
   * runs values (docker); absent where the target passes the references on (Kubernetes).
   */
  secrets?: SecretValues;
  signal: AbortSignal;
  log: LogSink;
}

export interface RunningService {
  service: string;
  version: string | null;
  image: string;
  deploymentId: number | null;
  /** Where it answers, when the target knows (e.g. `http://127.0.0.1:8080`). */
  endpoint: string | null;
  healthy: boolean;
  /** Replicas (containers, pods) that run and are ready, of the `desired` count its deployment asked for. */
  ready: number;
  desired: number;
}

/** An action on what already runs for one service (stop, restart, remove, destroy). */
export interface ServiceRequest {
  deploymentId: number;
  placement: Placement;
  service: ServiceSpec;
  signal: AbortSignal;
  log: LogSink;
}

export interface Target {
  /**
   * Rolls the service out; on failure what ran before keeps running. `manifests`: what
   * it applied, as sent (Kubernetes objects), kept in the deployment set.
   */
  rollout(request: RolloutRequest): Promise<Outcome<{ manifests?: unknown[] }>>;
  /** What runs now for the environment's services, from the target's side. */
  inspect(placement: Placement): Promise<RunningService[]>;
  /** Stops the service (containers stopped, scaled to zero), keeping its volumes and its configuration. */
  stop(request: ServiceRequest): Promise<Outcome<{ stopped: number }>>;
  /** Restarts what runs without changing it, and waits until it is healthy again. */
  restart(request: ServiceRequest): Promise<Outcome>;
  /** Removes the service from the target (volumes kept): a service rolled back to before it first ran. */
  remove(request: ServiceRequest): Promise<Outcome<{ removed: number }>>;
  /**
   * What the service's running replicas (containers, pods) write: the last `tail` lines of
   * each, merged oldest first, then, with `follow`, each line as it comes until `signal`
   * aborts or every replica followed has ended.
   */
  serviceLogs(request: ServiceLogRequest): AsyncIterable<ReplicaLogLine>;
  /** CPU and memory of each running replica now, or why the target cannot tell. */
  usage(placement: Placement, service: ServiceSpec): Promise<UsageReading>;
  /**
   * Follows what runs in these environments (a Kubernetes watch, the engine's events) and calls
   * `onReading` with an environment's workloads each time they may have changed, and with
   * `{ ok: false }` while the target cannot be reached. Runs until `stop`.
   */
  watchRunning(placements: readonly Placement[], onReading: (placement: Placement, reading: EnvironmentReading) => void): RunningWatch;
  /**
   * Removes the service and its data for good (a `destroy`): what runs and its volumes or volume
   * claims. `removed` names each object removed; nothing left to remove is a success.
   */
  destroy(request: ServiceRequest): Promise<Outcome<{ removed: string[] }>>;
}

/** A running watch of a target's environments. */
export interface RunningWatch {
  stop(): Promise<void>;
}

export interface ServiceLogRequest {
  placement: Placement;
  service: ServiceSpec;
  /** Lines of each replica's recent output to start with (at least 1). */
  tail: number;
  follow: boolean;
  signal: AbortSignal;
}

/** A line a replica wrote, named by its replica (`pod` or `pod/container` on Kubernetes, the container's name on Docker). */
export interface ReplicaLogLine {
  replica: string;
  /** When the engine received it (null when it did not say). */
  at: Date | null;
  line: string;
}

export interface ReplicaUsage {
  replica: string;
  /** CPU in cores (0.25 = a quarter of one core), averaged over the target's last sample window. */
  cpuCores: number | null;
  memoryBytes: number | null;
  /** The memory the replica may use (its limit, or the host's memory), when the target says. */
  memoryLimitBytes: number | null;
}

/** `ok: false`: the target cannot measure now (a cluster without metrics-server); the reason says so and what would help. */
export type UsageReading =
  | { ok: true; replicas: ReplicaUsage[]; window: string | null }
  | { ok: false; reason: string };

/** What GitHub reports of a commit's CI: its commit statuses and check runs, or why it could not be asked. */
export type ChecksReading = { ok: true; checks: CommitCheck[] } | { ok: false; reason: string };

export interface CommitChecks {
  read(repo: GitHubRepo, sha: string): Promise<ChecksReading>;
}
