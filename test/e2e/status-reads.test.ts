import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.ts';
import { startHoist, type RunningHoist } from '../../src/main.ts';
import type { Actor } from '../../src/service/contract.ts';
import { BASE_IMAGE, DOCKER_HOST, eventually, REGISTRY, startTestHoist, type TestHoist } from '../support/hoist-harness.ts';

const yaml = `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
  shop:
    repo: .
    services:
      box: { type: container, image: ${BASE_IMAGE}, command: ["/bin/busybox", "sleep", "3600"] }
    environments:
      qa: { target: engine }
`;

const alice: Actor = { requester: { id: 'U0ALICE', name: 'alice' }, origin: { kind: 'shell' } };

/**
 * The status read of two Hoist server processes on one database and Redis: each keeps the
 * environments in memory, sees its own writes in its next read, and another's within a second.
 */
describe('status reads across processes', () => {
  let first: TestHoist;
  let second: RunningHoist;
  beforeAll(async () => {
    first = await startTestHoist({ yaml, mode: 'server' });
    second = await startHoist({ env: parseEnv(first.vars), mode: 'server', shell: null, logger: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    await second?.stop();
    await first?.stop();
  });

  const lockOnFirst = async (): Promise<unknown> => {
    const res = await first.api('/apps/shop/environments/qa');
    expect(res.status).toBe(200);
    return ((await res.json()) as { lock: unknown }).lock;
  };

  it("a lock taken through another process is in this one's reads within a second; its own unlock in its next read", async () => {
    expect(await lockOnFirst()).toBeNull();
    const taken = await second.api.lockEnvironment({ app: 'shop', env: 'qa', reason: 'taken elsewhere' }, alice);
    expect(taken.ok).toBe(true);
    const at = Date.now();
    const seen = await eventually(lockOnFirst, 1_000, "the other process's lock");
    expect(Date.now() - at).toBeLessThan(1_000);
    expect(seen).toMatchObject({ owner: { id: 'U0ALICE' }, reason: 'taken elsewhere' });

    expect(await first.hoist.api.unlockEnvironment({ app: 'shop', env: 'qa', force: false }, alice)).toMatchObject({ ok: true });
    expect(await lockOnFirst()).toBeNull();
  });
});
