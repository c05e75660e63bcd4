import type Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import { inspectContainer, removeContainer } from '../../src/engine/docker/client.ts';

/** An error as docker-modem builds it from the engine's answer (the shape Podman 4 gave for a container exiting during a forced remove). */
function engineError(statusCode: number, reason: string, cause: string, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) ${reason} - ${message} `), { reason, statusCode, json: { cause, message, response: statusCode } });
}

const improper = () =>
  engineError(
    500,
    'server error',
    'container state improper',
    'cannot remove container d427b97a as it could not be stopped: sending SIGKILL to container d427b97a: container state improper: stopped',
  );

/** A container whose removes answer with `answers` in turn (undefined: removed). */
function containerAnswering(answers: (Error | undefined)[]): { container: Dockerode.Container; calls: unknown[] } {
  const calls: unknown[] = [];
  const container = {
    remove: (options: unknown) => {
      calls.push(options);
      const answer = answers.shift();
      return answer === undefined ? Promise.resolve() : Promise.reject(answer);
    },
  } as unknown as Dockerode.Container;
  return { container, calls };
}

describe('removeContainer', () => {
  it('tries again when the container was exiting just then, and removes it', async () => {
    const { container, calls } = containerAnswering([improper(), improper()]);
    expect(await removeContainer(container, { v: true })).toBe('removed');
    expect(calls).toEqual([{ force: true, v: true }, { force: true, v: true }, { force: true, v: true }]);
  });

  it('says gone for a container that is not there', async () => {
    const { container, calls } = containerAnswering([engineError(404, 'no such container', 'no such container', 'no container with ID or name "x" found: no such container')]);
    expect(await removeContainer(container)).toBe('gone');
    expect(calls).toHaveLength(1);
  });

  it('gives up after four tries, with the engine’s answer', async () => {
    const { container, calls } = containerAnswering([improper(), improper(), improper(), improper(), improper()]);
    await expect(removeContainer(container)).rejects.toThrow(/container state improper/);
    expect(calls).toHaveLength(4);
  });

  it('does not try again after any other refusal', async () => {
    const { container, calls } = containerAnswering([engineError(500, 'server error', 'device or resource busy', 'removing container root filesystem: device or resource busy')]);
    await expect(removeContainer(container)).rejects.toThrow(/resource busy/);
    expect(calls).toHaveLength(1);
  });
});

/** The answer Podman 4 gave to an inspect of a container whose process was exiting just then. */
const processGone = () => engineError(500, 'server error', 'no such process', 'read /proc/19335/cgroup: no such process');

/** A container whose inspects answer with `answers` in turn (an object: that inspect's result). */
function inspectedAs(answers: (Error | object)[]): { container: Dockerode.Container; calls: () => number } {
  let calls = 0;
  const container = {
    inspect: () => {
      calls += 1;
      const answer = answers.shift();
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
  } as unknown as Dockerode.Container;
  return { container, calls: () => calls };
}

describe('inspectContainer', () => {
  const exited = { State: { Running: false, ExitCode: 7 } };

  it('tries again when the container’s process went away under the engine, and answers what the engine then says', async () => {
    const { container, calls } = inspectedAs([processGone(), processGone(), exited]);
    expect(await inspectContainer(container)).toEqual(exited);
    expect(calls()).toBe(3);
  });

  it('gives up after four tries, with the engine’s answer', async () => {
    const { container, calls } = inspectedAs([processGone(), processGone(), processGone(), processGone(), exited]);
    await expect(inspectContainer(container)).rejects.toThrow(/no such process/);
    expect(calls()).toBe(4);
  });

  it('does not try again after any other refusal', async () => {
    const { container, calls } = inspectedAs([engineError(404, 'no such container', 'no such container', 'no container with ID or name "x" found: no such container'), exited]);
    await expect(inspectContainer(container)).rejects.toThrow(/no such container/);
    expect(calls()).toBe(1);
  });
});
