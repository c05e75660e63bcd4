import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKubeApi, KubeError, loadKubeConfig } from '../../../src/engine/targets/kubernetes/client.ts';
import { Reflector, waitUntil } from '../../../src/engine/targets/kubernetes/watch.ts';

/**
 * A tiny API server for the client's own plumbing (retries, watch resumption): each test
 * scripts what it answers. The Kubernetes behaviour itself is tested against the fake API
 * server in kubernetes-target.test.ts.
 */
interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  at: number;
}
type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void;

let server: Server;
let url: string;
let handler: Handler;
let seen: Seen[];
const watches = new Set<ServerResponse>();

beforeEach(async () => {
  seen = [];
  server = createServer((req, res) => {
    const parsed = new URL(req.url ?? '/', 'http://x');
    const entry = {
      method: req.method ?? '',
      path: parsed.pathname,
      query: Object.fromEntries(parsed.searchParams),
      contentType: req.headers['content-type'],
      at: Date.now(),
    };
    seen.push(entry);
    req.resume();
    req.on('end', () => handler(req, res, entry));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  for (const res of watches) res.destroy();
  watches.clear();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function kubeConfig(server = url): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'test', cluster: 'c', user: 'u' }, { name: 'other', cluster: 'c', user: 'u' }],
    currentContext: 'other',
  });
  return kc;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const statusBody = (code: number, reason: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `${reason} happened`, reason, code });
const deployment = (name: string, resourceVersion: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'ns', resourceVersion, generation: 1 },
  spec: { replicas: 1 },
});

const fast = { tries: 5, budgetMs: 5_000, baseDelayMs: 10 };

