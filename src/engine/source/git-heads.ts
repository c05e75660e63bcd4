import { checkRef } from '../../domain/git-ref.ts';
import type { RemoteHeads } from '../../domain/poll.ts';
import { redact } from '../../domain/redact.ts';
import { gitMessage, notARepository, repoName, runGit } from './git-command.ts';

export type HeadsOutcome = { ok: true; remote: RemoteHeads } | { ok: false; reason: string };

const HEADS = 'refs/heads/';

/**
 * `git ls-remote --symref` output as heads: `ref: refs/heads/main\tHEAD` names the default
 * branch, `<sha>\trefs/heads/<branch>` each branch asked for. Patterns match the end of ref
 * names, so only exact `refs/heads/…` lines count.
 */
export function parseLsRemote(stdout: string): RemoteHeads {
  const { defaultBranch, heads } = readLsRemote(stdout);
  return { defaultBranch, heads };
}

/** `parseLsRemote`, with the commit HEAD names (`<sha>\tHEAD`) whether or not it is a branch's. */
function readLsRemote(stdout: string): RemoteHeads & { head: string | null } {
  let defaultBranch: string | null = null;
  let head: string | null = null;
  const heads: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const [left = '', name = ''] = line.split('\t');
    if (left.startsWith('ref: ') && name === 'HEAD') {
      const target = left.slice('ref: '.length).trim();
      if (target.startsWith(HEADS)) defaultBranch = target.slice(HEADS.length);
    } else if (/^[0-9a-f]{40}$/.test(left)) {
      if (name === 'HEAD') head = left;
      else if (name.startsWith(HEADS)) heads[name.slice(HEADS.length)] = left;
    }
  }
  // HEAD's own line is the default branch's head when that branch was not asked for by name.
  if (defaultBranch !== null && head !== null) heads[defaultBranch] ??= head;
  return { defaultBranch, heads, head };
}

/**
 * `git ls-remote --symref -- <repo> HEAD <patterns>`: asked of the repository itself (nothing is
 * fetched), no shell, `--` before the repository; git's words come back with the repository's
 * credentials masked.
 */
async function lsRemote(repo: string, patterns: readonly string[], options: { timeoutMs: number }): Promise<{ ok: true; stdout: string } | { ok: false; reason: string }> {
  const refused = notARepository(repo);
  if (refused) return refused;
  const name = repoName(repo);
  let result;
  try {
    result = await runGit(['ls-remote', '--symref', '--', repo, 'HEAD', ...patterns], { timeoutMs: options.timeoutMs });
  } catch (error) {
    return { ok: false, reason: `cannot check ${name}: ${redact(error instanceof Error ? error.message : String(error)).split(repo).join(name)}` };
  }
  if (result.code !== 0) return { ok: false, reason: `cannot check ${name}: ${redact(gitMessage(result)).split(repo).join(name)}` };
  return { ok: true, stdout: result.stdout };
}

/** What a repository's HEAD names now: its default branch, or a commit when a working copy has one checked out rather than a branch. */
export type RepositoryHead = { ok: true; branch: string } | { ok: true; detached: string } | { ok: false; reason: string };

/** The repository's HEAD, asked of the repository with one `git ls-remote`. */
export async function repositoryHead(repo: string, options: { timeoutMs: number }): Promise<RepositoryHead> {
  const listed = await lsRemote(repo, [], options);
  if (!listed.ok) return listed;
  const { defaultBranch, head } = readLsRemote(listed.stdout);
  if (defaultBranch !== null) return { ok: true, branch: defaultBranch };
  return head !== null ? { ok: true, detached: head } : { ok: false, reason: `${repoName(repo)} has no default branch (is it empty?)` };
}

/**
 * The heads of `branches` (null: the default branch) of a repository, asked of the repository
 * itself with one `git ls-remote` (nothing is fetched). No shell; `--` before the repository;
 * git's words come back with the repository's credentials masked.
 */
export async function remoteHeads(repo: string, branches: readonly (string | null)[], options: { timeoutMs: number }): Promise<HeadsOutcome> {
  const refused = notARepository(repo);
  if (refused) return refused;
  const patterns: string[] = [];
  for (const branch of branches) {
    if (branch === null) continue;
    const check = checkRef(branch);
    if (!check.ok) return { ok: false, reason: `branch ${JSON.stringify(branch)}: ${check.reason}` };
    patterns.push(`${HEADS}${branch}`);
  }
  // HEAD (with --symref) says the default branch's name and head.
  const listed = await lsRemote(repo, patterns, options);
  if (!listed.ok) return listed;
  const remote = parseLsRemote(listed.stdout);
  const wanted = new Set([...patterns.map((p) => p.slice(HEADS.length)), ...(remote.defaultBranch === null ? [] : [remote.defaultBranch])]);
  const heads = Object.fromEntries(Object.entries(remote.heads).filter(([branch]) => wanted.has(branch)));
  return { ok: true, remote: { defaultBranch: remote.defaultBranch, heads } };
}
