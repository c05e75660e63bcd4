import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallErrorKind, CallSystem } from '../../src/domain/call-errors.ts';
import { createImageRegistry } from '../../src/engine/build/image-registry.ts';
import { freePort } from '../support/hoist-harness.ts';

/**
 * The registry's failed answers counted as call errors, as tag lookups meet them: a registry
 * on loopback that answers each repository its own way (Distribution API v2 paths).
 */
describe('registry call errors', () => {
  let server: Server;
  let host: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const repo = /^\/v2\/([^/]+)\/manifests\//.exec(req.url ?? '')?.[1];
      const basic = `Basic ${Buffer.from('hoist:secret').toString('base64')}`;
      switch (repo) {
        case 'found':
          // As Distribution answers a HEAD: the manifest's length, without the manifest.
          res.writeHead(200, { 'docker-content-digest': 'sha256:abc', 'content-length': '732' });
          break;
        case 'missing':
          res.writeHead(404);
          break;
        case 'broken':
          res.writeHead(500);
          break;
        case 'busy':
          res.writeHead(429, { 'retry-after': '1' });
          break;
        case 'private':
          res.writeHead(req.headers.authorization === basic ? 200 : 401, { 'www-authenticate': 'Basic realm="test"' });
          break;
        default:
          res.writeHead(401);
      }
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it.each<[string, string, CallErrorKind[]]>([
    ['a tag found', 'found', []],
    ['a tag missing (an answer, not a failure)', 'missing', []],
    ['a challenge answered with the credentials', 'private', []],
    ['a server error', 'broken', ['server_error']],
    ['throttled', 'busy', ['rate_limited']],
    ['refused without a challenge to answer', 'denied', ['client_error']],
  ])('%s', async (_what, repo, kinds) => {
    const counted: [CallSystem, CallErrorKind][] = [];
    const registry = createImageRegistry({ auth: { username: 'hoist', password: 'secret' }, callErrors: (system, kind) => counted.push([system, kind]) });
    await registry.lookup(`${host}/${repo}:1`);
    expect(counted).toEqual(kinds.map((kind) => ['registry', kind]));
  });

  it('asks a registry lookup after lookup over one kept-open connection', async () => {
    let connections = 0;
    const count = () => connections++;
    server.on('connection', count);
    try {
      const registry = createImageRegistry();
      for (const tag of ['1', '2', '3']) expect(await registry.lookup(`${host}/found:${tag}`)).toEqual({ status: 'found', digest: 'sha256:abc' });
      expect(connections).toBeLessThanOrEqual(1);
    } finally {
      server.off('connection', count);
    }
  });

  it('a registry that takes the connection and never answers: timeout, within the lookup time', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const counted: CallErrorKind[] = [];
      const registry = createImageRegistry({ timeoutMs: 300, callErrors: (_system, kind) => counted.push(kind) });
      const lookup = await registry.lookup(`127.0.0.1:${(silent.address() as AddressInfo).port}/slow:1`);
      expect(lookup).toEqual({ status: 'unchecked', reason: expect.stringContaining('no answer in time') });
      expect(counted).toEqual(['timeout']);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('a registry that does not answer at all: network', async () => {
    const counted: CallErrorKind[] = [];
    const registry = createImageRegistry({ callErrors: (_system, kind) => counted.push(kind) });
    const lookup = await registry.lookup(`127.0.0.1:${await freePort()}/nothing:1`);
    expect(lookup.status).toBe('unchecked');
    expect(counted).toEqual(['network']);
  });
});
