/**
 * Shapes shared by the fake Kubernetes API server's modules.
 */

/**
 * JSON as the API carries it. API objects are open-ended documents (any field of
 * any kind, unknown fields kept), so the fake reads them as JSON rather than
 * mirroring every Kubernetes type.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API objects are open-ended JSON
export type Json = any;

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** One entry of metadata.managedFields: the fields a manager owns, as fieldsV1. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: FieldTree;
  subresource?: string;
}

/** A set of fields in the API's fieldsV1 encoding: `f:name`, `k:{"name":"web"}`, `.` for the item itself. */
export interface FieldTree {
  [element: string]: FieldTree;
}

export interface ObjectMeta {
  name: string;
  generateName?: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  creationTimestamp: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Json;
  status?: Json;
  [field: string]: Json;
}

/** A Status body, as the API answers failures (and some deletions). */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: Array<{ reason?: string; message: string; field?: string; type?: string }>;
    retryAfterSeconds?: number;
  };
  code: number;
}

/** What an API operation gives back: an object (or Status) and its HTTP code, or a failure Status. */
export type ApiResult<T = KubeObject> =
  | { ok: true; value: T; code: number; warnings?: string[] }
  | { ok: false; status: StatusBody };

export type PodBehaviour =
  | { kind: 'ready'; logs?: string[] }
  | { kind: 'slow'; readySeconds: number; logs?: string[] }
  | { kind: 'never-ready'; logs?: string[] }
  | { kind: 'pull-error' }
  | { kind: 'crash-loop'; logs?: string[]; exitCode?: number }
  | { kind: 'config-error'; message?: string }
  | { kind: 'oom' }
  | { kind: 'succeed'; seconds?: number; logs?: string[] }
  | { kind: 'fail'; seconds?: number; logs?: string[]; exitCode?: number };

export interface FakeKubeOptions {
  /** Real milliseconds between controller steps (default 20). */
  tickMs?: number;
  /** Fake seconds that pass per real second (default 1). Drives progressDeadlineSeconds, back-offs, pod start and ready times. */
  timeScale?: number;
  /** Fake seconds from a healthy pod's creation to Ready (default 1). */
  podReadySeconds?: number;
  /** How many changes the watch history keeps (default 1000); a watch from an older resourceVersion gets 410 Gone. */
  historyLimit?: number;
  /** Real milliseconds between BOOKMARK events on watches that ask for them (default 1000). */
  bookmarkIntervalMs?: number;
  /** Whether metrics-server runs: metrics.k8s.io is served (default false; `metricsServer()` switches it). */
  metricsServer?: boolean;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | null;
  /** The HTTP status answered; 0 while the request is still being handled. */
  status: number;
  /** Arrival time on the fake clock, in ms. */
  at: number;
}
