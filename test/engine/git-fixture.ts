import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A throwaway git repository in the system temp directory. */
export interface GitFixture {
  dir: string;
  git(...args: string[]): string;
  /** Writes the files (path → content) and commits them; returns the new commit's SHA. */
  commit(message: string, files: Record<string, string>): string;
  remove(): void;
}

export function createGitFixture(prefix: string): GitFixture {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const git = (...args: string[]): string =>
    execFileSync(
      'git',
      ['-c', 'user.name=Hoist Test', '-c', 'user.email=test@hoist.invalid', '-c', 'commit.gpgsign=false', ...args],
      { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    ).trim();
  git('init', '--quiet', '--initial-branch=main');
  return {
    dir,
    git,
    commit(message, files) {
      for (const [path, content] of Object.entries(files)) {
        const full = join(dir, path);
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
      git('add', '--all');
      git('commit', '--quiet', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