describe('the API client', () => {
  it('picks the named context and refuses an unknown one', () => {
    expect(loadKubeConfig({ kubeConfig: kubeConfig(), context: 'test' }).getCurrentContext()).toBe('test');
    expect(() => loadKubeConfig({ kubeConfig: kubeConfig(), context: 'prod' })).toThrow(/no context "prod" \(it has: test, other\)/);
  });

  it('applies server-side: PATCH with the apply content type, fieldManager hoist, force', async () => {
    handler = (_req, res) => json(res, 200, deployment('api', '5'));
    const api = createKubeApi(kubeConfig(), { retry: fast });
    const result = await api.apply('Deployment', 'ns', deployment('api', '') as never);
    expect(result.metadata?.name).toBe('api');
    expect(seen).toEqual([
      expect.objectContaining({
        method: 'PATCH',
        path: '/apis/apps/v1/namespaces/ns/deployments/api',
        query: { fieldManager: 'hoist', force: 'true' },
        contentType: 'application/apply-patch+yaml',
      }),
    ]);
  });

  it('retries 500, 503 and 409 with back-off, then succeeds', async () => {
    const answers = [500, 503, 409];
    handler = (_req, res) => {
      const status = answers.shift();
      if (status) json(res, status, statusBody(status, status === 409 ? 'Conflict' : 'InternalError'));
      else json(res, 200, deployment('api', '7'));
    };
    const api = createKubeApi(kubeConfig(), { retry: fast });
    await expect(api.patch('Deployment', 'ns', 'api', { spec: { replicas: 0 } })).resolves.toMatchObject({ metadata: { name: 'api' } });
    expect(seen).toHaveLength(4);
    expect(seen[0]?.contentType).toBe('application/merge-patch+json');
    // 10, 20, 40 ms between the attempts.
    expect((seen[3]?.at ?? 0) - (seen[0]?.at ?? 0)).toBeGreaterThanOrEqual(60);
  });

  it('honours Retry-After on 429', async () => {
    let first = true;
    handler = (_req, res) => {
      if (first) {
        first = false;
        return json(res, 429, statusBody(429, 'TooManyRequests'), { 'retry-after': '1' });
      }
      json(res, 200, { metadata: { resourceVersion: '3' }, items: [] });
    };
    const api = createKubeApi(kubeConfig(), { retry: fast });
    await api.list('Deployment', 'ns');
    expect(seen).toHaveLength(2);
    expect((seen[1]?.at ?? 0) - (seen[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('gives up when the budget is spent, with the status and the server\'s message', async () => {
    handler = (_req, res) => json(res, 503, statusBody(503, 'ServiceUnavailable'));
    const api = createKubeApi(kubeConfig(), { retry: { tries: 3, budgetMs: 5_000, baseDelayMs: 5 } });
    const error = await api.get('Deployment', 'ns', 'api').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeError);
    expect(error).toMatchObject({ status: 503, message: 'get Deployment ns/api: ServiceUnavailable happened (after 3 attempts)' });
    expect(seen).toHaveLength(3);
  });

  it('does not retry what retrying cannot fix (422), and a 404 read is null', async () => {
    handler = (req, res) => (req.method === 'GET' ? json(res, 404, statusBody(404, 'NotFound')) : json(res, 422, statusBody(422, 'Invalid')));
    const api = createKubeApi(kubeConfig(), { retry: fast });
    await expect(api.get('Deployment', 'ns', 'api')).resolves.toBeNull();
    await expect(api.apply('Deployment', 'ns', deployment('api', '') as never)).rejects.toMatchObject({ status: 422, message: 'apply Deployment ns/api: Invalid happened' });
    expect(seen).toHaveLength(2);
  });

  it('retries a refused connection, then reports it', async () => {
    const api = createKubeApi(kubeConfig('http://127.0.0.1:1'), { retry: { tries: 3, budgetMs: 5_000, baseDelayMs: 5 } });
    await expect(api.list('Pod', 'ns')).rejects.toMatchObject({ status: 0, message: expect.stringContaining('after 3 attempts') });
  });
});

describe('the reflector (list + watch)', () => {
  /** Lists answer `rv`; watches stay open and are handed to the test. */
  function serve(listVersions: string[]) {
    const opened: { res: ServerResponse; query: Record<string, string> }[] = [];
    const waiters: (() => void)[] = [];
    handler = (_req, res, entry) => {
      if (entry.query.watch === 'true') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        watches.add(res);
        opened.push({ res, query: entry.query });
        for (const w of waiters.splice(0)) w();
        return;
      }
      const rv = listVersions.shift() ?? '100';
      json(res, 200, { metadata: { resourceVersion: rv }, items: [deployment('api', rv)] });
    };
    const watchNumber = async (n: number) => {
      while (opened.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
      return opened[n - 1] as { res: ServerResponse; query: Record<string, string> };
    };
    return { opened, watchNumber };
  }
  const send = (res: ServerResponse, type: string, object: unknown) => res.write(`${JSON.stringify({ type, object })}\n`);

  it('watches from the list, resumes from the last version seen (bookmarks too), re-lists after 410 Gone', async () => {
    const { watchNumber } = serve(['10', '50']);
    const api = createKubeApi(kubeConfig(), { retry: fast });
    const reflector = new Reflector(api, 'Deployment', 'ns', 'app=x', { reopenDelayMs: 10, maxReopenDelayMs: 50, maxFailures: 5, watchTimeoutSeconds: 240 }).start();
    try {
      const first = await watchNumber(1);
      expect(first.query).toMatchObject({ watch: 'true', resourceVersion: '10', allowWatchBookmarks: 'true', labelSelector: 'app=x', timeoutSeconds: '240' });
      expect(reflector.items.get('api')?.metadata?.resourceVersion).toBe('10');

      send(first.res, 'ADDED', deployment('web', '11'));
      send(first.res, 'BOOKMARK', { kind: 'Deployment', metadata: { resourceVersion: '15' } });
      await waitUntil([reflector], () => (reflector.items.has('web') ? true : null), { timeoutMs: 2_000 });
      // The server ends the watch (as client-node's timeout or a proxy would).
      first.res.end();
      const second = await watchNumber(2);
      expect(second.query.resourceVersion).toBe('15');

      send(second.res, 'MODIFIED', deployment('web', '16'));
      send(second.res, 'DELETED', deployment('api', '17'));
      await waitUntil([reflector], () => (reflector.items.has('api') ? null : true), { timeoutMs: 2_000 });
      // A dropped connection: resume from 17.
      second.res.destroy();
      const third = await watchNumber(3);
      expect(third.query.resourceVersion).toBe('17');

      // Too old: the server says 410 Gone inside the watch; the reflector lists again.
      send(third.res, 'ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 17 (40)' });
      const fourth = await watchNumber(4);
      expect(fourth.query.resourceVersion).toBe('50');
      expect([...reflector.items.keys()]).toEqual(['api']);
      expect(seen.filter((s) => s.query.watch !== 'true').map((s) => s.method)).toEqual(['GET', 'GET']);
    } finally {
      reflector.stop();
    }
  });

  it('a watch refused with 410 re-lists; one that keeps failing ends the wait with an error', async () => {
    let watchAnswers = [410];
    handler = (_req, res, entry) => {
      if (entry.query.watch !== 'true') return json(res, 200, { metadata: { resourceVersion: '1' }, items: [] });
      const status = watchAnswers.shift() ?? 500;
      json(res, status, statusBody(status, 'Nope'));
    };
    const api = createKubeApi(kubeConfig(), { retry: fast });
    const reflector = new Reflector(api, 'Pod', 'ns', undefined, { reopenDelayMs: 5, maxReopenDelayMs: 20, maxFailures: 3, watchTimeoutSeconds: 240 }).start();
    try {
      const end = waitUntil([reflector], () => null, { timeoutMs: 5_000 });
      await expect(end).rejects.toThrow();
      const lists = seen.filter((s) => s.query.watch !== 'true').length;
      expect(lists).toBe(2);
      watchAnswers = [];
    } finally {
      reflector.stop();
    }
  });

  it('waitUntil ends on the signal, and on its timeout', async () => {
    serve(['1']);
    const api = createKubeApi(kubeConfig(), { retry: fast });
    const reflector = new Reflector(api, 'Deployment', 'ns', undefined).start();
    try {
      const controller = new AbortController();
      const waiting = waitUntil([reflector], () => null, { signal: controller.signal });
      controller.abort();
      await expect(waiting).resolves.toEqual({ kind: 'canceled' });
      await expect(waitUntil([reflector], () => null, { timeoutMs: 30 })).resolves.toEqual({ kind: 'timeout' });
    } finally {
      reflector.stop();
    }
  });
});
