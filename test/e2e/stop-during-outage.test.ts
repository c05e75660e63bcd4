import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appYaml, freePort, randomName, startTestHoist, type TestHoist } from '../support/hoist-harness.ts';
import { ownRedis, type OwnRedis } from '../support/redis-server.ts';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';

/**
 * A restart is what an operator tries first when Redis is away: the process must
 * stop on SIGTERM then, not wait for a Redis that may never come back.
 */
describe('stopping while Redis is away', () => {
  const app = randomName('stop-outage');
  let redis: OwnRedis;
  let server: TestHoist;
  let worker: WorkerProcess | null = null;

  beforeAll(async () => {
    redis = ownRedis(await freePort());
    await redis.start();
    server = await startTestHoist({
      yaml: appYaml({ app, repo: '.', port: await freePort() }),
      mode: 'server',
      env: { REDIS_URL: redis.url },
    });
  }, 120_000);

  afterAll(async () => {
    worker?.kill('SIGKILL');
    await redis?.start().catch(() => undefined);
    await server?.stop();
    await redis?.stop();
  });

  it('a worker given SIGTERM while Redis is stopped exits 0 within seconds', async () => {
    worker = await startWorkerProcess(server.vars);
    await redis.stop();
    // Its connections notice the loss and start retrying before it is told to stop.
    await worker.waitForOutput(/redis unreachable/, 15_000);
    const asked = Date.now();
    worker.kill('SIGTERM');
    const code = await Promise.race([worker.exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 15_000))]);
    expect(code).toBe(0);
    expect(Date.now() - asked).toBeLessThan(8_000);
  });

  it('a worker told to stop the moment Redis goes away, before it noticed, exits 0 within seconds', async () => {
    await redis.start();
    worker = await startWorkerProcess(server.vars);
    await redis.stop();
    const asked = Date.now();
    worker.kill('SIGTERM');
    const code = await Promise.race([worker.exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 15_000))]);
    // Ended by the signal itself (no listener yet), it says nothing of stopping: its output shows.
    expect(code, `ended by ${String(worker.child.signalCode)}; it said: ${worker.output().slice(-1_500)}`).toBe(0);
    expect(Date.now() - asked).toBeLessThan(8_000);
  });
});
