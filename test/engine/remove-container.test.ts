import type Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import { removeContainer } from '../../src/engine/docker/client.ts';

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
