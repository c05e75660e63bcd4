import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CallErrorKind } from '../../src/domain/call-errors.ts';
import { createImageRegistry } from '../../src/engine/build/image-registry.ts';

/**
 * Lookups of one image asked together share one request, and none is answered with what the
 * registry said before it was asked: a registry on loopback (Distribution API v2 paths) whose
 * tags can be moved, and which can hold its answers back.
 */
describe('image registry lookups asked together', () => {
  let server: Server;
  let host: string;
  /** Tag (`repo:tag`) → the digest it names now; absent: 404. */
  const tags = new Map<string, string>();
  /** Every manifest request received, as `METHOD repo:tag`. */
  let received: string[] = [];
  /** While set, answers wait until it resolves. */
  let held: Promise<void> | null = null;
  /** Called with each request as it arrives, before its answer. */
  let onRequest: (() => void) | null = null;

  const answer = (req: IncomingMessage, res: ServerResponse) => {
    const match = /^\/v2\/([^/]+)\/manifests\/([^/]+)$/.exec(req.url ?? '');
    const key = `${match?.[1]}:${decodeURIComponent(match?.[2] ?? '')}`;
    if (match?.[1] === 'broken') res.writeHead(500);
    else {
      const digest = tags.get(key);
      // As Distribution answers a HEAD: the manifest's length and digest, without the manifest.
      res.writeHead(digest === undefined ? 404 : 200, digest === undefined ? {} : { 'docker-content-digest': digest, 'content-length': '732' });
    }
    res.end();
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const match = /^\/v2\/([^/]+)\/manifests\/([^/]+)$/.exec(req.url ?? '');
      received.push(`${req.method} ${match?.[1]}:${decodeURIComponent(match?.[2] ?? '')}`);
      onRequest?.();
      if (held === null) answer(req, res);
      else void held.then(() => answer(req, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    received = [];
    held = null;
    onRequest = null;
    tags.clear();
  });

  it('twenty lookups of one image in one turn: one request, the same answer for each', async () => {
    tags.set('api:v1', 'sha256:aaa');
    const registry = createImageRegistry();
    const answers = await Promise.all(Array.from({ length: 20 }, () => registry.lookup(`${host}/api:v1`)));
    expect(received).toEqual(['HEAD api:v1']);
    expect(answers).toEqual(Array.from({ length: 20 }, () => ({ status: 'found', digest: 'sha256:aaa' })));
  });

  it('lookups of different images or tags in one turn: one request each', async () => {
    tags.set('api:v1', 'sha256:aaa');
    tags.set('api:v2', 'sha256:bbb');
    tags.set('web:v1', 'sha256:ccc');
    const registry = createImageRegistry();
    const answers = await Promise.all([`${host}/api:v1`, `${host}/api:v2`, `${host}/web:v1`, `${host}/api:v1`, `${host}/web:v9`].map((image) => registry.lookup(image)));
    expect([...received].sort()).toEqual(['HEAD api:v1', 'HEAD api:v2', 'HEAD web:v1', 'HEAD web:v9']);
    expect(answers).toEqual([
      { status: 'found', digest: 'sha256:aaa' },
      { status: 'found', digest: 'sha256:bbb' },
      { status: 'found', digest: 'sha256:ccc' },
      { status: 'found', digest: 'sha256:aaa' },
      { status: 'missing', reason: `${host}/web has no tag "v9"` },
    ]);
  });

  it('a lookup asked once the request is out sends its own, and sees the tag as it is by then', async () => {
    tags.set('api:v1', 'sha256:old');
    let release!: () => void;
    held = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const firstArrived = new Promise<void>((resolve) => (arrived = resolve));
    onRequest = () => arrived();
    const registry = createImageRegistry();
    const first = registry.lookup(`${host}/api:v1`);
    await firstArrived;
    // The tag is pushed over after the first question reached the registry, before the second is asked.
    tags.set('api:v1', 'sha256:new');
    const second = registry.lookup(`${host}/api:v1`);
    // The first request's answer was held until now; once released, it is what the registry says by then.
    onRequest = null;
    held = null;
    release();
    expect(await second).toEqual({ status: 'found', digest: 'sha256:new' });
    expect(received).toEqual(['HEAD api:v1', 'HEAD api:v1']);
    await first;
  });

  it('a lookup asked after the answer came sends its own request', async () => {
    tags.set('api:v1', 'sha256:old');
    const registry = createImageRegistry();
    expect(await registry.lookup(`${host}/api:v1`)).toEqual({ status: 'found', digest: 'sha256:old' });
    tags.set('api:v1', 'sha256:new');
    expect(await registry.lookup(`${host}/api:v1`)).toEqual({ status: 'found', digest: 'sha256:new' });
    expect(received).toEqual(['HEAD api:v1', 'HEAD api:v1']);
  });

  it('a failed answer is every waiting lookup’s, counted once (one request failed)', async () => {
    const counted: CallErrorKind[] = [];
    const registry = createImageRegistry({ callErrors: (_system, kind) => counted.push(kind) });
    const answers = await Promise.all(Array.from({ length: 5 }, () => registry.lookup(`${host}/broken:v1`)));
    expect(received).toEqual(['HEAD broken:v1']);
    expect(answers.every((a) => a.status === 'unchecked' && a.reason.includes('HTTP 500'))).toBe(true);
    expect(counted).toEqual(['server_error']);
  });
});
