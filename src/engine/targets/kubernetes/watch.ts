import { Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { KubeError, sleep, statusOf, type KindTypes, type KubeApi } from './client.ts';
import type { KindFor } from './permissions.ts';

export interface ReflectorTiming {
  /** First delay before re-opening a watch that failed, doubled per consecutive failure (default 100 ms). */
  reopenDelayMs: number;
  /** Longest delay between re-opening attempts (default 5 s). */
  maxReopenDelayMs: number;
  /** Consecutive failures to open a watch (or list) before giving up (default 8). */
  maxFailures: number;
  /**
   * The server ends each watch after this long (its `timeoutSeconds`, default 300) and it is
   * re-opened; a watch still open 30 s past it is taken for a dead connection and re-opened too.
   */
  watchTimeoutSeconds: number;
}

export const DEFAULT_REFLECTOR_TIMING: ReflectorTiming = { reopenDelayMs: 100, maxReopenDelayMs: 5_000, maxFailures: 8, watchTimeoutSeconds: 300 };

type WatchEnd = { kind: 'ended'; events: number; ms: number } | { kind: 'gone' } | { kind: 'error'; error: unknown };

interface WatchEventObject {
  metadata?: { name?: string; resourceVersion?: string };
  code?: number;
  message?: string;
}

/**
 * A local copy of one kind's objects in a namespace (optionally filtered by labels), kept
 * current by a watch: list, then watch from the list's resourceVersion. A watch that ends
 * (client-node closes them, connections drop) is re-opened from the last resourceVersion
 * seen, bookmarks included; a 410 Gone (that version is too old) lists again.
 */
export class Reflector<K extends KindFor<'watch'>> {
  readonly items = new Map<string, KindTypes[K]>();
  synced = false;
  private resourceVersion: string | null = null;
  private stopped = false;
  private abortCurrent: (() => void) | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly errorListeners = new Set<(error: unknown) => void>();
  private readonly watcher: Watch;
  private fatal: unknown = null;

  constructor(
    private readonly api: KubeApi,
    readonly kind: K,
    private readonly namespace: string,
    private readonly labelSelector: string | undefined,
    private readonly timing: ReflectorTiming = DEFAULT_REFLECTOR_TIMING,
    private readonly logger?: Logger,
  ) {
    this.watcher = new Watch(api.kubeConfig);
  }

  start(): this {
    void this.run();
    return this;
  }

  stop(): void {
    this.stopped = true;
    this.abortCurrent?.();
    this.abortCurrent = null;
  }

  get values(): KindTypes[K][] {
    return [...this.items.values()];
  }

  /** Called after every change (and after each list); returns an unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called once if the reflector gives up (the API server cannot be listed or watched). */
  onError(listener: (error: unknown) => void): () => void {
    if (this.fatal !== null) queueMicrotask(() => listener(this.fatal));
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  private emit(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let end: WatchEnd;
      try {
        if (this.resourceVersion === null) await this.relist();
        if (this.stopped) return;
        end = await this.watchOnce();
      } catch (error) {
        end = { kind: 'error', error };
      }
      if (this.stopped) return;
      if (end.kind === 'gone') {
        this.logger?.debug({ kind: this.kind }, 'watch: resourceVersion gone, listing again');
        this.resourceVersion = null;
        continue;
      }
      // A watch that ran a while (or delivered something) ended normally: re-open at once.
      if (end.kind === 'ended' && (end.events > 0 || end.ms >= 1_000)) {
        failures = 0;
        continue;
      }
      failures++;
      if (failures >= this.timing.maxFailures) {
        const error = end.kind === 'error' ? end.error : new KubeError(`watch of ${this.kind} keeps ending at once`, 0);
        this.fail(error);
        return;
      }
      const delay = Math.min(this.timing.reopenDelayMs * 2 ** (failures - 1), this.timing.maxReopenDelayMs);
      this.logger?.debug({ kind: this.kind, failures, delay, status: end.kind === 'error' ? statusOf(end.error) : null }, 'watch re-opens');
      await sleep(delay);
    }
  }

  private fail(error: unknown): void {
    this.fatal = error;
    this.stopped = true;
    for (const listener of [...this.errorListeners]) listener(error);
  }

  private async relist(): Promise<void> {
    const listed = await this.api.list(this.kind, this.namespace, this.labelSelector ? { labelSelector: this.labelSelector } : {});
    this.items.clear();
    for (const item of listed.items) {
      const name = item.metadata?.name;
      if (name) this.items.set(name, item);
    }
    this.resourceVersion = listed.resourceVersion;
    this.synced = true;
    this.emit();
  }

  private watchOnce(): Promise<WatchEnd> {
    const path = this.api.watchPath(this.kind, this.namespace);
    const query: Record<string, string | number | boolean> = { allowWatchBookmarks: true, timeoutSeconds: this.timing.watchTimeoutSeconds };
    if (this.resourceVersion) query.resourceVersion = this.resourceVersion;
    if (this.labelSelector) query.labelSelector = this.labelSelector;
    const started = Date.now();
    return new Promise<WatchEnd>((resolve) => {
      let settled = false;
      let events = 0;
      let controller: AbortController | null = null;
      const finish = (end: WatchEnd) => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        this.abortCurrent = null;
        controller?.abort();
        resolve(end);
      };
      // The watch's own failures count as call errors here; a list's, in the client's retries.
      const failed = (error: unknown) => {
        if (settled) return;
        this.api.countFailure(error);
        finish({ kind: 'error', error });
      };
      // A connection that died without a word never ends by itself.
      const guard = setTimeout(
        () => finish({ kind: 'ended', events, ms: Date.now() - started }),
        (this.timing.watchTimeoutSeconds + 30) * 1000,
      );
      const onEvent = (type: string, object: WatchEventObject) => {
        if (settled || this.stopped) return;
        events++;
        const name = object?.metadata?.name;
        const version = object?.metadata?.resourceVersion;
        switch (type) {
          case 'ADDED':
          case 'MODIFIED':
            if (name) this.items.set(name, object as KindTypes[K]);
            if (version) this.resourceVersion = version;
            this.emit();
            return;
          case 'DELETED':
            if (name) this.items.delete(name);
            if (version) this.resourceVersion = version;
            this.emit();
            return;
          case 'BOOKMARK':
            if (version) this.resourceVersion = version;
            return;
          case 'ERROR':
            if (object?.code === 410) finish({ kind: 'gone' });
            else failed(new KubeError(`watch ${path}: ${object?.message ?? 'error'}`, object?.code ?? 0));
            return;
        }
      };
      const onDone = (error: unknown) => {
        if (error == null || this.stopped) finish({ kind: 'ended', events, ms: Date.now() - started });
        else if (statusOf(error) === 410) finish({ kind: 'gone' });
        else if (isAbort(error) && events > 0) finish({ kind: 'ended', events, ms: Date.now() - started });
        else failed(error);
      };
      this.watcher.watch(path, query, onEvent, onDone).then(
        (c) => {
          controller = c;
          if (settled || this.stopped) c.abort();
          else this.abortCurrent = () => finish({ kind: 'ended', events, ms: Date.now() - started });
        },
        (error: unknown) => failed(error),
      );
    });
  }
}

