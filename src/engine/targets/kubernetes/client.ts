import { delimiter } from 'node:path';
import type { Writable } from 'node:stream';
import {
  ApiException,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  Log,
  Metrics,
  PatchStrategy,
  type PodMetricsList,
  setHeaderOptions,
  type CoreV1Event,
  type V1CronJob,
  type V1Deployment,
  type V1Job,
  type V1Namespace,
  type V1PersistentVolumeClaim,
  type V1Pod,
  type V1ReplicaSet,
  type V1Service,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { kindOfFailure, type CallErrors } from '../../../domain/call-errors.ts';
import { MANAGER } from './labels.ts';
import { RESOURCES, type Kind, type KindFor } from './permissions.ts';

/** Where the cluster is: a ready KubeConfig, a kubeconfig file (and context), or in-cluster. */
export interface KubeConnection {
  kubeConfig?: KubeConfig;
  /** A kubeconfig path (or several joined by the path delimiter, as in KUBECONFIG). Default: client-node's own lookup. */
  kubeconfigPath?: string;
  /** The kubeconfig context to use; default the file's current-context. */
  context?: string;
  /** Use the pod's service account (when Hoist itself runs in the cluster). */
  inCluster?: boolean;
}

/**
 * How a `kubernetes` target of hoist.yaml reaches its cluster, given the KUBECONFIG path
 * (null: unset), and how to name that in a message (`KUBECONFIG /path with context "prod"`).
 */
export function targetConnection(
  target: { context?: string | undefined; inCluster?: boolean | undefined },
  kubeconfigPath: string | null,
): { connection: KubeConnection; where: string } {
  if (target.inCluster) return { connection: { inCluster: true }, where: 'the in-cluster service account' };
  const file = kubeconfigPath === null ? 'the default kubeconfig (set KUBECONFIG)' : `KUBECONFIG ${kubeconfigPath}`;
  return {
    connection: { ...(kubeconfigPath === null ? {} : { kubeconfigPath }), ...(target.context ? { context: target.context } : {}) },
    where: target.context ? `${file} with context "${target.context}"` : file,
  };
}

export function loadKubeConfig(connection: KubeConnection): KubeConfig {
  let kc = connection.kubeConfig;
  if (!kc) {
    kc = new KubeConfig();
    if (connection.inCluster) kc.loadFromCluster();
    else if (connection.kubeconfigPath) {
      const [first, ...rest] = connection.kubeconfigPath.split(delimiter).filter((p) => p !== '');
      kc.loadFromFile(first ?? connection.kubeconfigPath);
      for (const path of rest) {
        const more = new KubeConfig();
        more.loadFromFile(path);
        kc.mergeConfig(more, true);
      }
    } else kc.loadFromDefault();
  }
  if (connection.context && !connection.inCluster) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(connection.context)) {
      throw new KubeError(`kubeconfig has no context "${connection.context}" (it has: ${names.join(', ') || 'none'})`, 0);
    }
    kc.setCurrentContext(connection.context);
  }
  return kc;
}

/** An API call that failed for good (after retries): an infrastructure failure. */
export class KubeError extends Error {
  readonly code = 'KUBE_API';
  constructor(
    message: string,
    /** The HTTP status; 0 when the server never answered. */
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KubeError';
  }
}

export interface RetryPolicy {
  /** Attempts in all (default 5). */
  tries: number;
  /** The longest a call may keep retrying, in ms (default 10 000). */
  budgetMs: number;
  /** First back-off, doubled each time (default 200 ms). */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { tries: 5, budgetMs: 10_000, baseDelayMs: 200 };

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'UND_ERR_SOCKET']);

