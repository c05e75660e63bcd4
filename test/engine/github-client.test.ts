import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChangelogSource } from '../../src/engine/source/changelog-source.ts';
import { createGitHubClient } from '../../src/engine/source/github/client.ts';
import { REFRESH_BEFORE_EXPIRY_MS } from '../../src/engine/source/github/app-tokens.ts';
import { createGitSource } from '../../src/engine/source/git-source.ts';
import { startFakeGitHub } from '../fakes/github-api/index.ts';
import { createGitFixture, type GitFixture } from './git-fixture.ts';

const logger = pino({ level: 'silent' });
const TOKEN = 'ghp_enginetest000000000000000000000000000';

describe('GitHub client', () => {
  let repo: GitFixture;
  let cacheDir: string;
  const shas: string[] = [];
  let topic: string;

  beforeAll(() => {
    repo = createGitFixture('hoist-gh-client');
    for (let i = 0; i < 14; i++) shas.push(repo.commit(`change ${i}\n\ndetails`, { 'f.txt': String(i) }));
    repo.git('checkout', '--quiet', '-b', 'topic', shas[10] ?? '');
    topic = repo.commit('topic only', { 'g.txt': 'g' });
    repo.git('checkout', '--quiet', 'main');
    cacheDir = mkdtempSync(join(tmpdir(), 'hoist-gh-cache-'));
  });

  afterAll(() => {
    repo?.remove();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('refreshes a GitHub App installation token before it expires, and not before it must (fake clock)', async () => {
    let now = Date.parse('2026-12-05T10:00:00Z');
    const gh = await startFakeGitHub({ now: () => now });
    try {
      gh.addRepo('acme/shop', repo.dir, { installationId: 9 });
      const client = createGitHubClient({ apiUrl: gh.url, credentials: { kind: 'app', appId: String(gh.app.id), privateKey: gh.app.privateKey }, logger, now: () => now });
      const get = async () => (await client.forRepo({ owner: 'acme', repo: 'shop' })).rest.repos.get({ owner: 'acme', repo: 'shop' });
      expect((await get()).status).toBe(200);
      expect(gh.issuedTokens).toHaveLength(1);
      const first = gh.issuedTokens[0];
      expect(first?.expiresAt).toBe(now + 60 * 60_000);
      // Well before expiry: the same token.
      now += 50 * 60_000;
      await get();
      expect(gh.issuedTokens).toHaveLength(1);
      // Within the refresh margin, still valid for the fake: replaced anyway.
      now += 60 * 60_000 - 50 * 60_000 - REFRESH_BEFORE_EXPIRY_MS + 1_000;
      expect(first!.expiresAt! - now).toBeGreaterThan(0);
      await get();
      expect(gh.issuedTokens).toHaveLength(2);
      const installationRequests = gh.requests.filter((r) => r.path.endsWith('/access_tokens'));
      expect(installationRequests.map((r) => r.auth)).toEqual(['jwt', 'jwt']);
      // Every repository request went out with a live installation token.
      expect(gh.requests.filter((r) => r.path === '/repos/acme/shop').map((r) => [r.auth, r.status])).toEqual([
        ['installation', 200],
        ['installation', 200],
        ['installation', 200],
      ]);
      // The old token is refused once it expires: had it been kept, the request would fail.
      now = first!.expiresAt! + 1;
      const stale = await fetch(`${gh.url}/repos/acme/shop`, { headers: { authorization: `token ${first!.token}` } });
      expect(stale.status).toBe(401);
      expect((await get()).status).toBe(200);
    } finally {
      await gh.close();
    }
  });

  it('builds a changelog from GitHub’s compare: the first ten commits with authors and pull requests, the counts and the compare link', async () => {
    const gh = await startFakeGitHub({ token: TOKEN });
    try {
      gh.addRepo('acme/shop', repo.dir);
      gh.addUser('tester', 'test@hoist.invalid');
      gh.linkPull('acme/shop', shas[2] ?? '', { number: 17, title: 'Two' });
      const source = createChangelogSource({
        git: createGitSource({ cacheDir }),
        github: createGitHubClient({ apiUrl: gh.url, credentials: { kind: 'token', token: TOKEN }, logger }),
      });
      const app = { repo: repo.dir, github: { owner: 'acme', repo: 'shop' } };
      const forward = await source.changelog(app, shas[0] ?? '', shas[13] ?? '');
      expect(forward).toMatchObject({ ok: true, changelog: { ahead: 13, behind: 0, compareUrl: `https://github.com/acme/shop/compare/${shas[0]}...${shas[13]}` } });
      if (!forward.ok) return;
      expect(forward.changelog.commits).toHaveLength(10);
      expect(forward.changelog.commits[0]).toEqual({ sha: shas[1], title: 'change 1', author: 'tester', pull: null });
      expect(forward.changelog.commits[1]).toEqual({ sha: shas[2], title: 'change 2', author: 'tester', pull: { number: 17, url: 'https://github.com/acme/shop/pull/17' } });
      const compare = gh.requests.filter((r) => r.path.includes('/compare/'));
      expect(compare.at(-1)?.query).toMatchObject({ per_page: '10', page: '1' });

      const back = await source.changelog(app, shas[13] ?? '', shas[9] ?? '');
      expect(back).toMatchObject({ ok: true, changelog: { ahead: 0, behind: 4, commits: [] } });
      const diverged = await source.changelog(app, shas[13] ?? '', topic);
      expect(diverged).toMatchObject({ ok: true, changelog: { ahead: 1, behind: 3 } });
      // A commit GitHub does not have: not worth asking again.
      expect(await source.changelog(app, shas[0] ?? '', 'e'.repeat(40))).toMatchObject({ ok: false });
      // GitHub down: thrown, so the caller tries again later.
      gh.faults.failNext(10, 503);
      await expect(source.changelog(app, shas[0] ?? '', shas[3] ?? '')).rejects.toMatchObject({ status: 503 });
    } finally {
      await gh.close();
    }
  });

  it('builds the same changelog from the git mirror for a repository not on GitHub', async () => {
    const source = createChangelogSource({ git: createGitSource({ cacheDir }), github: null });
    const app = { repo: repo.dir, github: null };
    const forward = await source.changelog(app, shas[0] ?? '', shas[13] ?? '');
    expect(forward).toMatchObject({ ok: true, changelog: { ahead: 13, behind: 0, compareUrl: null } });
    if (forward.ok) expect(forward.changelog.commits.slice(0, 2)).toEqual([
      { sha: shas[1], title: 'change 1', author: 'Hoist Test', pull: null },
      { sha: shas[2], title: 'change 2', author: 'Hoist Test', pull: null },
    ]);
    expect(await source.changelog(app, shas[13] ?? '', topic)).toMatchObject({ ok: true, changelog: { ahead: 1, behind: 3 } });
    expect(await source.changelog(app, shas[13] ?? '', shas[9] ?? '')).toMatchObject({ ok: true, changelog: { ahead: 0, behind: 4, commits: [] } });
  });
});
