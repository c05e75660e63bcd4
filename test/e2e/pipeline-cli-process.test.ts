import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeDeployment, startFakeHoistApi, type FakeHoistApi } from '../client/fake-hoist-api.ts';
import { runHoist } from '../support/worker-process.ts';



describe('`hoist deploy …` as a process: HOIST_SERVER, HOIST_TOKEN and the exit code', () => {
  let fake: FakeHoistApi;

  beforeAll(async () => {
    fake = await startFakeHoistApi();
  });

  afterAll(async () => {
    await fake?.close();
  });

  it('prints the thread and exits 0 when it succeeds, 3 when refused', async () => {
    let refuse = false;
    fake.routes.set('POST /apps/shop/environments/staging/deployments', () => {
      if (refuse) return { status: 422, body: { error: { code: 'NOT_ALLOWED', message: 'shop/staging runs nothing to restart' } } };
      const recorded = fakeDeployment();
      fake.emit('status', { status: 'DEPLOYING', service: 'web', reason: null });
      fake.deployment = { ...recorded, status: 'DEPLOYED', startedAt: recorded.requestedAt, finishedAt: '2026-12-04T10:00:05.000Z' };
      fake.emit('status', { status: 'DEPLOYED', service: null, reason: null });
      return { status: 202, body: { deployment: recorded, outcome: 'queued' } };
    });
    const env = { HOIST_SERVER: fake.url, HOIST_TOKEN: fake.token };
    const ok = await runHoist(['deploy', 'shop', 'to', 'staging'], env);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe('#12 deploy shop to staging — QUEUED\n  #12 │ web → DEPLOYING\n  #12 │ #12 DEPLOYED in 5s\n#12 shop/staging DEPLOYED\n');
    expect(ok.code).toBe(0);
    refuse = true;
    const refused = await runHoist(['restart', 'shop', 'in', 'staging', '--token', fake.token], { HOIST_SERVER: fake.url });
    expect(refused.stderr).toBe('hoist: refused: shop/staging runs nothing to restart\n');
    expect(refused.code).toBe(3);
  });
});
