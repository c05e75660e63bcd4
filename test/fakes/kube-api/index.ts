/**
 * A fake Kubernetes API server for tests: the REST API over HTTP for the kinds
 * Hoist uses, with server-side apply, watches, and controllers that move
 * Deployments, StatefulSets and Jobs along as a cluster would, on a clock that
 * can run faster than real time. See test/fakes/README.md.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stringify as toYaml } from 'yaml';
import { FakeClock } from './clock.ts';
import type { ControllerContext } from './controllers/common.ts';
import { triggerCronJob } from './controllers/cronjob.ts';
import { ControlPlane } from './controllers/index.ts';
import { Deleter } from './deletion.ts';
import { EventRecorder } from './events.ts';
import { programOf } from './controllers/behaviours.ts';
import { Faults, type FaultCode } from './faults.ts';
import { createHandler } from './http.ts';
import { PodMetricsServer, type ContainerUsage } from './metrics.ts';
import { Registry } from './registry.ts';
import { Store } from './store.ts';
import type { FakeKubeOptions, Json, PodBehaviour, RequestRecord } from './types.ts';
import { clone, randomHex } from './util.ts';
import { Watches } from './watch.ts';

export type { FakeKubeOptions, PodBehaviour, RequestRecord } from './types.ts';
export type { ContainerUsage } from './metrics.ts';

export interface FakeKube {
  /** http://127.0.0.1:<free port> */
  url: string;
  /** kubeconfig YAML: cluster with `server: url` and `insecure-skip-tls-verify: true`, a user with a bearer token, a context named `context` (default 'fake'), current-context set to it. */
  kubeconfig(options?: { context?: string; namespace?: string }): string;
  /** How pods whose image matches `pattern` (substring or RegExp) behave; the most recent matching call wins; default { kind: 'ready' }. */
  imageBehaviour(pattern: string | RegExp, behaviour: PodBehaviour): void;
  faults: {
    /** Every later request is delayed this long (0 = off). */
    latency(ms: number): void;
    /** The next `count` requests matching `match` answer `status` with a real Status body (429 carries Retry-After: 1). */
    failNext(count: number, status: FaultCode, match?: { method?: string; path?: RegExp }): void;
    /** Destroys every open watch connection now (a dropped connection). */
    dropWatches(): void;
    /** The API server's watch cache starts over: open watches are dropped, and one resumed from a version it was given gets 410 Expired (the client must list again). */
    restartWatchCache(): void;
    /** cert-manager cannot issue a certificate naming a matching host: it stays Ready=False (DoesNotExist). */
    holdCertificates(host: string | RegExp): void;
    /**
     * Pods already running whose image matches `pattern` behave as `behaviour` from now on
     * (`crash-loop`: a healthy pod's container exits at once and restarts under CrashLoopBackOff;
     * `ready`: a crash-looping one runs and is ready after its next restart), and so do new
     * pods of that image. Returns how many containers changed.
     */
    podsBecome(pattern: string | RegExp, behaviour: PodBehaviour): number;
  };
  /** Every request, in arrival order. */
  requests: RequestRecord[];
  /** Deep copies of stored objects; kind is the API kind ('Deployment', 'Pod', ...). */
  get(kind: string, namespace: string | null, name: string): Json | undefined;
  /** Objects of a kind: in one namespace, cluster-scoped ones (null), or everywhere (omitted). */
  list(kind: string, namespace?: string | null): Json[];
  /** The fake clock, in ms. */
  now(): number;
  /** What a CronJob's schedule firing does: a Job from its jobTemplate (null when suspended or forbidden by concurrencyPolicy). */
  triggerCronJob(namespace: string, name: string): Json | null;
  /** Resolves with the predicate's first truthy value, checked after every controller tick; rejects after `timeoutMs` real ms. */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  /** Appends a line to the output of a pod's running container (the only one when not named); false when none runs. Followed logs get it. */
  writeLog(namespace: string, pod: string, line: string, container?: string): boolean;
  /** metrics-server: installed or not (metrics.k8s.io served or 404), and a container's usage (default 2500000n CPU, 10240Ki memory). */
  metrics: {
    installed(on: boolean): void;
    set(namespace: string, pod: string, container: string, usage: ContainerUsage): void;
  };
  /** Errors thrown inside controller ticks (a bug in the fake); a test can assert there are none. */
  errors: Error[];
  close(): Promise<void>;
}