/** The HTTP status of a failed call (0: no answer). */
export function statusOf(error: unknown): number {
  if (error instanceof ApiException) return error.code;
  if (error instanceof KubeError) return error.status;
  const code = (error as { statusCode?: unknown; code?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : 0;
}

function isNetworkError(error: unknown): boolean {
  const e = error as { name?: string; code?: string; type?: string } | null;
  if (!e || typeof e !== 'object') return false;
  return e.name === 'FetchError' || (e.code !== undefined && NETWORK_CODES.has(e.code)) || e.type === 'system';
}

/** What the server said, from a Status body when there is one. */
function messageOf(error: unknown): string {
  if (error instanceof ApiException) {
    const body: unknown = error.body;
    const parsed = typeof body === 'string' ? safeJson(body) : body;
    const message = (parsed as { message?: unknown } | null)?.message;
    return typeof message === 'string' ? message : `HTTP ${error.code}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function reasonOf(error: unknown): string | null {
  if (!(error instanceof ApiException)) return null;
  const body: unknown = error.body;
  const parsed = typeof body === 'string' ? safeJson(body) : body;
  const reason = (parsed as { reason?: unknown } | null)?.reason;
  return typeof reason === 'string' ? reason : null;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** How long a retryable failure asks to wait, or null when retrying cannot help. */
function retryDelay(error: unknown, attempt: number, policy: RetryPolicy): number | null {
  const status = statusOf(error);
  const backoff = policy.baseDelayMs * 2 ** (attempt - 1);
  if (status === 0) return isNetworkError(error) ? backoff : null;
  if (status === 429 || status >= 500) {
    const header = error instanceof ApiException ? error.headers['retry-after'] : undefined;
    const seconds = header === undefined ? Number.NaN : Number(header);
    return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : backoff;
  }
  // Someone else changed the object between our read and write: read again, write again.
  if (status === 409) return backoff;
  return null;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type Retrying = <T>(what: string, call: () => Promise<T>) => Promise<T>;

/**
 * Counts a failed call as a Kubernetes call error: one the server answered with an error
 * status, or one it never answered. Anything else thrown is not the API server's doing.
 */
function failureCounter(callErrors: CallErrors | undefined): (error: unknown) => void {
  return (error) => {
    const status = statusOf(error);
    if (callErrors !== undefined && (status > 0 || isNetworkError(error))) callErrors('kubernetes', kindOfFailure(status, error));
  };
}

/**
 * Runs `call` until it succeeds, retrying conflicts (409), throttling (429, after its
 * Retry-After), server errors (5xx) and dropped connections with exponential back-off,
 * within a bounded number of tries and time. `call` re-reads whatever its write depends on.
 */
function createRetrying(policy: RetryPolicy, countFailure: (error: unknown) => void, logger?: Logger): Retrying {
  return async (what, call) => {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        countFailure(error);
        const delay = retryDelay(error, attempt, policy);
        const spent = Date.now() - started;
        if (delay === null || attempt >= policy.tries || spent + delay > policy.budgetMs) {
          if (error instanceof KubeError) throw error;
          const retried = attempt > 1 ? ` (after ${attempt} attempts)` : '';
          throw new KubeError(`${what}: ${messageOf(error)}${retried}`, statusOf(error), { cause: error });
        }
        logger?.debug({ what, status: statusOf(error), attempt, delay }, 'kubernetes call retried');
        await sleep(delay);
      }
    }
  };
}

export interface KindTypes {
  Namespace: V1Namespace;
  Service: V1Service;
  Pod: V1Pod;
  PersistentVolumeClaim: V1PersistentVolumeClaim;
  Event: CoreV1Event;
  Deployment: V1Deployment;
  ReplicaSet: V1ReplicaSet;
  StatefulSet: V1StatefulSet;
  Job: V1Job;
  CronJob: V1CronJob;
}

interface Listed<K extends Kind> {
  items: KindTypes[K][];
  resourceVersion: string;
}

/**
 * The only way the target talks to the API server. Each operation accepts only the kinds
 * permissions.ts lists for it, and retries as `createRetrying` says.
 */
export interface KubeApi {
  readonly kubeConfig: KubeConfig;
  readonly fieldManager: string;
  /** Server-side apply (force: Hoist owns the fields it renders). */
  apply<K extends KindFor<'apply'>>(kind: K, namespace: string, manifest: KindTypes[K]): Promise<KindTypes[K]>;
  /** A JSON merge patch. */
  patch<K extends KindFor<'patch'>>(kind: K, namespace: string, name: string, patch: object): Promise<KindTypes[K]>;
  /** The object, or null when there is none. */
  get<K extends KindFor<'get'>>(kind: K, namespace: string | null, name: string): Promise<KindTypes[K] | null>;
  create<K extends KindFor<'create'>>(kind: K, namespace: string | null, body: KindTypes[K]): Promise<KindTypes[K] | 'exists'>;
  list<K extends KindFor<'list'>>(kind: K, namespace: string, options?: { labelSelector?: string; fieldSelector?: string }): Promise<Listed<K>>;
  /** Deletes (dependents in the background); false when it was already gone. */
  delete<K extends KindFor<'delete'>>(kind: K, namespace: string, name: string): Promise<boolean>;
  /** The last lines of a container's log (`previous`: the instance before the last restart). */
  podLog(namespace: string, pod: string, container: string, options: { previous: boolean; tailLines: number; timestamps?: boolean }): Promise<string>;
  /** A container's last `tailLines` lines, timestamped, then each new one into `into`, until `signal` aborts or the container stops. */
  followPodLog(namespace: string, pod: string, container: string, into: Writable, options: { tailLines: number; signal: AbortSignal }): Promise<void>;
  /** metrics.k8s.io's PodMetrics of the namespace; null when the cluster does not serve that API (no metrics-server). */
  podMetrics(namespace: string): Promise<PodMetricsList | null>;
  /** The URL path a watch of this kind uses. */
  watchPath(kind: KindFor<'watch'>, namespace: string): string;
  retrying: Retrying;
  /** Counts a failed call made outside `retrying` (a watch) as a call error. */
  countFailure(error: unknown): void;
}

export function createKubeApi(kc: KubeConfig, options: { retry?: Partial<RetryPolicy>; logger?: Logger; fieldManager?: string; callErrors?: CallErrors } = {}): KubeApi {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const logs = new Log(kc);
  const metrics = new Metrics(kc);
  const fieldManager = options.fieldManager ?? MANAGER;
  const countFailure = failureCounter(options.callErrors);
  const retrying = createRetrying({ ...DEFAULT_RETRY, ...options.retry }, countFailure, options.logger);
  const ssa = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const gone = (error: unknown) => statusOf(error) === 404;

  type Any = never;
  const appliers: { [K in KindFor<'apply'>]: (ns: string, name: string, body: object) => Promise<KindTypes[K]> } = {
    Service: (namespace, name, body) => core.patchNamespacedService({ name, namespace, body, fieldManager, force: true }, ssa),
    Deployment: (namespace, name, body) => apps.patchNamespacedDeployment({ name, namespace, body, fieldManager, force: true }, ssa),
    StatefulSet: (namespace, name, body) => apps.patchNamespacedStatefulSet({ name, namespace, body, fieldManager, force: true }, ssa),
    Job: (namespace, name, body) => batch.patchNamespacedJob({ name, namespace, body, fieldManager, force: true }, ssa),
    CronJob: (namespace, name, body) => batch.patchNamespacedCronJob({ name, namespace, body, fieldManager, force: true }, ssa),
  };
  const patchers: { [K in KindFor<'patch'>]: (ns: string, name: string, body: object) => Promise<KindTypes[K]> } = {
    Deployment: (namespace, name, body) => apps.patchNamespacedDeployment({ name, namespace, body, fieldManager }, merge),
    StatefulSet: (namespace, name, body) => apps.patchNamespacedStatefulSet({ name, namespace, body, fieldManager }, merge),
    CronJob: (namespace, name, body) => batch.patchNamespacedCronJob({ name, namespace, body, fieldManager }, merge),
  };
  const getters: { [K in KindFor<'get'>]: (ns: string, name: string) => Promise<KindTypes[K]> } = {
    Namespace: (_namespace, name) => core.readNamespace({ name }),
    Deployment: (namespace, name) => apps.readNamespacedDeployment({ name, namespace }),
    StatefulSet: (namespace, name) => apps.readNamespacedStatefulSet({ name, namespace }),
  };
  type ListOptions = { namespace: string; labelSelector?: string; fieldSelector?: string };
  type ListResult<K extends Kind> = { items: KindTypes[K][]; metadata?: { resourceVersion?: string } };
  const listers: { [K in KindFor<'list'>]: (o: ListOptions) => Promise<ListResult<K>> } = {
    Service: (o) => core.listNamespacedService(o),
    Pod: (o) => core.listNamespacedPod(o),
    Event: (o) => core.listNamespacedEvent(o),
    PersistentVolumeClaim: (o) => core.listNamespacedPersistentVolumeClaim(o),
    Deployment: (o) => apps.listNamespacedDeployment(o),
    ReplicaSet: (o) => apps.listNamespacedReplicaSet(o),
    StatefulSet: (o) => apps.listNamespacedStatefulSet(o),
    Job: (o) => batch.listNamespacedJob(o),
    CronJob: (o) => batch.listNamespacedCronJob(o),
  };
  const deleters: { [K in KindFor<'delete'>]: (ns: string, name: string) => Promise<unknown> } = {
    Service: (namespace, name) => core.deleteNamespacedService({ name, namespace }),
    Pod: (namespace, name) => core.deleteNamespacedPod({ name, namespace }),
    PersistentVolumeClaim: (namespace, name) => core.deleteNamespacedPersistentVolumeClaim({ name, namespace }),
    Deployment: (namespace, name) => apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Background' }),
    StatefulSet: (namespace, name) => apps.deleteNamespacedStatefulSet({ name, namespace, propagationPolicy: 'Background' }),
    Job: (namespace, name) => batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' }),
    CronJob: (namespace, name) => batch.deleteNamespacedCronJob({ name, namespace, propagationPolicy: 'Background' }),
  };

  return {
    kubeConfig: kc,
    fieldManager,
    retrying,
    countFailure,
    apply: (kind, namespace, manifest) => {
      const name = manifest.metadata?.name ?? '';
      const call = appliers[kind] as (ns: string, name: string, body: object) => Promise<Any>;
      return retrying(`apply ${kind} ${namespace}/${name}`, () => call(namespace, name, manifest));
    },
    patch: (kind, namespace, name, body) => {
      const call = patchers[kind] as (ns: string, name: string, body: object) => Promise<Any>;
      return retrying(`patch ${kind} ${namespace}/${name}`, () => call(namespace, name, body));
    },
    get: (kind, namespace, name) => {
      const call = getters[kind] as (ns: string, name: string) => Promise<Any>;
      return retrying(`get ${kind} ${namespace ?? ''}/${name}`, () =>
        call(namespace ?? '', name).catch((error: unknown) => {
          if (gone(error)) return null;
          throw error;
        }),
      );
    },
    create: (kind, _namespace, body) => {
      // The only kind created outright: a namespace (see permissions.ts for why not SSA).
      void kind;
      return retrying(`create ${kind} ${body.metadata?.name ?? ''}`, () =>
        core.createNamespace({ body, fieldManager }).catch((error: unknown) => {
          if (statusOf(error) === 409 && reasonOf(error) === 'AlreadyExists') return 'exists' as const;
          throw error;
        }),
      ) as Promise<Any>;
    },
    list: async (kind, namespace, selectors = {}) => {
      const call = listers[kind] as (o: ListOptions) => Promise<ListResult<typeof kind>>;
      const what = `list ${RESOURCES[kind].plural} in ${namespace}`;
      const result = await retrying(what, () => call({ namespace, ...selectors }));
      return { items: result.items, resourceVersion: result.metadata?.resourceVersion ?? '' } as Listed<typeof kind> as Any;
    },
    delete: (kind, namespace, name) => {
      const call = deleters[kind];
      return retrying(`delete ${kind} ${namespace}/${name}`, () =>
        call(namespace, name).then(
          () => true,
          (error: unknown) => {
            if (gone(error)) return false;
            throw error;
          },
        ),
      );
    },
    podLog: (namespace, pod, container, { previous, tailLines, timestamps = false }) =>
      retrying(`logs of ${namespace}/${pod}/${container}`, () =>
        core.readNamespacedPodLog({ name: pod, namespace, container, previous, tailLines, timestamps }),
      ),
    followPodLog: async (namespace, pod, container, into, { tailLines, signal }) => {
      const controller = await retrying(`logs of ${namespace}/${pod}/${container}`, () =>
        logs.log(namespace, pod, container, into, { follow: true, tailLines, timestamps: true }),
      );
      if (signal.aborted) controller.abort();
      else signal.addEventListener('abort', () => controller.abort(), { once: true });
    },
    podMetrics: (namespace) =>
      retrying(`list pod metrics in ${namespace}`, () =>
        metrics.getPodMetrics(namespace).catch((error: unknown) => {
          if (gone(error)) return null;
          throw error;
        }),
      ),
    watchPath: (kind, namespace) => {
      const r = RESOURCES[kind];
      const base = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
      return `${base}/namespaces/${namespace}/${r.plural}`;
    },
  };
}
