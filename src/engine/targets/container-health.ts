import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import { demuxLogs, inspectContainer } from '../docker/client.ts';

const DEFAULT_HEALTH_PATH = '/';

/**
 * `http://127.0.0.1:<hostPort><health path>` for a service published on `hostPort`. A database
 * speaks no HTTP unless its `health` says so: null, it is healthy when it keeps running.
 */
export function healthUrl(service: { type: string; health: { path: string } | null }, hostPort: number): string | null {
  if (service.type === 'database' && service.health === null) return null;
  const path = service.health?.path ?? DEFAULT_HEALTH_PATH;
  return `http://127.0.0.1:${hostPort}${path.startsWith('/') ? path : `/${path}`}`;
}

export type HealthResult =
  | { ok: true; ms: number }
  | { ok: false; kind: 'timeout' | 'exited' | 'canceled'; reason: string };

export interface HealthCheck {
  /** `http://127.0.0.1:<port><path>`; null: healthy when still running after `settleMs`. */
  url: string | null;
  timeoutMs: number;
  settleMs?: number;
  intervalMs?: number;
  /** Restarts the container had before this check (an old container brought back). */
  restartsBefore?: number;
  signal: AbortSignal;
  /** The engine, to ask for the exit code of a container its restart policy restarted (inspect shows it running again). */
  docker?: Dockerode;
}

/**
 * Waits until the container answers GET `url` with 2xx/3xx. Gives up at the timeout, at
 * once when the container exits (or is restarted by its restart policy), or on abort.
 */
export async function waitHealthy(container: Dockerode.Container, check: HealthCheck): Promise<HealthResult> {
  const started = Date.now();
  const deadline = started + (check.url === null ? (check.settleMs ?? 1_000) : check.timeoutMs);
  const interval = check.intervalMs ?? 100;
  for (;;) {
    if (check.signal.aborted) return { ok: false, kind: 'canceled', reason: 'canceled' };
    const info = await inspectContainer(container);
    const exited = describeExit(info, check.restartsBefore ?? 0);
    if (exited === RESTARTED) {
      const code = check.docker ? await lastExitCode(check.docker, info.Id, started) : null;
      return { ok: false, kind: 'exited', reason: code === null ? RESTARTED : `the container exited with code ${code} (and was restarted)` };
    }
    if (exited) return { ok: false, kind: 'exited', reason: exited };
    if (check.url === null) {
      if (Date.now() >= deadline) return { ok: true, ms: Date.now() - started };
    } else {
      const remaining = Math.max(deadline - Date.now(), 1);
      const status = await httpStatus(check.url, Math.min(remaining, 2_000), check.signal);
      if (typeof status === 'number' && status >= 200 && status < 400) return { ok: true, ms: Date.now() - started };
      const last = typeof status === 'number' ? `HTTP ${status}` : status;
      if (Date.now() >= deadline) {
        const seconds = Math.round(check.timeoutMs / 100) / 10;
        return { ok: false, kind: 'timeout', reason: `no healthy answer from GET ${check.url} within ${seconds}s (last: ${last})` };
      }
    }
    try {
      await sleep(interval, undefined, { signal: check.signal });
    } catch {
      return { ok: false, kind: 'canceled', reason: 'canceled' };
    }
  }
}

const RESTARTED = 'the container exited and was restarted';

function describeExit(info: Dockerode.ContainerInspectInfo, restartsBefore: number): string | null {
  const state = info.State;
  if (state.OOMKilled) return 'the container was killed: out of memory';
  if (!state.Running) return `the container exited with code ${state.ExitCode}`;
  if (state.Restarting || info.RestartCount > restartsBefore) return RESTARTED;
  return null;
}

/** The exit code of the container's last `die` event since `sinceMs`, from the engine's event log; null when it has none. */
async function lastExitCode(docker: Dockerode, id: string, sinceMs: number): Promise<number | null> {
  try {
    const stream = await docker.getEvents({
      since: Math.floor(sinceMs / 1000) - 1,
      until: Math.ceil(Date.now() / 1000) + 1,
      filters: JSON.stringify({ container: [id], event: ['die'] }),
    });
    let text = '';
    for await (const chunk of stream as AsyncIterable<Buffer | string>) text += chunk.toString();
    let code: number | null = null;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const event = JSON.parse(line) as { Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
      const value = event.Action === 'die' && event.Actor?.ID === id ? event.Actor.Attributes?.exitCode : undefined;
      if (value !== undefined && /^\d+$/.test(value)) code = Number(value);
    }
    return code;
  } catch {
    return null;
  }
}

/** The status of one GET on a fresh connection, or what went wrong instead. */
function httpStatus(url: string, timeoutMs: number, signal: AbortSignal): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs, signal }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(`no answer within ${timeoutMs} ms`);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code === 'ECONNREFUSED' ? 'connection refused' : error.code ?? error.message);
    });
    req.end();
  });
}

/** The container's last output lines (stdout and stderr interleaved), for a failure report. */
export async function containerLogTail(container: Dockerode.Container, lines = 30): Promise<string[]> {
  try {
    const data = await container.logs({ stdout: true, stderr: true, tail: lines, follow: false });
    const text = demuxLogs(Buffer.isBuffer(data) ? data : Buffer.from(String(data))).combined;
    return text.split('\n').map((l) => l.trimEnd()).filter((l, i, all) => l !== '' || i < all.length - 1);
  } catch {
    return [];
  }
}