const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function allocators() {
  let ip = 10;
  let port = 30000;
  return {
    clusterIP: () => {
      const n = ip++;
      return `10.96.${Math.floor(n / 256)}.${n % 256}`;
    },
    nodePort: () => port++,
  };
}

export async function startFakeKube(options: FakeKubeOptions = {}): Promise<FakeKube> {
  const clock = new FakeClock(options.timeScale ?? 1);
  const store = new Store(options.historyLimit ?? 1000);
  const registry = new Registry(store, clock, allocators());
  const deleter = new Deleter(registry);
  const ctx: ControllerContext = { registry, deleter, events: new EventRecorder(registry), clock };
  const controlPlane = new ControlPlane(ctx, options.podReadySeconds ?? 1, options.ingress);
  for (const name of INITIAL_NAMESPACES) registry.createInternal({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, 'kube-apiserver');

  const faults = new Faults();
  const watches = new Watches(store, options.bookmarkIntervalMs ?? 1000);
  const requests: RequestRecord[] = [];
  const token = randomHex(16);
  const metrics = new PodMetricsServer(store, clock, options.metricsServer ?? false);
  const server = createServer(createHandler({ registry, deleter, watches, faults, controlPlane, clock, requests, token, metrics }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  controlPlane.start(options.tickMs ?? 20);

  return {
    url,
    kubeconfig: ({ context = 'fake', namespace } = {}) => toYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'fake', user: { token } }],
      contexts: [{ name: context, context: { cluster: 'fake', user: 'fake', ...(namespace ? { namespace } : {}) } }],
      'current-context': context,
    }),
    imageBehaviour: (pattern, behaviour) => controlPlane.behaviours.set(pattern, behaviour),
    faults: {
      latency: (ms) => {
        faults.latencyMs = ms;
      },
      failNext: (count, status, match) => faults.failNext(count, status, match),
      dropWatches: () => watches.dropAll(),
      restartWatchCache: () => {
        store.restartWatchCache();
        watches.dropAll();
      },
      holdCertificates: (host) => controlPlane.ingress.hold(host),
      podsBecome: (pattern, behaviour) => {
        controlPlane.behaviours.set(pattern, behaviour);
        return controlPlane.kubelet.reprogram(pattern, () => programOf(behaviour, options.podReadySeconds ?? 1));
      },
    },
    requests,
    get: (kind, namespace, name) => clone(store.get(kind, namespace, name)),
    list: (kind, namespace) => store.list(kind, namespace).map((o) => clone(o)),
    now: () => clock.now(),
    triggerCronJob: (namespace, name) => clone(triggerCronJob(ctx, namespace, name)),
    waitFor: (predicate, timeoutMs = 5000) => new Promise((resolve, reject) => {
      const check = () => {
        const value = predicate();
        if (!value) return false;
        stop();
        clearTimeout(timer);
        resolve(value);
        return true;
      };
      const stop = controlPlane.onTick(check);
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`fake kube: condition not met within ${timeoutMs} ms`));
      }, timeoutMs);
      check();
    }),
    writeLog: (namespace, pod, line, container) => {
      const found = store.get('Pod', namespace, pod);
      return found !== undefined && controlPlane.kubelet.write(found, line, container);
    },
    metrics: {
      installed: (on) => {
        metrics.served = on;
      },
      set: (namespace, pod, container, usage) => metrics.set(namespace, pod, container, usage),
    },
    errors: controlPlane.errors,
    close: async () => {
      controlPlane.stop();
      watches.endAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
