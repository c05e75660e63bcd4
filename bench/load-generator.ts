import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadReply } from './load-process.ts';
import type { LoadPlan, Sample } from './open-loop.ts';
import type { ReadPlan } from './read-loop.ts';

export interface LoadGenerator {
  run(plan: LoadPlan | ReadPlan): Promise<Sample[]>;
  stop(): void;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Forks the load generator (load-process.ts) once; every run goes through the same process. */
export function startLoadGenerator(): LoadGenerator {
  const child = fork(fileURLToPath(new URL('./load-process.ts', import.meta.url)), [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exited: Error | null = null;
  child.on('exit', (code, signal) => {
    exited = new Error(`the load generator exited (${signal ?? code})`);
  });
  return {
    run(plan) {
      if (exited) return Promise.reject(exited);
      return new Promise((resolve, reject) => {
        const onExit = () => reject(exited ?? new Error('the load generator exited'));
        child.once('exit', onExit);
        child.once('message', (reply: LoadReply) => {
          child.off('exit', onExit);
          if ('error' in reply) reject(new Error(`load generator: ${reply.error}`));
          else resolve(reply.samples);
        });
        child.send(plan);
      });
    },
    stop() {
      if (child.connected) child.disconnect();
      if (child.exitCode === null && child.signalCode === null) {
        setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) child.kill();
        }, 2_000).unref();
      }
    },
  };
}
