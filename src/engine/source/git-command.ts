import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { redact } from '../../domain/redact.ts';

/**
 * git runs through env(1) so it inherits this process's environment plus these
 * settings: never prompt for credentials (a prompt would hang a worker forever).
 */
const ENV_PREFIX = ['GIT_TERMINAL_PROMPT=0', 'GIT_ASKPASS=', 'SSH_ASKPASS='];
/** Transports that run commands are refused whatever the local git config says. */
const CONFIG = ['-c', 'protocol.ext.allow=never', '-c', 'core.askPass='];

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs git with an argument array (no shell); a non-zero exit is a result, not an error. */
export function runGit(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'env',
      [...ENV_PREFIX, 'git', ...CONFIG, ...args],
      { cwd: options.cwd, timeout: options.timeoutMs ?? 300_000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          // Not an exit status: git could not be started, or it was killed by the timeout.
          reject(new Error(`git ${args[0] ?? ''} failed: ${error.message}`, { cause: error }));
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/** Starts git with its stdout as a stream (for `git archive`). */
export function spawnGit(args: string[], cwd: string): ChildProcessByStdio<null, Readable, Readable> {
  return spawn('env', [...ENV_PREFIX, 'git', ...CONFIG, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The last non-empty line of git's stderr, for a reason a person can read. */
export function gitMessage(result: GitResult): string {
  const lines = result.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.at(-1) ?? `git exited with status ${result.code}`;
}

/**
 * How a text names a repository: a URL as configured with its credentials masked, a local
 * repository by its directory's name — where the server keeps files is no business of a chat.
 */
export function repoName(repo: string): string {
  if (!repo.startsWith('file:') && (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/]+@[^:]+:/.test(repo))) return redact(repo);
  const parts = repo.replace(/^file:\/\//, '').split('/').filter((part) => part !== '' && part !== '.git');
  return parts.at(-1) ?? repo;
}

/** Why `repo` cannot be handed to git (empty, or read as an option), or null when it can. */
export function notARepository(repo: string): { ok: false; reason: string } | null {
  return repo === '' || repo.startsWith('-') ? { ok: false, reason: `"${redact(repo)}" is not a git repository URL or path` } : null;
}
