import Dockerode from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import type { EnvironmentReading } from '../../src/domain/running-status.ts';
import type { Placement } from '../../src/engine/ports.ts';
import { readEnvironment, watchDockerRunning } from '../../src/engine/targets/docker-running.ts';
import { removeAppContainers, testDocker } from '../support/containers.ts';
import { BASE_IMAGE, randomName } from '../support/hoist-harness.ts';

/**
 * What the Docker target reads of an environment on the real engine: every serving container
 * of a service counted (one or several replicas), a canary not, a stopped one not ready; and
 * the engine's events read it again when a container dies.
 */
describe('running status from the Docker engine', () => {
  const app = randomName('dr');
  const placement: Placement = { app, env: 'e1', namespace: '', target: { kind: 'docker' } };
  const docker = testDocker();

  afterAll(() => removeAppContainers(app));

  async function run(service: string, replica: number, role: 'service' | 'canary', running = true) {
    const container = await docker.createContainer({
      name: `hoist-${app}-e1-${service}-${replica}-${role}`,
      Image: BASE_IMAGE,
      Cmd: ['/bin/busybox', 'sleep', '600'],
      Labels: { 'io.hoist.app': app, 'io.hoist.env': 'e1', 'io.hoist.service': service, 'io.hoist.role': role, 'io.hoist.deployment': '1', 'io.hoist.replica': String(replica) },
      HostConfig: { Init: true },
    });
    if (running) await container.start();
    return container;
  }

  it('counts each service’s serving containers: ready when running, a canary not at all', async () => {
    await run('web', 0, 'service');
    await run('web', 1, 'service', false);
    await run('web', 0, 'canary');
    await run('db', 0, 'service');
    expect(await readEnvironment(docker, placement)).toEqual([
      { service: 'db', desired: 1, ready: 1, restarts: 0, failing: null },
      { service: 'web', desired: 2, ready: 1, restarts: 0, failing: null },
    ]);
  }, 60_000);

  it('reads the environment again when the engine says a container died', async () => {
    const readings: EnvironmentReading[] = [];
    let notify = () => {};
    const watch = watchDockerRunning(docker, [placement], (_placement, reading) => {
      readings.push(reading);
      notify();
    });
    const readyOf = (reading: EnvironmentReading | undefined) => (reading?.ok === true ? reading.workloads.find((w) => w.service === 'db')?.ready : undefined);
    const until = (predicate: () => boolean) =>
      new Promise<void>((resolve) => {
        notify = () => predicate() && resolve();
        notify();
      });
    try {
      await until(() => readyOf(readings.at(-1)) === 1);
      const [db] = await docker.listContainers({ filters: { label: [`io.hoist.app=${app}`, 'io.hoist.service=db'] } });
      await docker.getContainer(db?.Id ?? '').kill();
      await until(() => readyOf(readings.at(-1)) === 0);
    } finally {
      await watch.stop();
    }
  }, 30_000);

  it('says the engine cannot be reached while it does not answer', async () => {
    const nowhere = new Dockerode({ socketPath: '/nonexistent/hoist-test.sock' });
    const reading = await new Promise<EnvironmentReading>((resolve) => {
      const watch = watchDockerRunning(nowhere, [placement], (_placement, r) => {
        void watch.stop();
        resolve(r);
      });
    });
    expect(reading).toMatchObject({ ok: false, reason: expect.stringContaining('the engine did not answer') });
  });
});
