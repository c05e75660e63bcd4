import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { changelogBase, changelogDirection } from '../../src/domain/changelog.ts';
import { decidePush, type PushCandidate, type PushFacts } from '../../src/domain/push.ts';
import { pushFacts } from '../../src/http/github-webhook.ts';
import { pushPayload } from '../fakes/github-webhook.ts';

const SHA = 'a'.repeat(40);
const push = (over: Partial<PushFacts> = {}): PushFacts => ({
  repository: 'acme/shop',
  defaultBranch: 'main',
  ref: 'refs/heads/main',
  after: SHA,
  deleted: false,
  forced: false,
  pusher: 'octocat',
  message: 'Fix the login\n\nlong story',
  compareUrl: 'https://github.com/acme/shop/compare/1...2',
  ...over,
});
const env = (over: Partial<PushCandidate> = {}): PushCandidate => ({ app: 'shop', env: 'staging', github: { owner: 'acme', repo: 'shop' }, branch: 'main', autoDeploy: true, ...over });

describe('decidePush', () => {
  it.each([
    ['the followed branch', push(), [env()], ['shop/staging']],
    ['owner/repo case-insensitively', push({ repository: 'ACME/Shop' }), [env()], ['shop/staging']],
    ['the default branch, for an environment without one', push(), [env({ branch: null })], ['shop/staging']],
    ['every environment that follows it', push(), [env(), env({ env: 'qa' }), env({ env: 'prod', autoDeploy: false })], ['shop/staging', 'shop/qa']],
    ['not another branch', push({ ref: 'refs/heads/feature' }), [env()], []],
    ['not a tag', push({ ref: 'refs/tags/v1' }), [env()], []],
    ['not a deletion', push({ deleted: true, after: '0'.repeat(40) }), [env()], []],
    ['not another repository', push({ repository: 'acme/other' }), [env()], []],
    ['not without autoDeploy', push(), [env({ autoDeploy: false })], []],
    ['not an app that is not on GitHub', push(), [env({ github: null })], []],
  ])('deploys %s', (_name, facts, candidates, expected) => {
    const decisions = decidePush(facts, candidates);
    expect(decisions.filter((d) => d.kind === 'deploy').map((d) => (d.kind === 'deploy' ? `${d.app}/${d.env}` : ''))).toEqual(expected);
    if (expected.length === 0) expect(decisions).toEqual([expect.objectContaining({ kind: 'ignored', reason: expect.any(String) })]);
  });

  it('deploys exactly the pushed SHA and records the push', () => {
    expect(decidePush(push({ forced: true }), [env()])).toEqual([
      { kind: 'deploy', app: 'shop', env: 'staging', sha: SHA, record: { pusher: 'octocat', message: 'Fix the login\n\nlong story', forced: true, compareUrl: 'https://github.com/acme/shop/compare/1...2' } },
    ]);
  });

  it('reads GitHub’s documented push example (a deleted tag) as a deletion that deploys nothing', () => {
    const example = JSON.parse(readFileSync(new URL('../fixtures/github/push-tag-deleted.json', import.meta.url), 'utf8'));
    const facts = pushFacts(example);
    expect(facts).toEqual({ repository: 'Codertocat/Hello-World', defaultBranch: 'master', ref: 'refs/tags/simple-tag', after: '0'.repeat(40), deleted: true, forced: false, pusher: 'Codertocat', message: null, compareUrl: 'https://github.com/Codertocat/Hello-World/compare/6113728f27ae...000000000000' });
    expect(decidePush(facts, [env({ github: { owner: 'Codertocat', repo: 'Hello-World' }, branch: null })])).toEqual([{ kind: 'ignored', reason: 'refs/tags/simple-tag was deleted' }]);
  });

  it('reads the test builder’s payload the same way', () => {
    const payload = pushPayload({ repository: 'acme/shop', ref: 'main', after: SHA, forced: true, pusher: 'ann', message: 'Ship it' });
    // The builder leaves out what Hoist never reads: typed as GitHub's payload for the translation only.
    expect(pushFacts(payload as unknown as Parameters<typeof pushFacts>[0])).toMatchObject({ ref: 'refs/heads/main', after: SHA, forced: true, pusher: 'ann', message: 'Ship it' });
  });
});

describe('changelog', () => {
  it.each([
    [0, 0, 'identical'],
    [3, 0, 'ahead'],
    [0, 2, 'behind'],
    [3, 2, 'diverged'],
  ] as const)('ahead %i, behind %i is %s', (ahead, behind, direction) => {
    expect(changelogDirection({ ahead, behind })).toBe(direction);
  });

  it('compares what runs with the deploy’s SHA; nothing for a first deploy or the same commit', () => {
    const B = 'b'.repeat(40);
    expect(changelogBase(SHA, [{ version: SHA, previousVersion: B }])).toEqual({ from: B, to: SHA });
    expect(changelogBase(SHA, [{ version: 'postgres:16', previousVersion: 'postgres:15' }, { version: SHA, previousVersion: B }])).toEqual({ from: B, to: SHA });
    expect(changelogBase(SHA, [{ version: SHA, previousVersion: null }])).toBeNull();
    expect(changelogBase(SHA, [{ version: SHA, previousVersion: SHA }])).toBeNull();
    expect(changelogBase(null, [{ version: null, previousVersion: B }])).toBeNull();
  });
});
