import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A PostgreSQL cluster of a test's own (its own data directory, port and socket), which the test stops and starts. */
export interface OwnPostgres {
  /** A database `hoist` on it, trust authentication. */
  url: string;
  start(): Promise<void>;
  /** Stops it at once (clients are cut off, as in a crash or a restart). */
  stop(): Promise<void>;
  remove(): Promise<void>;
}

async function bin(name: string): Promise<string> {
  const { stdout } = await run('pg_config', ['--bindir']);
  return join(stdout.trim(), name);
}

/**
 * Postgres refuses to run as root: when the tests run as root the cluster belongs to the
 * `postgres` user the Debian package made, and its commands run as that user.
 */
async function asOwner(command: string, args: string[]): Promise<void> {
  if (process.getuid?.() === 0) await run('runuser', ['-u', 'postgres', '--', command, ...args]);
  else await run(command, args);
}

export async function ownPostgres(port: number): Promise<OwnPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'hoist-pg-'));
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  await asOwner(await bin('initdb'), ['-D', data, '--auth=trust', '--username=postgres', '--no-sync']);
  const ctl = await bin('pg_ctl');
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const own: OwnPostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/hoist`,
    async start() {
      await asOwner(ctl, ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
    },
    async stop() {
      await asOwner(ctl, ['-D', data, '-m', 'immediate', '-w', 'stop']);
    },
    async remove() {
      await asOwner(ctl, ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await own.start();
  await run('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', 'create database hoist']);
  return own;
}
