import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pino } from 'pino';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYABLE } from '../../src/domain/git-ref.ts';
import { repoName } from '../../src/engine/source/git-command.ts';
import { createGitSource, SourceError } from '../../src/engine/source/git-source.ts';
import type { Source } from '../../src/engine/ports.ts';
import { createGitFixture, type GitFixture } from './git-fixture.ts';

async function tarEntries(stream: Readable): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  const tar = extract();
  const done = new Promise<void>((resolve, reject) => {
    tar.on('entry', (header, body, next) => {
      const chunks: Buffer[] = [];
      body.on('data', (chunk: unknown) => {
        chunks.push(chunk as Buffer);
      });
      body.on('end', () => {
        if (header.type === 'file') entries.set(header.name, Buffer.concat(chunks).toString('utf8'));
        next();
      });
    });
    tar.on('finish', resolve);
    tar.on('error', reject);
    stream.on('error', reject);
  });
  stream.pipe(tar);
  await done;
  return entries;
}

describe('git source', () => {
  let repo: GitFixture;
  let cacheDir: string;
  let source: Source;
  let first: string;
  let second: string;

  beforeAll(() => {
    repo = createGitFixture('hoist-git-source');
    first = repo.commit('first', { 'README.md': 'shop\n', 'web/index.html': 'v1\n', 'web/Dockerfile': 'FROM x\n' });
    repo.git('tag', '-a', 'v1.0.0', '-m', 'release 1');
    second = repo.commit('second', { 'web/index.html': 'v2\n' });
    repo.git('branch', 'feature', first);
    cacheDir = mkdtempSync(join(tmpdir(), 'hoist-git-cache-'));
    source = createGitSource({ cacheDir });
  });

  afterAll(() => {
    repo.remove();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('resolves the default branch, a branch, an annotated tag, a full SHA and a SHA prefix', async () => {
    expect(await source.resolve(repo.dir, null)).toEqual({ ok: true, sha: second });
    expect(await source.resolve(repo.dir, 'main')).toEqual({ ok: true, sha: second });
    expect(await source.resolve(repo.dir, 'feature')).toEqual({ ok: true, sha: first });
    expect(await source.resolve(repo.dir, 'v1.0.0')).toEqual({ ok: true, sha: first });
    expect(await source.resolve(repo.dir, first)).toEqual({ ok: true, sha: first });
    expect(await source.resolve(repo.dir, first.slice(0, 7))).toEqual({ ok: true, sha: first });
  });

  it('follows the default branch the repository names now, not the one its copy was made with', async () => {
    const moving = createGitFixture('hoist-git-default');
    try {
      const onMain = moving.commit('on main', { 'README.md': 'main\n' });
      expect(await source.resolve(moving.dir, null)).toEqual({ ok: true, sha: onMain });
      // Another branch made the default and the old one deleted (main renamed to trunk, say).
      moving.git('checkout', '--quiet', '-b', 'trunk');
      const onTrunk = moving.commit('on trunk', { 'README.md': 'trunk\n' });
      moving.git('branch', '--quiet', '-D', 'main');
      expect(await source.resolve(moving.dir, null)).toEqual({ ok: true, sha: onTrunk });
      // And back: a new main made the default again, trunk kept.
      moving.git('checkout', '--quiet', '-b', 'main', onMain);
      expect(await source.resolve(moving.dir, null)).toEqual({ ok: true, sha: onMain });
      expect(await source.resolve(moving.dir, 'trunk')).toEqual({ ok: true, sha: onTrunk });
    } finally {
      moving.remove();
    }
  });

  it('a working copy with a commit checked out instead of a branch: deploys that commit, and says so when no branch or tag holds it', async () => {
    const copy = createGitFixture('hoist-git-detached');
    try {
      const one = copy.commit('one', { 'README.md': '1\n' });
      const two = copy.commit('two', { 'README.md': '2\n' });
      copy.git('checkout', '--quiet', '--detach', one);
      expect(await source.resolve(copy.dir, null)).toEqual({ ok: true, sha: one });
      copy.git('checkout', '--quiet', '--detach', two);
      expect(await source.resolve(copy.dir, null)).toEqual({ ok: true, sha: two });
      // A commit made on the detached HEAD: no branch or tag holds it, so no fetch brings it.
      const loose = copy.commit('loose', { 'README.md': 'loose\n' });
      expect(await source.resolve(copy.dir, null)).toEqual({
        ok: false,
        reason: `${basename(copy.dir)} has a commit checked out (${loose.slice(0, 12)}) that no branch or tag holds; deploy ${DEPLOYABLE}`,
      });
    } finally {
      copy.remove();
    }
  });

  it('says a repository without commits has no default branch, and a repository that is gone cannot be asked', async () => {
    const empty = createGitFixture('hoist-git-empty');
    try {
      expect(await source.resolve(empty.dir, null)).toEqual({ ok: false, reason: `${basename(empty.dir)} has no default branch (is it empty?)` });
    } finally {
      empty.remove();
    }
    const gone = join(tmpdir(), 'hoist-git-gone-never-made');
    const answer = await source.resolve(gone, null);
    expect(answer.ok).toBe(false);
    expect(answer).toMatchObject({ reason: expect.stringMatching(/^cannot (clone|ask) hoist-git-gone-never-made/) });
    expect(JSON.stringify(answer)).not.toContain(tmpdir());
  });

  it('resolves refs/heads/… and refs/tags/… spelled out, and a full SHA in capitals', async () => {
    expect(await source.resolve(repo.dir, 'refs/heads/feature')).toEqual({ ok: true, sha: first });
    expect(await source.resolve(repo.dir, 'refs/tags/v1.0.0')).toEqual({ ok: true, sha: first });
    expect(await source.resolve(repo.dir, first.toUpperCase())).toEqual({ ok: true, sha: first });
  });

  it('refuses SHA prefixes shorter than 7 characters and unknown refs, naming the repository without its path', async () => {
    const name = basename(repo.dir);
    expect(await source.resolve(repo.dir, first.slice(0, 6))).toEqual({
      ok: false,
      reason: `no branch, tag or commit "${first.slice(0, 6)}" in ${name}; a commit SHA needs 7 characters or more`,
    });
    expect(await source.resolve(repo.dir, 'nope')).toEqual({
      ok: false,
      reason: `no branch, tag or commit "nope" in ${name}; deploy ${DEPLOYABLE}`,
    });
    expect(await source.resolve(repo.dir, '0000000')).toEqual({
      ok: false,
      reason: `no branch, tag or commit "0000000" in ${name}; deploy ${DEPLOYABLE}`,
    });
    expect(await source.resolve(repo.dir, '0'.repeat(40))).toEqual({ ok: false, reason: `no commit ${'0'.repeat(40)} in ${name}` });
  });

  it('deploys only what was pushed: no pseudo-ref or other ref of its own copy of the repository answers', async () => {
    // The mirror has FETCH_HEAD (written by every fetch) and HEAD, and a repository may carry
    // refs/remotes/… of its own; git's revision syntax would resolve all of them.
    repo.git('update-ref', 'refs/remotes/origin/old', first);
    await source.resolve(repo.dir, 'main');
    for (const ref of ['HEAD', 'FETCH_HEAD', 'ORIG_HEAD', 'refs/remotes/origin/old', 'main~1', 'main^', '@', '@{-1}', 'feature..main']) {
      const result = await source.resolve(repo.dir, ref);
      expect(result, ref).toMatchObject({ ok: false, reason: expect.stringMatching(/^invalid ref: /) });
    }
    expect(await source.resolve(repo.dir, 'FETCH_HEAD')).toMatchObject({ reason: expect.stringContaining(`deploy ${DEPLOYABLE}`) });
    expect(await source.resolve(repo.dir, 'origin/old')).toEqual({
      ok: false,
      reason: `no branch, tag or commit "origin/old" in ${basename(repo.dir)}; deploy ${DEPLOYABLE}`,
    });
  });

  it('refuses refs that could be read as options or revision ranges', async () => {
    const upload = await source.resolve(repo.dir, '--upload-pack=x');
    expect(upload).toMatchObject({ ok: false, reason: expect.stringContaining('starts with "-"') });
    const range = await source.resolve(repo.dir, 'main..feature');
    expect(range).toMatchObject({ ok: false, reason: expect.stringContaining('".."') });
    const lock = await source.resolve(repo.dir, 'x.lock');
    expect(lock).toMatchObject({ ok: false, reason: expect.stringContaining('.lock') });
  });

  it('sees a commit pushed after the mirror was made', async () => {
    const third = repo.commit('third', { 'web/index.html': 'v3\n' });
    expect(await source.resolve(repo.dir, 'main')).toEqual({ ok: true, sha: third });
    expect(await source.resolve(repo.dir, null)).toEqual({ ok: true, sha: third });
  });

  it('serialises concurrent fetches of one repository', async () => {
    const results = await Promise.all([1, 2, 3, 4].map(() => source.resolve(repo.dir, 'feature')));
    expect(results).toEqual([1, 2, 3, 4].map(() => ({ ok: true, sha: first })));
  });

  it('shares fetches in a burst: twenty requests cost at most two fetches, and all see the newest commit', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const counted = createGitSource({ cacheDir, log });
    await counted.resolve(repo.dir, 'main');
    lines.length = 0;
    const newest = repo.commit('burst', { 'web/index.html': 'burst\n' });
    const results = await Promise.all(Array.from({ length: 20 }, () => counted.resolve(repo.dir, 'main')));
    expect(results).toEqual(Array.from({ length: 20 }, () => ({ ok: true, sha: newest })));
    const fetches = lines.filter((l) => l.includes('"git fetch"')).length;
    expect(fetches).toBeGreaterThanOrEqual(1);
    expect(fetches).toBeLessThanOrEqual(2);
  });

  it('shares the question of the default branch in a burst too: twenty deploys without a ref ask it at most twice', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const counted = createGitSource({ cacheDir, log });
    await counted.resolve(repo.dir, null);
    lines.length = 0;
    const newest = repo.commit('burst of defaults', { 'web/index.html': 'burst of defaults\n' });
    const results = await Promise.all(Array.from({ length: 20 }, () => counted.resolve(repo.dir, null)));
    expect(results).toEqual(Array.from({ length: 20 }, () => ({ ok: true, sha: newest })));
    const asked = lines.filter((l) => l.includes('"git ls-remote HEAD"')).length;
    expect(asked).toBeGreaterThanOrEqual(1);
    expect(asked).toBeLessThanOrEqual(2);
    expect(lines.filter((l) => l.includes('"git fetch"')).length).toBeLessThanOrEqual(2);
  });

  it('reports a repository that cannot be cloned, by its name and not by the server\'s paths', async () => {
    const missing = join(tmpdir(), 'hoist-no-such-repo-4b1d');
    const result = await source.resolve(missing, null);
    expect(result).toEqual({ ok: false, reason: "cannot clone hoist-no-such-repo-4b1d: fatal: repository 'hoist-no-such-repo-4b1d' does not exist" });
    expect(JSON.stringify(result)).not.toContain(tmpdir());
    expect(JSON.stringify(result)).not.toContain(cacheDir);
  });

  it('keeps the credentials of a repository URL out of every reason, error and log line', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const secretive = createGitSource({ cacheDir, log });
    const url = 'http://deploy:s3cr3tTOKEN@127.0.0.1:1/x.git';
    const resolved = await secretive.resolve(url, 'main');
    expect(resolved).toMatchObject({ ok: false, reason: expect.stringContaining('cannot clone http://deploy:[redacted]@127.0.0.1:1/x.git: ') });
    const archived = await secretive.archive(url, first, '.').then(
      () => null,
      (error: unknown) => error,
    );
    expect(archived).toBeInstanceOf(SourceError);
    expect((archived as SourceError).message).toContain('cannot clone http://deploy:[redacted]@127.0.0.1:1/x.git');
    const token = await secretive.resolve('https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@127.0.0.1:1/acme/shop.git', null);
    expect(token).toMatchObject({ ok: false, reason: expect.stringContaining('cannot clone https://[redacted]@127.0.0.1:1/acme/shop.git') });
    const everything = [JSON.stringify(resolved), (archived as Error).message, (archived as Error).stack, JSON.stringify(token), ...lines].join('\n');
    expect(everything).not.toContain('s3cr3tTOKEN');
    expect(everything).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
  });

  it('archives a subdirectory at a commit, rooted at that directory', async () => {
    const entries = await tarEntries(await source.archive(repo.dir, first, 'web'));
    expect([...entries.keys()].sort()).toEqual(['Dockerfile', 'index.html']);
    expect(entries.get('index.html')).toBe('v1\n');
    const whole = await tarEntries(await source.archive(repo.dir, second, '.'));
    expect(whole.get('web/index.html')).toBe('v2\n');
    expect(whole.get('README.md')).toBe('shop\n');
  });

  it('archives from a fresh cache (the mirror is made on demand)', async () => {
    const otherCache = mkdtempSync(join(tmpdir(), 'hoist-git-cache-'));
    try {
      const fresh = createGitSource({ cacheDir: otherCache });
      const entries = await tarEntries(await fresh.archive(repo.dir, first, './web/'));
      expect(entries.get('index.html')).toBe('v1\n');
    } finally {
      rmSync(otherCache, { recursive: true, force: true });
    }
  });

  it('refuses contexts outside the repository and missing directories', async () => {
    await expect(source.archive(repo.dir, first, '../etc')).rejects.toThrow(SourceError);
    await expect(source.archive(repo.dir, first, '/etc')).rejects.toThrow('relative');
    await expect(source.archive(repo.dir, first, '--output=x')).rejects.toThrow('starts with "-"');
    await expect(source.archive(repo.dir, first, 'nowhere')).rejects.toThrow('no directory "nowhere"');
    await expect(source.archive(repo.dir, first.slice(0, 7), '.')).rejects.toThrow('not a full commit SHA');
  });
});

