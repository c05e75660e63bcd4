/**
 * `?watch=true`: newline-delimited JSON events, as the API server's watch cache
 * serves them. From resourceVersion unset or "0": the current objects as ADDED,
 * then changes; from a resourceVersion: every change after it, or an ERROR
 * event with 410 Expired when the history no longer reaches back that far.
 * Under a selector, an object that starts or stops matching is ADDED or
 * DELETED. BOOKMARKs when asked for; `timeoutSeconds` ends the stream.
 */
import type { ServerResponse } from 'node:http';
import { apiVersionOf, type ResourceInfo } from './resources.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { badRequest, gone } from './status.ts';
import type { Change, Store } from './store.ts';
import type { KubeObject, StatusBody } from './types.ts';

export interface WatchQuery {
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  allowWatchBookmarks?: string;
  timeoutSeconds?: string;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export class Watches {
  private readonly open = new Set<ServerResponse>();

  constructor(private readonly store: Store, private readonly bookmarkIntervalMs: number) {}

  /** Checks a watch request; a failure is answered as an ordinary error before any stream starts. */
  check(info: ResourceInfo, query: WatchQuery): StatusBody | undefined {
    const labels = parseLabelSelector(query.labelSelector);
    if (!labels.ok) return badRequest(labels.message);
    const fields = parseFieldSelector(query.fieldSelector, info.kind);
    return fields.ok ? undefined : badRequest(fields.message);
  }

  serve(res: ServerResponse, info: ResourceInfo, namespace: string | null | undefined, query: WatchQuery): void {
    const labels = parseLabelSelector(query.labelSelector);
    const fields = parseFieldSelector(query.fieldSelector, info.kind);
    if (!labels.ok || !fields.ok) return;
    const matches = (o: KubeObject | undefined) => o !== undefined && o.kind === info.kind
      && (namespace === undefined || (o.metadata.namespace ?? null) === namespace)
      && labels.value(o.metadata.labels) && fields.value(o);

    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const send = (type: string, object: unknown) => {
      if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const deliver = (change: Change) => {
      const type = this.translate(change, matches);
      if (type) send(type, change.object);
    };

    const from = query.resourceVersion;
    if (from === undefined || from === '' || from === '0') {
      for (const obj of this.store.list(info.kind, namespace)) if (matches(obj)) send('ADDED', obj);
    } else {
      const changes = this.store.changesSince(Number(from));
      if ('expired' in changes) {
        send('ERROR', gone(changes.expired));
        res.end();
        return;
      }
      for (const change of changes) deliver(change);
    }

    const unsubscribe = this.store.subscribe(deliver);
    const timers: NodeJS.Timeout[] = [];
    if (query.allowWatchBookmarks === 'true' || query.allowWatchBookmarks === '1') {
      timers.push(setInterval(() => send('BOOKMARK', {
        kind: info.kind, apiVersion: apiVersionOf(info), metadata: { resourceVersion: String(this.store.currentRevision()) },
      }), this.bookmarkIntervalMs));
    }
    const timeout = Number(query.timeoutSeconds);
    if (timeout > 0) timers.push(setTimeout(() => res.end(), timeout * 1000));
    this.open.add(res);
    res.on('close', () => {
      unsubscribe();
      for (const t of timers) clearTimeout(t);
      this.open.delete(res);
    });
  }

  /** Drops every open watch connection, as a network failure would. */
  dropAll(): void {
    for (const res of this.open) res.socket?.destroy();
  }

  /** Ends every open watch cleanly (on shutdown). */
  endAll(): void {
    for (const res of this.open) res.end();
  }

  private translate(change: Change, matches: (o: KubeObject | undefined) => boolean): EventType | undefined {
    switch (change.type) {
      case 'ADDED':
        return matches(change.object) ? 'ADDED' : undefined;
      case 'DELETED':
        return matches(change.previous ?? change.object) ? 'DELETED' : undefined;
      case 'MODIFIED': {
        const was = matches(change.previous);
        const is = matches(change.object);
        if (was && is) return 'MODIFIED';
        if (is) return 'ADDED';
        return was ? 'DELETED' : undefined;
      }
    }
  }
}
