/**
 * The fake's etcd: every object, one global resourceVersion counter, and the
 * recent history of changes that watches replay from.
 */
import type { KubeObject } from './types.ts';
import { clone, deepFreeze } from './util.ts';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  revision: number;
  type: ChangeType;
  /** The object after the change (for DELETED: its last state, with the deletion's resourceVersion). */
  object: KubeObject;
  /** The object before a MODIFIED change: a watch with a selector turns a change of match into ADDED/DELETED. */
  previous?: KubeObject;
}

const keyOf = (kind: string, namespace: string | null | undefined, name: string) => `${kind}/${namespace ?? ''}/${name}`;

export class Store {
  private readonly objects = new Map<string, KubeObject>();
  private readonly byUidIndex = new Map<string, KubeObject>();
  private revision = 0;
  private readonly history: Change[] = [];
  /** The newest revision dropped from the history; a watch from before it has missed changes. */
  private compactedThrough = 0;
  private readonly listeners = new Set<(change: Change) => void>();

  constructor(private readonly historyLimit: number) {}

  currentRevision(): number {
    return this.revision;
  }

  get(kind: string, namespace: string | null | undefined, name: string): KubeObject | undefined {
    return this.objects.get(keyOf(kind, namespace, name));
  }

  byUid(uid: string): KubeObject | undefined {
    return this.byUidIndex.get(uid);
  }

  /** Objects of a kind (in one namespace, or all when `namespace` is undefined), by namespace then name. */
  list(kind: string, namespace?: string | null): KubeObject[] {
    const found = [...this.objects.values()].filter((o) => o.kind === kind
      && (namespace === undefined || (o.metadata.namespace ?? null) === namespace));
    // Byte order of the keys, as etcd returns a range.
    const key = (o: KubeObject) => keyOf(o.kind, o.metadata.namespace, o.metadata.name);
    return found.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }

  all(): KubeObject[] {
    return [...this.objects.values()];
  }

  /** Stores an object (a copy, frozen) under a new resourceVersion: ADDED when new, MODIFIED otherwise. */
  write(object: KubeObject): KubeObject {
    const key = keyOf(object.kind, object.metadata.namespace, object.metadata.name);
    const previous = this.objects.get(key);
    const stored = clone(object);
    this.revision++;
    stored.metadata.resourceVersion = String(this.revision);
    deepFreeze(stored);
    this.objects.set(key, stored);
    this.byUidIndex.set(stored.metadata.uid, stored);
    this.record({ revision: this.revision, type: previous ? 'MODIFIED' : 'ADDED', object: stored, ...(previous ? { previous } : {}) });
    return stored;
  }

  /** Removes an object; its DELETED event carries a new resourceVersion, as etcd's delete does. */
  remove(object: KubeObject): KubeObject | undefined {
    const key = keyOf(object.kind, object.metadata.namespace, object.metadata.name);
    const current = this.objects.get(key);
    if (!current) return undefined;
    this.objects.delete(key);
    this.byUidIndex.delete(current.metadata.uid);
    const last = clone(current);
    this.revision++;
    last.metadata.resourceVersion = String(this.revision);
    deepFreeze(last);
    this.record({ revision: this.revision, type: 'DELETED', object: last, previous: current });
    return last;
  }

  /**
   * The watch cache starts over (an API server restarted, its etcd compacted, and the cluster
   * wrote on meanwhile — leases, events): no change before now is kept, a watch resumed from any
   * version it was given gets 410 Expired, and one from what a list answers now is served.
   */
  restartWatchCache(): void {
    this.revision += 1;
    this.history.length = 0;
    this.compactedThrough = this.revision;
  }

  /** The changes after `revision`, or `expired` when some of them are no longer kept. */
  changesSince(revision: number): Change[] | { expired: string } {
    if (revision < this.compactedThrough) {
      return { expired: `too old resource version: ${revision} (${this.compactedThrough + 1})` };
    }
    return this.history.filter((c) => c.revision > revision);
  }

  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(change: Change): void {
    this.history.push(change);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift();
      if (dropped) this.compactedThrough = dropped.revision;
    }
    for (const listener of [...this.listeners]) listener(change);
  }
}
