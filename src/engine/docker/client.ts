import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import Dockerode from 'dockerode';

const DOCKER_SOCKET = '/var/run/docker.sock';
const PODMAN_SOCKET = '/run/podman/podman.sock';

/**
 * A client for a Docker-compatible engine at `host` (`unix:///path`, `tcp://host:port`,
 * `http(s)://host:port`); null means the local Docker socket, else Podman's.
 */
export function createDocker(host: string | null): Dockerode {
  if (host === null || host === '') {
    return new Dockerode({ socketPath: existsSync(DOCKER_SOCKET) ? DOCKER_SOCKET : PODMAN_SOCKET });
  }
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new Error(`docker host ${host}: expected unix:///absolute/path`);
    return new Dockerode({ socketPath });
  }
  const match = /^(tcp|http|https):\/\/([^/:]+|\[[^\]]+\]):(\d+)\/?$/.exec(host);
  if (!match) throw new Error(`docker host ${host}: expected unix:///path or tcp://host:port`);
  const [, scheme, hostname, port] = match as unknown as [string, string, string, string];
  return new Dockerode({
    host: hostname.replace(/^\[|\]$/g, ''),
    port: Number(port),
    protocol: scheme === 'https' ? 'https' : 'http',
  });
}

export interface DemuxedLogs {
  stdout: string;
  stderr: string;
  /** Both streams interleaved in the order the engine sent them. */
  combined: string;
}

/**
 * Splits the engine's multiplexed log format (8-byte frame headers: stream, 0, 0, 0,
 * big-endian length). Logs of a container with a TTY come unframed: returned as is.
 */
export function demuxLogs(data: Buffer): DemuxedLogs {
  if (!isMultiplexed(data)) {
    const text = data.toString('utf8');
    return { stdout: text, stderr: '', combined: text };
  }
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const all: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= data.length) {
    const kind = data[offset];
    const size = data.readUInt32BE(offset + 4);
    const frame = data.subarray(offset + 8, Math.min(offset + 8 + size, data.length));
    (kind === 2 ? err : out).push(frame);
    all.push(frame);
    offset += 8 + size;
  }
  return {
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
    combined: Buffer.concat(all).toString('utf8'),
  };
}

function isMultiplexed(data: Buffer): boolean {
  if (data.length < 8) return false;
  const kind = data[0];
  return (kind === 0 || kind === 1 || kind === 2) && data[1] === 0 && data[2] === 0 && data[3] === 0;
}

/** One JSON event of a build, push or pull progress stream. */
export interface ProgressEvent {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: Record<string, unknown>;
  message?: string;
}

export type ProgressResult = { ok: true } | { ok: false; error: string };

/**
 * Reads a newline-delimited JSON progress stream to its end, handing every event to
 * `onEvent`. The engine reports push, pull and build failures as events inside an
 * HTTP 200 response, so every event is checked for `error`/`errorDetail`; the first
 * one is the result. A stream that breaks off rejects (an infrastructure failure).
 */
export function followProgress(
  stream: Readable,
  onEvent: (event: ProgressEvent) => void = () => {},
): Promise<ProgressResult> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let failure: string | null = null;
    const handle = (line: string): void => {
      const text = line.trim();
      if (text === '') return;
      let event: ProgressEvent;
      try {
        event = JSON.parse(text) as ProgressEvent;
      } catch {
        event = { stream: `${text}\n` };
      }
      const error = event.errorDetail?.message ?? event.error;
      if (error && failure === null) failure = error;
      onEvent(event);
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        handle(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
      }
    });
    stream.once('end', () => {
      handle(buffered);
      resolve(failure === null ? { ok: true } : { ok: false, error: failure });
    });
    stream.once('error', reject);
    stream.once('close', () => {
      // A destroyed stream closes without 'end'.
      if (!stream.readableEnded) reject(new Error('progress stream closed before its end'));
    });
  });
}

/** How often a forced remove is tried while the engine says the container is between states. */
const REMOVE_ATTEMPTS = 4;
/** The pause before the second try; it doubles for each later one. */
const REMOVE_RETRY_MS = 100;

/**
 * Removes a container (stopping it first), whatever state it is in: 'gone' when it was not
 * there. Podman answers a forced remove of a container that is exiting at that moment with
 * "cannot remove container … as it could not be stopped: … container state improper" (500);
 * the container is stopped a moment later, and the remove is tried again.
 */
export async function removeContainer(container: Dockerode.Container, options: { v?: boolean } = {}): Promise<'removed' | 'gone'> {
  try {
    await whileEngineSays(STATE_IMPROPER, REMOVE_ATTEMPTS, REMOVE_RETRY_MS, () => container.remove({ force: true, ...options }));
    return 'removed';
  } catch (error) {
    if (isNotFound(error)) return 'gone';
    throw error;
  }
}

/** How often an inspect is tried while the engine says the container's process went away under it. */
const INSPECT_ATTEMPTS = 4;
/** The pause before the second try; it doubles for each later one. */
const INSPECT_RETRY_MS = 25;

/**
 * Inspects a container. Podman answers the inspect of a container whose process exits at that
 * moment with "read /proc/<pid>/cgroup: no such process" (500): it read the process id before
 * the exit and its cgroup after. A moment later it reports the container exited, so the
 * inspect is tried again.
 */
export async function inspectContainer(container: Dockerode.Container): Promise<Dockerode.ContainerInspectInfo> {
  return whileEngineSays(PROCESS_GONE, INSPECT_ATTEMPTS, INSPECT_RETRY_MS, () => container.inspect());
}

/** An engine's answer for a moment that passes: the HTTP statuses it comes with, and its cause (Podman's `cause`, or the end of its message). */
interface PassingAnswer {
  statuses: readonly number[];
  cause: string;
}

/** The container was between states (Podman's "container state improper"). */
const STATE_IMPROPER: PassingAnswer = { statuses: [409, 500], cause: 'container state improper' };
/** The container's process had just gone ("… no such process"). */
const PROCESS_GONE: PassingAnswer = { statuses: [500], cause: 'no such process' };

/** `call`, tried again while the engine gives `answer` (at most `attempts` tries, the pause doubling from `firstPauseMs`). */
async function whileEngineSays<T>(answer: PassingAnswer, attempts: number, firstPauseMs: number, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!engineSaid(error, answer) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, firstPauseMs * 2 ** (attempt - 1)));
    }
  }
}

/** True when dockerode's error carries the engine's `answer`. */
function engineSaid(error: unknown, answer: PassingAnswer): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { statusCode, json, message } = error as { statusCode?: number; json?: { cause?: string } | null; message?: string };
  if (statusCode === undefined || !answer.statuses.includes(statusCode)) return false;
  return json?.cause === answer.cause || (message ?? '').includes(answer.cause);
}

/** True when dockerode reports that the object does not exist (HTTP 404). */
export function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { statusCode?: number }).statusCode === 404;
}
