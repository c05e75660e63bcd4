import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type { Logger } from 'pino';
import { CHANGELOG_COMMITS, type Changelog } from '../../domain/changelog.ts';
import { checkRef, DEPLOYABLE, isFullSha } from '../../domain/git-ref.ts';
import { redact } from '../../domain/redact.ts';
import type { Source } from '../ports.ts';
import { gitMessage, notARepository, repoName, runGit, spawnGit, type GitResult } from './git-command.ts';
import { repositoryHead, type RepositoryHead } from './git-heads.ts';

export type SourceErrorCode = 'SOURCE_FETCH_FAILED' | 'SOURCE_BAD_CONTEXT' | 'SOURCE_NO_CONTEXT' | 'SOURCE_BAD_SHA';

/** A source failure the user can fix (a bad repository, revision or build context). */
export class SourceError extends Error {
  readonly code: SourceErrorCode;
  constructor(code: SourceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SourceError';
    this.code = code;
  }
}

export interface GitSourceOptions {
  /** Where bare mirrors of the repositories are kept, one directory per repository. */
  cacheDir: string;
  log?: Logger;
  /** Limit for one git command (clone, fetch, rev-parse). */
  timeoutMs?: number;
}

type Fetched = { ok: true; dir: string } | { ok: false; reason: string };
type Resolved = { ok: true; sha: string } | { ok: false; reason: string };

const FULL_SHA = /^[0-9a-f]{40}$/i;
/** git takes 4 characters; Hoist wants 7, so a shorter hex string can only name a branch or a tag. */
const SHA_PREFIX = /^[0-9a-f]{7,39}$/i;

/** The git mirror, also asked what changed between two commits (the changelog of repositories GitHub's API does not serve). */
export interface GitSource extends Source {
  changelog(repo: string, from: string, to: string): Promise<{ ok: true; changelog: Changelog } | { ok: false; reason: string }>;
}

const FIELD = '\u001f';
const RECORD = '\u001e';

