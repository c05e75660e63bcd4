import { describe, expect, it } from 'vitest';
import { decidePoll, headsAfter, jittered, pollGroups, type PollingEnvironment, type SeenHeads } from '../../src/domain/poll.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const env = (over: Partial<PollingEnvironment> = {}): PollingEnvironment => ({ app: 'shop', env: 'staging', repo: '/srv/shop', branch: null, intervalMs: 60_000, ...over });

describe('polling', () => {
  it('checks each repository once, at the shortest interval of the environments following it', () => {
    const groups = pollGroups([env(), env({ env: 'qa', branch: 'main', intervalMs: 30_000 }), env({ env: 'dev', branch: 'main' }), env({ app: 'blog', repo: '/srv/blog' })]);
    expect(groups.map((g) => ({ repo: g.repo, intervalMs: g.intervalMs, branches: g.branches, envs: g.environments.length }))).toEqual([
      { repo: '/srv/shop', intervalMs: 30_000, branches: [null, 'main'], envs: 3 },
      { repo: '/srv/blog', intervalMs: 60_000, branches: [null], envs: 1 },
    ]);
  });

  it('spreads checks by ±10%', () => {
    expect(jittered(60_000, 0)).toBe(54_000);
    expect(jittered(60_000, 0.5)).toBe(60_000);
    expect(jittered(60_000, 0.999999)).toBe(66_000);
  });

  it.each<[string, SeenHeads, { defaultBranch: string | null; heads: Record<string, string> }, PollingEnvironment, string]>([
    ['the first check only remembers', null, { defaultBranch: 'main', heads: { main: A } }, env(), 'first look at main'],
    ['a branch newly followed only remembers', { main: A }, { defaultBranch: 'main', heads: { main: A, release: B } }, env({ branch: 'release' }), 'first look at release'],
    ['an unmoved head asks nothing', { main: A }, { defaultBranch: 'main', heads: { main: A } }, env(), 'main is still at aaaaaaaaaaaa'],
    ['a missing branch asks nothing', { main: A }, { defaultBranch: 'main', heads: { main: A } }, env({ branch: 'gone' }), 'no branch gone in the repository'],
    ['an empty repository asks nothing', null, { defaultBranch: null, heads: {} }, env(), 'no default branch'],
  ])('%s', (_, seen, remote, environment, reason) => {
    const [decision] = decidePoll(seen, remote, [environment]);
    expect(decision?.kind).toBe('ignored');
    expect(decision && 'reason' in decision ? decision.reason : '').toContain(reason);
  });

  it('deploys a moved head to the environments of its branch (the default branch by name or not)', () => {
    const remote = { defaultBranch: 'main', heads: { main: B, release: A } };
    expect(decidePoll({ main: A, release: A }, remote, [env(), env({ env: 'qa', branch: 'main' }), env({ env: 'prod', branch: 'release' })])).toEqual([
      { kind: 'deploy', app: 'shop', env: 'staging', branch: 'main', sha: B, previous: A },
      { kind: 'deploy', app: 'shop', env: 'qa', branch: 'main', sha: B, previous: A },
      { kind: 'ignored', app: 'shop', env: 'prod', reason: 'release is still at aaaaaaaaaaaa' },
    ]);
  });

  it('keeps the last head of a branch that disappeared for a while', () => {
    expect(headsAfter({ main: A, release: A }, { defaultBranch: 'main', heads: { main: B } })).toEqual({ main: B, release: A });
  });
});
