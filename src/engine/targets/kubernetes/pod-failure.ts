/**
 * Early failure: pod states that will not get better by waiting (a missing image, a crash
 * loop, a broken config reference, a container killed for memory), noticed as soon as a pod
 * reports them instead of at the progress deadline. Pure.
 */

export interface ContainerStateLike {
  waiting?: { reason?: string; message?: string } | null;
  running?: object | null;
  terminated?: { reason?: string; message?: string; exitCode?: number } | null;
}

export interface ContainerStatusLike {
  name?: string;
  restartCount?: number;
  state?: ContainerStateLike | null;
  lastState?: ContainerStateLike | null;
}

export interface PodLike {
  metadata?: { name?: string; deletionTimestamp?: unknown };
  status?: {
    initContainerStatuses?: ContainerStatusLike[] | null;
    containerStatuses?: ContainerStatusLike[] | null;
  } | null;
}

export interface PodFailure {
  pod: string;
  container: string;
  /** The kubelet's reason: `ImagePullBackOff`, `CrashLoopBackOff`, `OOMKilled`, ... */
  reason: string;
  message: string;
  /** The logs that explain it are the previous (crashed) instance's. */
  previousLogs: boolean;
  /** Whether the container ever ran (a pull or config error leaves no logs to read). */
  hasLogs: boolean;
}

/** Waiting reasons that mean the container will not start without a change. */
const FATAL_WAITING_REASONS = [
  'ImagePullBackOff',
  'ErrImagePull',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
  'InvalidImageName',
] as const;

const FATAL = new Set<string>(FATAL_WAITING_REASONS);
const OOM = 'OOMKilled';

/** The first failure among the pods (by pod name, init containers first), or null while none failed. */
export function podFailure(pods: readonly PodLike[]): PodFailure | null {
  const live = pods.filter((p) => p.metadata?.deletionTimestamp == null);
  const sorted = [...live].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  for (const pod of sorted) {
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    for (const status of statuses) {
      const failure = containerFailure(status);
      if (failure) return { pod: pod.metadata?.name ?? '', container: status.name ?? '', ...failure };
    }
  }
  return null;
}

function containerFailure(status: ContainerStatusLike): Omit<PodFailure, 'pod' | 'container'> | null {
  const waiting = status.state?.waiting;
  const terminated = status.state?.terminated;
  const last = status.lastState?.terminated;
  if (terminated?.reason === OOM) {
    return { reason: OOM, message: killed(status, terminated), previousLogs: false, hasLogs: true };
  }
  if (last?.reason === OOM) {
    return { reason: OOM, message: killed(status, last), previousLogs: true, hasLogs: true };
  }
  if (waiting?.reason && FATAL.has(waiting.reason)) {
    const crashLoop = waiting.reason === 'CrashLoopBackOff';
    return { reason: waiting.reason, message: waitingMessage(status, waiting.message), previousLogs: crashLoop, hasLogs: crashLoop };
  }
  return null;
}

function killed(status: ContainerStatusLike, terminated: { exitCode?: number }): string {
  const restarts = status.restartCount ?? 0;
  const exit = terminated.exitCode === undefined ? '' : ` (exit code ${terminated.exitCode})`;
  return `container ${status.name ?? ''} was killed for using more memory than its limit${exit}${restarts > 0 ? `, restarted ${restarts} times` : ''}`;
}

/**
 * The kubelet's words for a Secret reference it cannot resolve, with what to do: Hoist neither
 * creates nor reads Secrets, so whoever manages them has to add it.
 */
export function secretHint(message: string): string | null {
  const key = /couldn't find key (\S+) in Secret ([^/\s]+)\/(\S+)/.exec(message);
  if (key) return `the Secret ${key[3]} in namespace ${key[2]} lacks the key ${key[1]}; add it (kubectl -n ${key[2]} edit secret ${key[3]}); Hoist does not create or read Secrets`;
  const missing = /secret "([^"]+)" not found/.exec(message);
  if (missing) return `the Secret ${missing[1]} does not exist in the namespace: create it (kubectl create secret generic ${missing[1]} …); Hoist does not create or read Secrets`;
  return null;
}

function waitingMessage(status: ContainerStatusLike, message: string | undefined): string {
  if (status.state?.waiting?.reason === 'CreateContainerConfigError' && message) {
    const hint = secretHint(message);
    if (hint) return `${message} — ${hint}`;
  }
  const last = status.lastState?.terminated;
  if (status.state?.waiting?.reason !== 'CrashLoopBackOff' || !last) return message ?? '';
  const text = message || `back-off restarting failed container ${status.name ?? ''}`;
  const restarts = status.restartCount ?? 0;
  return `${text} (last exit: ${last.reason ?? 'Error'}, code ${last.exitCode ?? '?'}${restarts > 0 ? `; restarted ${restarts} times` : ''})`;
}