/** Git repositories (URLs or absolute local paths) through a bare mirror per repository. */
export function createGitSource(options: GitSourceOptions): GitSource {
  const { cacheDir, log } = options;
  const timeoutMs = options.timeoutMs ?? 300_000;
  const git = (args: string[], cwd?: string) => runGit(args, { cwd, timeoutMs });
  /**
   * One fetch at a time per repository, and callers share: whoever asks while a fetch
   * runs gets the next one, which starts after it (so it sees every commit pushed before
   * the ask) and serves all who asked meanwhile. A burst of requests costs two fetches.
   */
  const coalescedFetch = coalescing<Fetched>();
  /** The same for asking a repository what its HEAD names. */
  const coalescedHead = coalescing<RepositoryHead>();

  function mirrorDir(repo: string): string {
    return join(cacheDir, `${createHash('sha256').update(repo).digest('hex').slice(0, 24)}.git`);
  }

  /** Clones the mirror on first use, else fetches every ref (pruning deleted ones). */
  function fetch(repo: string): Promise<Fetched> {
    const refused = notARepository(repo);
    if (refused) return Promise.resolve(refused);
    const dir = mirrorDir(repo);
    const name = repoName(repo);
    // git's own words may quote Hoist's copy of the repository or the repository (a path, a
    // URL); the copy first, as it may lie inside a local repository (`repo: .`).
    const said = (result: GitResult, copy: string) =>
      redact(gitMessage(result).split(copy).join(`Hoist's copy of ${name}`).split(repo).join(name));
    return coalescedFetch(dir, async (): Promise<Fetched> => {
      const started = Date.now();
      if (await exists(dir)) {
        const result = await git(['remote', 'update', '--prune'], dir);
        if (result.code !== 0) return { ok: false, reason: `cannot fetch ${name}: ${said(result, dir)}` };
        log?.debug({ repo: name, ms: Date.now() - started }, 'git fetch');
        return { ok: true, dir };
      }
      await mkdir(cacheDir, { recursive: true });
      // Clone beside the final place and rename, so a failed clone leaves nothing behind.
      const partial = `${dir}.partial-${randomBytes(4).toString('hex')}`;
      const result = await git(['clone', '--mirror', '--quiet', '--', repo, partial]);
      if (result.code !== 0) {
        await rm(partial, { recursive: true, force: true });
        return { ok: false, reason: `cannot clone ${name}: ${said(result, partial)}` };
      }
      await rename(partial, dir);
      log?.info({ repo: name, ms: Date.now() - started }, 'git mirror cloned');
      return { ok: true, dir };
    });
  }

  /** What the repository's HEAD names now (git-heads.ts), one question at a time per repository, shared as fetches are. */
  function askHead(repo: string): Promise<RepositoryHead> {
    return coalescedHead(repo, async () => {
      const started = Date.now();
      const head = await repositoryHead(repo, { timeoutMs });
      if (head.ok) log?.debug({ repo: repoName(repo), ms: Date.now() - started }, 'git ls-remote HEAD');
      return head;
    });
  }

  /** The commit a full ref name (or a full SHA) points at. */
  async function revParse(dir: string, rev: string): Promise<string | null> {
    const result = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], dir);
    const sha = result.stdout.trim();
    return result.code === 0 && isFullSha(sha) ? sha : null;
  }

  /**
   * The commit whose SHA starts with `prefix`. Asked of the objects, not of git's revision
   * syntax, so no ref of the mirror (`refs/remotes/<hex>`, a pseudo-ref) can answer instead.
   */
  async function commitByPrefix(dir: string, prefix: string): Promise<{ sha: string } | { ambiguous: string[] } | null> {
    const listed = await git(['rev-parse', `--disambiguate=${prefix}`], dir);
    const objects = listed.code === 0 ? listed.stdout.split('\n').filter(isFullSha) : [];
    const commits: string[] = [];
    for (const sha of objects) {
      const type = await git(['cat-file', '-t', sha], dir);
      if (type.stdout.trim() === 'commit') commits.push(sha);
    }
    if (commits.length > 1) return { ambiguous: commits };
    return commits[0] ? { sha: commits[0] } : null;
  }

  /** Only what was pushed is deployable: a tag, a branch (git's order when both exist) or a commit. */
  async function resolveRef(dir: string, ref: string, name: string): Promise<Resolved> {
    // A full SHA names an object, never a ref (as in git itself).
    if (FULL_SHA.test(ref)) {
      const sha = await revParse(dir, ref.toLowerCase());
      return sha ? { ok: true, sha } : { ok: false, reason: `no commit ${ref} in ${name}` };
    }
    const names = ref.startsWith('refs/') ? [ref] : [`refs/tags/${ref}`, `refs/heads/${ref}`];
    for (const full of names) {
      const sha = await revParse(dir, full);
      if (sha) return { ok: true, sha };
    }
    if (SHA_PREFIX.test(ref)) {
      const found = await commitByPrefix(dir, ref.toLowerCase());
      if (found && 'sha' in found) return { ok: true, sha: found.sha };
      if (found) {
        const some = found.ambiguous.slice(0, 3).map((sha) => sha.slice(0, 12)).join(', ');
        return { ok: false, reason: `the SHA prefix "${ref}" is ambiguous in ${name}: ${found.ambiguous.length} commits start with it (${some}); give more characters` };
      }
    }
    const hint = /^[0-9a-f]{1,6}$/i.test(ref) ? `; a commit SHA needs 7 characters or more` : `; deploy ${DEPLOYABLE}`;
    return { ok: false, reason: `no branch, tag or commit "${ref}" in ${name}${hint}` };
  }

  return {
    async resolve(repo, ref) {
      if (ref !== null) {
        const check = checkRef(ref);
        if (!check.ok) return { ok: false, reason: `invalid ref: ${check.reason}` };
        // Always fetch first: the ref may have moved since the last deployment.
        const fetched = await fetch(repo);
        return fetched.ok ? resolveRef(fetched.dir, ref, repoName(repo)) : fetched;
      }
      // The default branch as the repository names it now, asked while the fetch runs: a
      // mirror keeps the HEAD it was cloned with, and a repository may make another branch its
      // default (main renamed, say) any time after.
      const [fetched, head] = await Promise.all([fetch(repo), askHead(repo)]);
      if (!fetched.ok) return fetched;
      if (!head.ok) return head;
      if ('detached' in head) {
        // A working copy (`repo: .`) checked out at a commit: that commit, once fetched.
        const sha = await revParse(fetched.dir, head.detached);
        return sha ? { ok: true, sha } : { ok: false, reason: `${repoName(repo)} has a commit checked out (${head.detached.slice(0, 12)}) that no branch or tag holds; deploy ${DEPLOYABLE}` };
      }
      const sha = await revParse(fetched.dir, `refs/heads/${head.branch}`);
      return sha ? { ok: true, sha } : { ok: false, reason: `the default branch of ${repoName(repo)}, ${head.branch}, has no commit (is it empty?)` };
    },

    /** `git rev-list --count` both ways and the first commits of `git log from..to`, oldest first. */
    async changelog(repo, from, to) {
      if (!isFullSha(from) || !isFullSha(to)) return { ok: false, reason: 'a changelog compares two full commit SHAs' };
      let dir = mirrorDir(repo);
      if (!(await hasCommit(dir, from)) || !(await hasCommit(dir, to))) {
        const fetched = await fetch(repo);
        if (!fetched.ok) return fetched;
        dir = fetched.dir;
      }
      const counts = await git(['rev-list', '--left-right', '--count', '--end-of-options', `${from}...${to}`], dir);
      const [behind, ahead] = counts.stdout.trim().split(/\s+/).map(Number);
      if (counts.code !== 0 || behind === undefined || ahead === undefined) return { ok: false, reason: `cannot compare ${from.slice(0, 12)} with ${to.slice(0, 12)} in ${repoName(repo)}: ${gitMessage(counts)}` };
      const log = await git(['log', '--reverse', `--format=%H${FIELD}%an${FIELD}%s${RECORD}`, '--end-of-options', `${from}..${to}`], dir);
      if (log.code !== 0) return { ok: false, reason: `cannot read the log of ${repoName(repo)}: ${gitMessage(log)}` };
      const commits = log.stdout
        .split(RECORD)
        .map((line) => line.trim())
        .filter(Boolean)
        .slice(0, CHANGELOG_COMMITS)
        .map((line) => {
          const [sha = '', author = '', title = ''] = line.split(FIELD);
          return { sha, title, author: author === '' ? null : author, pull: null };
        });
      return { ok: true, changelog: { from, to, ahead, behind, commits, compareUrl: null } };
    },

    async archive(repo, sha, context) {
      if (!isFullSha(sha)) throw new SourceError('SOURCE_BAD_SHA', `"${sha}" is not a full commit SHA`);
      const path = normaliseContext(context);
      let dir = mirrorDir(repo);
      if (!(await hasCommit(dir, sha))) {
        const fetched = await fetch(repo);
        if (!fetched.ok) throw new SourceError('SOURCE_FETCH_FAILED', fetched.reason);
        dir = fetched.dir;
        if (!(await hasCommit(dir, sha))) {
          throw new SourceError('SOURCE_FETCH_FAILED', `commit ${sha} is not in ${repoName(repo)}`);
        }
      }
      const treeish = path === '' ? sha : `${sha}:${path}`;
      const type = await git(['cat-file', '-t', path === '' ? `${sha}^{tree}` : treeish], dir);
      if (type.code !== 0 || type.stdout.trim() !== 'tree') {
        throw new SourceError('SOURCE_NO_CONTEXT', `no directory "${context}" in ${repoName(repo)} at ${sha.slice(0, 12)}`);
      }
      return streamArchive(dir, treeish);
    },
  };

  async function hasCommit(dir: string, sha: string): Promise<boolean> {
    if (!(await exists(dir))) return false;
    const result = await git(['cat-file', '-e', `${sha}^{commit}`], dir);
    return result.code === 0;
  }
}

