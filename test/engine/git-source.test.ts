import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pino } from 'pino';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('refuses SHA prefixes shorter than 7 characters and unknown refs', async () => {
    expect(await source.resolve(repo.dir, first.slice(0, 6))).toEqual({
      ok: false,
      reason: `no branch, tag or commit "${first.slice(0, 6)}" in ${repo.dir}`,
    });
    expect(await source.resolve(repo.dir, 'nope')).toEqual({
      ok: false,
      reason: `no branch, tag or commit "nope" in ${repo.dir}`,
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

  it('reports a repository that cannot be cloned', async () => {
    const missing = join(tmpdir(), 'hoist-no-such-repo-4b1d');
    const result = await source.resolve(missing, null);
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining(`cannot clone ${missing}`) });
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
