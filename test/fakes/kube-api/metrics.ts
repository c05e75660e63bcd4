/**
 * metrics-server's API, metrics.k8s.io/v1beta1 PodMetrics, served only while the switch is
 * on (a cluster without metrics-server answers 404 for the whole group, as the aggregator
 * does for an API nobody registered). Each Running pod's containers report the usage a test
 * set for them, or a small default; CPU in nanocores and memory in Ki, as metrics-server
 * writes them.
 */
import type { FakeClock } from './clock.ts';
import type { Exchange } from './http.ts';
import type { Store } from './store.ts';
import { failure, pageNotFound } from './status.ts';
import type { Json } from './types.ts';

export interface ContainerUsage {
  cpu: string;
  memory: string;
}

const DEFAULT_USAGE: ContainerUsage = { cpu: '2500000n', memory: '10240Ki' };
const PREFIX = '/apis/metrics.k8s.io/';

export class PodMetricsServer {
  served: boolean;
  private readonly usage = new Map<string, ContainerUsage>();

  constructor(
    private readonly store: Store,
    private readonly clock: FakeClock,
    served: boolean,
  ) {
    this.served = served;
  }

  set(namespace: string, pod: string, container: string, usage: ContainerUsage): void {
    this.usage.set(`${namespace}/${pod}/${container}`, usage);
  }

  /** Whether the path is metrics.k8s.io's (then it has been answered). */
  handles(ex: Exchange, method: string, path: string): boolean {
    if (!path.startsWith(PREFIX) && path !== PREFIX.slice(0, -1)) return false;
    if (!this.served) {
      ex.json(404, pageNotFound());
      return true;
    }
    const parts = path.slice(PREFIX.length).split('/').filter((p) => p !== '').map(decodeURIComponent);
    if (method !== 'GET') {
      ex.json(405, failure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`));
      return true;
    }
    // v1beta1/namespaces/{ns}/pods[/{name}], or v1beta1/pods across namespaces.
    const [version, a, b, c, d] = parts;
    if (version !== 'v1beta1') ex.json(404, pageNotFound());
    else if (a === 'pods' && b === undefined) ex.json(200, this.list(undefined));
    else if (a === 'namespaces' && b !== undefined && c === 'pods' && d === undefined) ex.json(200, this.list(b));
    else if (a === 'namespaces' && b !== undefined && c === 'pods' && d !== undefined) {
      const item = this.list(b).items.find((m: Json) => m.metadata.name === d);
      if (item) ex.json(200, item);
      else ex.json(404, failure(404, 'NotFound', `podmetrics.metrics.k8s.io "${d}" not found`, { name: d, group: 'metrics.k8s.io', kind: 'pods' }));
    } else ex.json(404, pageNotFound());
    return true;
  }

  private list(namespace: string | undefined): Json {
    const now = new Date(this.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const pods = this.store.list('Pod', namespace).filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
    return {
      kind: 'PodMetricsList',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {},
      items: pods.map((p) => ({
        metadata: { name: p.metadata.name, namespace: p.metadata.namespace, creationTimestamp: now, labels: p.metadata.labels ?? {} },
        timestamp: now,
        window: '15s',
        containers: (p.spec?.containers ?? []).map((c: Json) => ({
          name: c.name,
          usage: this.usage.get(`${p.metadata.namespace}/${p.metadata.name}/${c.name}`) ?? DEFAULT_USAGE,
        })),
      })),
    };
  }
}
