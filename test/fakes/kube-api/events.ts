/**
 * core/v1 Events as the controllers' and kubelet's event recorders write them:
 * a repeat of the same event on the same object bumps `count` and
 * `lastTimestamp` instead of adding another.
 */
import type { Registry } from './registry.ts';
import type { KubeObject } from './types.ts';
import { clone, timestamp } from './util.ts';

export interface EventSource {
  component: string;
  host?: string;
}

export class EventRecorder {
  /** Aggregation key → event name, so a repeat finds its event. */
  private readonly names = new Map<string, string>();
  private sequence = 0;

  constructor(private readonly registry: Registry) {}

  record(involved: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, source: EventSource, fieldPath?: string): void {
    const namespace = involved.metadata.namespace ?? 'default';
    const ns = this.registry.store.get('Namespace', null, namespace);
    if (!ns || ns.metadata.deletionTimestamp) return;
    const now = timestamp(this.registry.clock.now());
    const key = [involved.metadata.uid, fieldPath ?? '', type, reason, message, source.component].join('\u0000');
    const existingName = this.names.get(key);
    const existing = existingName ? this.registry.store.get('Event', namespace, existingName) : undefined;
    if (existing) {
      const next = clone(existing);
      next.count = (next.count ?? 1) + 1;
      next.lastTimestamp = now;
      this.registry.updateInternal(next, source.component);
      return;
    }
    // As the recorder names events: the object's name and the time in hex nanoseconds, so a list is in time order.
    const nanos = BigInt(Math.floor(this.registry.clock.now())) * 1_000_000n + BigInt(this.sequence++ % 1_000_000);
    const name = `${involved.metadata.name}.${nanos.toString(16)}`;
    this.names.set(key, name);
    this.registry.createInternal({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        kind: involved.kind,
        namespace: involved.metadata.namespace,
        name: involved.metadata.name,
        uid: involved.metadata.uid,
        apiVersion: involved.apiVersion,
        resourceVersion: involved.metadata.resourceVersion,
        ...(fieldPath ? { fieldPath } : {}),
      },
      reason,
      message,
      source: { component: source.component, ...(source.host ? { host: source.host } : {}) },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: source.component,
      reportingInstance: source.host ?? '',
    }, source.component);
  }
}
