import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** Resolves when the process printed something matching `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * A `hoist worker` (or `start`, `server`) process with the given environment; resolves once it is
 * running. `args` follow the mode; `stdin: 'ignore'` gives it /dev/null as standard input, as a
 * container has, `'end'` a pipe closed at once.
 */
export async function startWorkerProcess(
  vars: Record<string, string>,
  mode: 'worker' | 'start' | 'server' = 'worker',
  options: { args?: string[]; stdin?: 'pipe' | 'ignore' | 'end' } = {},
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/hoist.mjs'), mode, ...(options.args ?? [])], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...vars, LOG_LEVEL: 'info' },
    stdio: [options.stdin === 'ignore' ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (options.stdin === 'end') child.stdin?.end();
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    text += d.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitForOutput = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(text)) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`worker ${child.pid} did not print ${pattern} within ${timeoutMs} ms:\n${text.slice(-2000)}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  await waitForOutput(/running.*\(pid \d+\)/, 60_000);
  return {
    child,
    // tsx runs Hoist in a child of its own: the pid Hoist reports is the one that executes.
    pid: Number(/running.*\(pid (\d+)\)/.exec(text)?.[1] ?? child.pid),
    output: () => text,
    waitForOutput,
    exited,
    kill: (signal = 'SIGTERM') => {
      child.kill(signal);
    },
  };
}

/** `hoist <args>` run to its end, as a pipeline or a shell runs it: what it printed and its exit code. `stdin`: written then closed (null: none). */
export function runHoist(args: string[], env: Record<string, string>, stdin: string | null = null): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/hoist.mjs'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
      stdio: [stdin === null ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (stdin !== null) child.stdin?.end(stdin);
  });
}
