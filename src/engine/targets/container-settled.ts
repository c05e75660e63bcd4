import type Dockerode from 'dockerode';

/** Events after which the engine is done with a stopped container: Podman's `cleanup`, Docker's `stop`. */
const SETTLED = new Set(['cleanup', 'stop']);

export interface Settling {
  /** Resolves once the engine is done with the container, or after the time limit. */
  wait(): Promise<void>;
  /** Stops listening (the stop did not happen). */
  cancel(): void;
}

/**
 * Starts listening for the engine to finish with a container that is about to stop.
 * Podman unmounts and releases a stopped container in the background after `stop` has
 * answered: an action is done only once that has happened too, so nothing of it spills
 * into the next action on the environment.
 */
export async function whenSettled(docker: Dockerode, containerId: string, timeoutMs = 2_000): Promise<Settling> {
  const stream = (await docker.getEvents({ filters: { container: [containerId] } })) as unknown as NodeJS.ReadableStream & { destroy(): void };
  let settle: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    settle = resolve;
  });
  let buffered = '';
  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const action = actionOf(line);
      if (action !== null && SETTLED.has(action)) settle();
    }
  });
  stream.on('error', () => settle());
  stream.on('end', () => settle());
  const close = () => {
    settle();
    stream.destroy();
  };
  return {
    async wait() {
      const timer = setTimeout(settle, timeoutMs);
      await done;
      clearTimeout(timer);
      close();
    },
    cancel: close,
  };
}

function actionOf(line: string): string | null {
  if (!line.trim()) return null;
  try {
    const event = JSON.parse(line) as { Action?: string; status?: string };
    return event.Action ?? event.status ?? null;
  } catch {
    return null;
  }
}
