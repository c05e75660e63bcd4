import { createImageRegistry } from '../../src/engine/build/image-registry.ts';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';
import type { Source } from '../../src/engine/ports.ts';
import type { ActionCommand, HoistService, RequestResult } from '../../src/service/contract.ts';
import { createHoistService } from '../../src/service/hoist-service.ts';
import { setDeploymentStatus } from '../../src/store/deployments.ts';
import { openTestStore } from '../support/databases.ts';

const SHAS: Record<string, string> = { main: 'a'.repeat(40), other: 'b'.repeat(40) };

/** Refs resolve from a table, so a test says which SHA a request gets. */
const source: Source = {
  resolve: async (_repo, ref) => ({ ok: true, sha: SHAS[ref ?? 'main'] ?? SHAS.main! }),
  archive: async () => Readable.from([]),
};

const deploy = (env: string, ref: string | null, services: string[] | null = null): ActionCommand => ({ verb: 'deploy', scope: { app: 'shop', services }, env, ref });

describe('identical requests join a deployment still waiting', () => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  let api: HoistService;
  let kicks = 0;

  beforeAll(async () => {
    store = await openTestStore('postgres');
    const config = parseHoistConfig(
      `
targets: { engine: { kind: docker } }
apps:
  shop:
    repo: /srv/shop
    services:
      web: { type: application, build: { context: . }, port: 8080 }
      worker: { type: application, build: { context: . } }
    environments:
      a: { target: engine }
      b: { target: engine }
      c: { target: engine }
      d: { target: engine }
      e: { target: engine }
`,
      join(tmpdir(), 'coalesce.yaml'),
    );
    api = createHoistService({ db: store.db, config, source, registry: createImageRegistry(), kick: async () => void kicks++, notify: () => {} });
  });

  afterAll(async () => {
    await store?.cleanup();
  });

  const ask = (command: ActionCommand, user = 'U0ALICE', key?: string): Promise<RequestResult> =>
    api.request(command, { requester: { id: user, name: user.toLowerCase() }, origin: { kind: 'shell' }, trigger: 'shell', ...(key ? { requestKey: key } : {}) });

  const okOf = (result: RequestResult) => {
    if (!result.ok) throw new Error(result.reason);
    return result;
  };

  it('the same action, scope and SHA joins the waiting one, whoever asks', async () => {
    const first = okOf(await ask(deploy('a', null)));
    const second = okOf(await ask(deploy('a', 'main'), 'U0BOB'));
    expect(first.coalesced).toBe(false);
    expect(second).toMatchObject({ coalesced: true, duplicate: false, deployment: { id: first.deployment.id, requestedBy: 'U0ALICE' } });
  });

  it('a different SHA, scope or action makes a deployment of its own', async () => {
    const first = okOf(await ask(deploy('b', null)));
    const otherSha = okOf(await ask(deploy('b', 'other')));
    const otherScope = okOf(await ask(deploy('b', null, ['web'])));
    const otherOrder = okOf(await ask(deploy('b', null, ['worker', 'web'])));
    const ids = [first, otherSha, otherScope, otherOrder].map((r) => r.deployment.id);
    expect(new Set(ids).size).toBe(4);
    expect([otherSha, otherScope, otherOrder].map((r) => r.coalesced)).toEqual([false, false, false]);
    // The same services in another order are the same scope.
    expect(okOf(await ask(deploy('b', null, ['web', 'worker']))).deployment.id).toBe(otherOrder.deployment.id);
    // Another environment is another queue.
    expect(okOf(await ask(deploy('c', null))).coalesced).toBe(false);
  });

  it('one that has started is not joined: the request waits behind it', async () => {
    const running = okOf(await ask(deploy('d', null)));
    await setDeploymentStatus(store.db, running.deployment.id, { status: 'DEPLOYING', started: true });
    const next = okOf(await ask(deploy('d', null)));
    expect(next.coalesced).toBe(false);
    expect(next.deployment.id).not.toBe(running.deployment.id);
  });

  it('fifty identical requests at once record one deployment', async () => {
    const results = (await Promise.all(Array.from({ length: 50 }, (_, i) => ask(deploy('e', null), `U0U${i}`, `key-${i}`)))).map(okOf);
    const ids = new Set(results.map((r) => r.deployment.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => !r.coalesced)).toHaveLength(1);
    // The same request key again is the same request, not a coalesced one.
    const again = okOf(await ask(deploy('e', null), 'U0U0', 'key-0'));
    expect(again.deployment.id).toBe([...ids][0]);
  });
});
