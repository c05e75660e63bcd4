import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLsRemote, remoteHeads } from '../../src/engine/source/git-heads.ts';
import { createGitFixture, type GitFixture } from './git-fixture.ts';

describe('remote heads (git ls-remote)', () => {
  let repo: GitFixture;
  let main: string;
  let release: string;
  beforeAll(() => {
    repo = createGitFixture('hoist-heads');
    release = repo.commit('r', { a: '1' });
    repo.git('branch', 'release');
    main = repo.commit('m', { a: '2' });
  });
  afterAll(() => repo?.remove());

  it('names the default branch and gives the heads asked for, by exact name', async () => {
    repo.git('branch', 'x/release', release);
    expect(await remoteHeads(repo.dir, [null, 'release'], { timeoutMs: 10_000 })).toEqual({ ok: true, remote: { defaultBranch: 'main', heads: { main, release } } });
    expect(await remoteHeads(repo.dir, ['missing'], { timeoutMs: 10_000 })).toEqual({ ok: true, remote: { defaultBranch: 'main', heads: { main } } });
  });

  it('says what is wrong, with the credentials of a URL masked, and refuses a bad branch before running git', async () => {
    const refused = await remoteHeads('https://user:s3cr3t-token@127.0.0.1:1/shop.git', [null], { timeoutMs: 10_000 });
    expect(refused.ok).toBe(false);
    expect(JSON.stringify(refused)).not.toContain('s3cr3t-token');
    expect(refused).toMatchObject({ reason: expect.stringContaining('cannot check') });
    expect(await remoteHeads(repo.dir, ['--upload-pack=touch /tmp/x'], { timeoutMs: 10_000 })).toMatchObject({ ok: false, reason: expect.stringContaining('starts with "-"') });
    expect(await remoteHeads('--upload-pack=x', [null], { timeoutMs: 10_000 })).toMatchObject({ ok: false, reason: expect.stringContaining('is not a git repository') });
  });

  it('reads only exact refs/heads lines', () => {
    expect(parseLsRemote(`ref: refs/heads/trunk\tHEAD\n${'a'.repeat(40)}\tHEAD\n${'b'.repeat(40)}\trefs/remotes/origin/refs/heads/x\n`)).toEqual({ defaultBranch: 'trunk', heads: { trunk: 'a'.repeat(40) } });
  });
});
