import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** A process of the host, as `ps` lists it. */
export interface Process {
  pid: number;
  ppid: number;
  args: string;
}

/** The host's processes, from ps (the engine's build steps among them). */
export function processes(): Process[] {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] ?? '' }));
}

/** Waits until `left` reports nothing left ('' or true); the error says what was left last. */
export async function waitFor(what: string, left: () => string | boolean | Promise<string | boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await left();
    if (state === '' || state === true) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${typeof state === 'string' ? `: ${state}` : ''}`);
    await sleep(50);
  }
}
