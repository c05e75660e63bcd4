import { execFileSync } from 'node:child_process';

/** A commit as the fake reads it from the repository's git directory. */
export interface GitCommit {
  sha: string;
  parents: string[];
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string; date: string };
  message: string;
}

const SEP = '\u001f';
const END = '\u001e';
const FORMAT = ['%H', '%P', '%an', '%ae', '%aI', '%cn', '%ce', '%cI', '%B'].join(SEP) + END;

/** Reads a repository on disk with git, as GitHub's storage holds it. */
export function gitReader(dir: string) {
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const tryGit = (...args: string[]): string | null => {
    try {
      return git(...args);
    } catch {
      return null;
    }
  };
  const parse = (text: string): GitCommit[] =>
    text
      .split(END)
      .map((chunk) => chunk.replace(/^\n/, ''))
      .filter((chunk) => chunk.trim() !== '')
      .map((chunk) => {
        const [sha = '', parents = '', an = '', ae = '', ad = '', cn = '', ce = '', cd = '', message = ''] = chunk.split(SEP);
        return { sha, parents: parents.split(' ').filter(Boolean), author: { name: an, email: ae, date: ad }, committer: { name: cn, email: ce, date: cd }, message: message.replace(/\n+$/, '') };
      });
  return {
    /** A branch, tag or (abbreviated) SHA to a full commit SHA; null when it names none. */
    resolve(ref: string): string | null {
      if (ref.startsWith('-')) return null;
      const out = tryGit('rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`);
      return out === null ? null : out.trim();
    },
    commit(sha: string): GitCommit | null {
      const out = tryGit('log', '-1', `--format=${FORMAT}`, sha, '--');
      return out === null ? null : (parse(out)[0] ?? null);
    },
    /** Commits reachable from `head` and not from `base`, oldest first (the compare's order). */
    between(base: string, head: string): GitCommit[] {
      return parse(git('log', '--reverse', `--format=${FORMAT}`, `${base}..${head}`, '--'));
    },
    mergeBase(a: string, b: string): string | null {
      const out = tryGit('merge-base', a, b);
      return out === null ? null : out.trim();
    },
    count(base: string, head: string): number {
      return Number(git('rev-list', '--count', `${base}..${head}`, '--').trim());
    },
    /** The files changed from `base` to `head`: status, line counts and the patch (its hunks, as GitHub shows them). */
    files(base: string, head: string): { status: string; filename: string; additions: number; deletions: number; patch: string }[] {
      const counts = new Map(
        git('diff', '--numstat', base, head, '--')
          .split('\n')
          .filter(Boolean)
          .map((line) => {
            const [added = '0', deleted = '0', filename = ''] = line.split('\t');
            return [filename, { additions: Number(added) || 0, deletions: Number(deleted) || 0 }] as const;
          }),
      );
      return git('diff', '--name-status', base, head, '--')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [code = 'M', filename = ''] = line.split('\t');
          const diff = git('diff', base, head, '--', filename);
          const hunks = diff.indexOf('\n@@');
          return {
            status: code.startsWith('A') ? 'added' : code.startsWith('D') ? 'removed' : code.startsWith('R') ? 'renamed' : 'modified',
            filename,
            ...(counts.get(filename) ?? { additions: 0, deletions: 0 }),
            patch: hunks === -1 ? '' : diff.slice(hunks + 1).replace(/\n$/, ''),
          };
        });
    },
    defaultBranch(): string {
      return (tryGit('symbolic-ref', '--short', 'HEAD') ?? 'main').trim();
    },
  };
}

export type GitReader = ReturnType<typeof gitReader>;
