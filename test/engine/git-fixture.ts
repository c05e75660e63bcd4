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
  /**
   * `commit` on `branch` (made from `from` when it does not exist yet) without checking it out:
   * the checked-out branch, which is the repository's default, never moves while a reader of
   * the repository may be looking.
   */
  commitOn(branch: string, from: string, message: string, files: Record<string, string>): string;
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
  const write = (root: string, files: Record<string, string>) => {
    for (const [path, content] of Object.entries(files)) {
      const full = join(root, path);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
  };
  return {
    dir,
    git,
    commit(message, files) {
      write(dir, files);
      git('add', '--all');
      git('commit', '--quiet', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    commitOn(branch, from, message, files) {
      const tree = mkdtempSync(join(tmpdir(), `${prefix}-worktree-`));
      const exists = git('branch', '--list', branch) !== '';
      git('worktree', 'add', '--quiet', ...(exists ? [tree, branch] : ['-b', branch, tree, from]));
      try {
        write(tree, files);
        git('-C', tree, 'add', '--all');
        git('-C', tree, 'commit', '--quiet', '--allow-empty', '-m', message);
        return git('-C', tree, 'rev-parse', 'HEAD');
      } finally {
        git('worktree', 'remove', '--force', tree);
      }
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