function isAbort(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'AbortError';
}

export type WaitEnd<T> = { kind: 'done'; value: T } | { kind: 'canceled' } | { kind: 'timeout' };

/**
 * Waits until `judge` returns a value, judging again on every change any reflector sees
 * (once all have listed). Ends early on `signal` (canceled) or after `timeoutMs`; rejects if a
 * reflector gives up or `judge` throws.
 */
export function waitUntil<T>(
  reflectors: readonly Reflector<KindFor<'watch'>>[],
  judge: () => T | null,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<WaitEnd<T>> {
  return new Promise<WaitEnd<T>>((resolve, reject) => {
    const cleanups: (() => void)[] = [];
    let finished = false;
    const end = (result: WaitEnd<T> | { error: unknown }) => {
      if (finished) return;
      finished = true;
      for (const cleanup of cleanups) cleanup();
      if ('error' in result) reject(result.error);
      else resolve(result);
    };
    const check = () => {
      if (finished || !reflectors.every((r) => r.synced)) return;
      try {
        const value = judge();
        if (value !== null) end({ kind: 'done', value });
      } catch (error) {
        end({ error });
      }
    };
    const { signal, timeoutMs } = options;
    if (signal) {
      if (signal.aborted) return end({ kind: 'canceled' });
      const onAbort = () => end({ kind: 'canceled' });
      signal.addEventListener('abort', onAbort, { once: true });
      cleanups.push(() => signal.removeEventListener('abort', onAbort));
    }
    if (timeoutMs !== undefined) {
      const timer = setTimeout(() => end({ kind: 'timeout' }), timeoutMs);
      cleanups.push(() => clearTimeout(timer));
    }
    for (const reflector of reflectors) {
      cleanups.push(reflector.onChange(check));
      cleanups.push(reflector.onError((error) => end({ error })));
    }
    check();
  });
}