describe('git source: SHA prefixes', () => {
  let repo: GitFixture;
  let cacheDir: string;
  let pair: [string, string];

  /** Two commits whose SHAs share their first 7 characters: found by hashing candidates (about 20,000). */
  function collidingCommits(tree: string): [string, string] {
    const seen = new Map<string, string>();
    for (let i = 0; ; i++) {
      const body = `tree ${tree}\nauthor Hoist Test <test@hoist.invalid> 1700000000 +0000\ncommitter Hoist Test <test@hoist.invalid> 1700000000 +0000\n\ncandidate ${i}\n`;
      const sha = createHash('sha1').update(`commit ${Buffer.byteLength(body)}\0${body}`).digest('hex');
      const earlier = seen.get(sha.slice(0, 7));
      if (earlier !== undefined) return [earlier, body];
      seen.set(sha.slice(0, 7), body);
    }
  }

  beforeAll(() => {
    repo = createGitFixture('hoist-git-prefix');
    repo.commit('first', { 'README.md': 'x\n' });
    const tree = repo.git('hash-object', '-t', 'tree', '-w', '/dev/null');
    const write = (body: string) => execFileSync('git', ['hash-object', '-t', 'commit', '-w', '--stdin'], { cwd: repo.dir, input: body, encoding: 'utf8' }).trim();
    pair = collidingCommits(tree).map(write) as [string, string];
    // Reachable from branches, so that the mirror has them.
    repo.git('branch', 'one', pair[0]);
    repo.git('branch', 'two', pair[1]);
    cacheDir = mkdtempSync(join(tmpdir(), 'hoist-git-cache-'));
  });

  afterAll(() => {
    repo.remove();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('says a prefix shared by two commits is ambiguous, and resolves one character more', async () => {
    const source = createGitSource({ cacheDir });
    const prefix = pair[0].slice(0, 7);
    expect(pair[1].startsWith(prefix)).toBe(true);
    const shared = [...pair].sort();
    expect(await source.resolve(repo.dir, prefix)).toEqual({
      ok: false,
      reason: `the SHA prefix "${prefix}" is ambiguous in ${basename(repo.dir)}: 2 commits start with it (${shared.map((s) => s.slice(0, 12)).join(', ')}); give more characters`,
    });
    const longer = shared.map((sha) => sha.slice(0, commonLength(shared[0]!, shared[1]!) + 1));
    expect(await source.resolve(repo.dir, longer[0]!)).toEqual({ ok: true, sha: shared[0] });
    expect(await source.resolve(repo.dir, longer[1]!)).toEqual({ ok: true, sha: shared[1] });
  });
});

function commonLength(a: string, b: string): number {
  let n = 0;
  while (n < a.length && a[n] === b[n]) n++;
  return n;
}

describe('repoName', () => {
  it.each([
    ['https://github.com/acme/shop.git', 'https://github.com/acme/shop.git'],
    ['http://deploy:s3cr3tTOKEN@127.0.0.1:1/x.git', 'http://deploy:[redacted]@127.0.0.1:1/x.git'],
    ['https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/acme/shop', 'https://[redacted]@github.com/acme/shop'],
    ['git@github.com:acme/shop.git', 'git@github.com:acme/shop.git'],
    ['ssh://git@github.com/acme/shop.git', 'ssh://git@github.com/acme/shop.git'],
    ['/srv/hoist/repos/shop', 'shop'],
    ['/srv/hoist/repos/shop.git/', 'shop.git'],
    ['/srv/hoist/shop/.git', 'shop'],
    ['file:///srv/hoist/repos/shop.git', 'shop.git'],
  ])('%s → %s', (repo, name) => {
    expect(repoName(repo)).toBe(name);
  });
});
