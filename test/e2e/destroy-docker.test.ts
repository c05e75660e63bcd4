import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeContainer } from '../../src/engine/docker/client.ts';
import { removeAppContainers, testDocker } from '../support/containers.ts';
import { uniquePrefix } from '../support/databases.ts';
import { BASE_IMAGE, DOCKER_HOST, randomName, REGISTRY } from '../support/hoist-harness.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

function runHoist(stdin: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/hoist.mjs'), 'start'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/**
 * `destroy` end to end on Podman, from the terminal chat of `hoist start`: a database with
 * data in its named volume is destroyed only once its name is typed again, and afterwards
 * neither its containers nor its volume are left; a deploy starts it again afresh.
 */
describe('destroy on the Docker target, from the terminal chat', () => {
  const app = randomName('dst');
  const volume = `hoist-${app}-local-db-data`;
  const docker = testDocker();
  let dir: string;
  let env: Record<string, string>;

  /** Runs a throwaway container on the data volume; its output. */
  async function onVolume(script: string): Promise<string> {
    const container = await docker.createContainer({
      Image: BASE_IMAGE,
      Cmd: ['/bin/busybox', 'sh', '-c', script],
      HostConfig: { Binds: [`${volume}:/data`] },
    });
    try {
      await container.start();
      const exit = (await container.wait()) as { StatusCode: number };
      const logs = (await container.logs({ stdout: true, stderr: true })).toString('utf8');
      expect(exit.StatusCode, logs).toBe(0);
      return logs;
    } finally {
      await removeContainer(container);
    }
  }

  const volumeExists = async (): Promise<boolean> => {
    try {
      await docker.getVolume(volume).inspect();
      return true;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return false;
      throw error;
    }
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hoist-destroy-'));
    writeFileSync(
      join(dir, 'hoist.yaml'),
      `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
  ${app}:
    repo: /srv/none
    services:
      db: { type: database, image: ${BASE_IMAGE}, command: [/bin/busybox, sleep, "3600"], path: /data }
    environments:
      local: { target: engine }
`,
    );
    env = {
      HOIST_CONFIG: join(dir, 'hoist.yaml'),
      HOIST_DATA_DIR: join(dir, 'data'),
      HOIST_REDIS_PREFIX: uniquePrefix(),
      DOCKER_HOST,
      HOIST_REGISTRY_URL: REGISTRY,
      PORT: '0',
      HOST: '127.0.0.1',
    };
  });

  afterAll(async () => {
    await removeAppContainers(app);
    await docker
      .getVolume(volume)
      .remove()
      .catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  // Three starts of Hoist, each with its engine work: minutes on a busy machine.
  it('keeps the data until the name is typed again, then removes the containers and the volume; a deploy starts afresh', { timeout: 480_000 }, async () => {
    const deployed = await runHoist(`deploy ${app}/db to local\n`, env);
    expect(deployed.stdout, deployed.stderr).toMatch(new RegExp(`#1 ${app}/local DEPLOYED`));
    // The rollout made the data volume the database keeps its data in.
    expect(await volumeExists()).toBe(true);
    await onVolume('echo "orders 1-42" > /data/orders');
    expect(await onVolume('cat /data/orders')).toContain('orders 1-42');

    const destroyed = await runHoist(`destroy ${app}/db in local\ndestroy ${app}/db in local --confirm ${app}/db\nstatus ${app}\n`, env);
    // The first line is refused (exit 1) with exactly what to type; the second destroys.
    expect(destroyed.code).toBe(1);
    expect(destroyed.stdout).toContain(`destroying ${app}/db in local removes it and its data for good; to go ahead, give its full name again: ${app}/db.`);
    expect(destroyed.stdout).toContain(`Type exactly: \`destroy ${app}/db in local --confirm ${app}/db\``);
    expect(destroyed.stdout).toMatch(/db → DESTROYING/);
    expect(destroyed.stdout).toMatch(new RegExp(`#2 ${app}/local DESTROYED`));
    expect(destroyed.stdout).not.toMatch(/#3/);
    expect(await volumeExists()).toBe(false);
    const left = await docker.listContainers({ all: true, filters: { label: [`io.hoist.app=${app}`, 'io.hoist.service=db'] } });
    expect(left).toEqual([]);

    const again = await runHoist(`redeploy ${app}/db in local\ndeploy ${app}/db to local\n`, env);
    expect(again.stdout).toContain('db in local was destroyed; `deploy` it to start it afresh.');
    expect(again.stdout).toMatch(new RegExp(`#3 ${app}/local DEPLOYED`));
    const running = await docker.listContainers({ filters: { label: [`io.hoist.app=${app}`, 'io.hoist.service=db'] } });
    expect(running).toHaveLength(1);
  });
});