/** `.`, `./`, `''` → '' (the whole tree); `app/` → `app`; refuses absolute paths, `..` and leading `-`. */
export function normaliseContext(context: string): string {
  const trimmed = context.trim();
  if (trimmed.startsWith('-')) throw new SourceError('SOURCE_BAD_CONTEXT', `build context "${context}" starts with "-"`);
  if (trimmed.startsWith('/')) {
    throw new SourceError('SOURCE_BAD_CONTEXT', `build context "${context}" must be relative to the repository root`);
  }
  if (trimmed.split(/[\\/]/).includes('..')) {
    throw new SourceError('SOURCE_BAD_CONTEXT', `build context "${context}" must not contain ".."`);
  }
  if ([...trimmed].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f || c === ':')) {
    throw new SourceError('SOURCE_BAD_CONTEXT', `build context "${context}" contains a control character or ":"`);
  }
  const normal = posix.normalize(trimmed === '' ? '.' : trimmed).replace(/\/+$/, '');
  return normal === '.' ? '' : normal;
}

function streamArchive(dir: string, treeish: string): Readable {
  const child = spawnGit(['archive', '--format=tar', treeish], dir);
  const out = new PassThrough();
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout.pipe(out, { end: false });
  // The tar is complete only when git exits cleanly; a failure mid-way fails the stream.
  child.once('close', (code) => {
    if (code === 0) out.end();
    else out.destroy(new Error(`git archive ${treeish} failed: ${stderr.trim() || `exit status ${code}`}`));
  });
  child.once('error', (error) => out.destroy(error));
  out.once('close', () => {
    if (child.exitCode === null) child.kill();
  });
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `task` for `key` one at a time, callers sharing: whoever asks while one runs gets the
 * next, which starts after it (so it sees whatever changed before the ask) and serves all who
 * asked meanwhile.
 */
function coalescing<T>(): (key: string, task: () => Promise<T>) => Promise<T> {
  const tasks = new Map<string, { running: Promise<T>; next: Promise<T> | null }>();
  return (key, task) => {
    const state = tasks.get(key);
    if (state) {
      state.next ??= state.running.then(
        () => start(),
        () => start(),
      );
      return state.next;
    }
    return start();
    function start(): Promise<T> {
      const running = task();
      const entry = { running, next: null as Promise<T> | null };
      tasks.set(key, entry);
      const done = () => {
        if (tasks.get(key) === entry) tasks.delete(key);
      };
      running.then(done, done);
      return running;
    }
  };
}
