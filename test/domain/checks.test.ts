import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commitChecks, judgeChecks, type ChecksPolicy, type GitHubCheckRun, type GitHubCommitStatus } from '../../src/domain/checks.ts';

/** GitHub's documented examples: "Get the combined status for a specific reference" and "List check runs for a Git reference". */
const combined = JSON.parse(readFileSync(new URL('../fixtures/github/combined-status.json', import.meta.url), 'utf8')) as { statuses: GitHubCommitStatus[] };
const listed = JSON.parse(readFileSync(new URL('../fixtures/github/check-runs.json', import.meta.url), 'utf8')) as { check_runs: GitHubCheckRun[] };

const [jenkins, brakeman] = combined.statuses as [GitHubCommitStatus, GitHubCommitStatus];
const [readme] = listed.check_runs as [GitHubCheckRun];
const status = (over: Partial<GitHubCommitStatus>): GitHubCommitStatus => ({ ...jenkins, ...over });
const run = (over: Partial<GitHubCheckRun>): GitHubCheckRun => ({ ...readme, ...over });

describe('commitChecks reads GitHub’s documented answers', () => {
  it('names statuses by context and check runs by name, each with its link', () => {
    expect(commitChecks(combined.statuses, listed.check_runs)).toEqual([
      { name: 'continuous-integration/jenkins', state: 'success', url: 'https://ci.example.com/1000/output' },
      { name: 'security/brakeman', state: 'success', url: 'https://ci.example.com/2000/output' },
      { name: 'mighty_readme', state: 'success', url: 'https://github.com/github/hello-world/runs/4' },
    ]);
  });

  it.each([
    ['completed success', run({ conclusion: 'success' }), 'success'],
    ['completed neutral (passes, as GitHub’s required checks count it)', run({ conclusion: 'neutral' }), 'success'],
    ['completed skipped', run({ conclusion: 'skipped' }), 'success'],
    ['completed failure', run({ conclusion: 'failure' }), 'failure'],
    ['completed cancelled', run({ conclusion: 'cancelled' }), 'failure'],
    ['completed timed_out', run({ conclusion: 'timed_out' }), 'failure'],
    ['completed action_required', run({ conclusion: 'action_required' }), 'failure'],
    ['completed stale', run({ conclusion: 'stale' }), 'failure'],
    ['queued', run({ status: 'queued', conclusion: null }), 'pending'],
    ['in_progress', run({ status: 'in_progress', conclusion: null }), 'pending'],
  ] as const)('a check run %s is %s', (_, r, state) => {
    expect(commitChecks([], [r])[0]?.state).toBe(state);
  });

  it.each([
    ['success', 'success'],
    ['pending', 'pending'],
    ['failure', 'failure'],
    ['error', 'failure'],
  ] as const)('a commit status %s is %s', (state, judged) => {
    expect(commitChecks([status({ state })], [])[0]?.state).toBe(judged);
  });

  it('counts a re-run check by its newest run', () => {
    const checks = commitChecks([], [run({ id: 4, conclusion: 'failure' }), run({ id: 9, conclusion: 'success' })]);
    expect(checks).toEqual([{ name: 'mighty_readme', state: 'success', url: 'https://github.com/github/hello-world/runs/4' }]);
  });

  it('links a check run without a page of its own to its details', () => {
    expect(commitChecks([], [run({ html_url: null })])[0]?.url).toBe('https://example.com');
  });
});

describe('judgeChecks', () => {
  const all: ChecksPolicy['require'] = 'all';
  const green = commitChecks(combined.statuses, listed.check_runs);
  it.each([
    ['all, GitHub’s example (two statuses, a neutral check run)', all, green, { verdict: 'green' }],
    ['all, nothing reported yet', all, [], { verdict: 'pending', waitingFor: [] }],
    ['all, one pending', all, commitChecks([jenkins, status({ context: 'lint', state: 'pending' })], []), { verdict: 'pending', waitingFor: ['lint'] }],
    [
      'all, one failing and one pending: red',
      all,
      commitChecks([status({ state: 'failure' }), brakeman], [run({ status: 'in_progress', conclusion: null })]),
      { verdict: 'red', failing: [{ name: 'continuous-integration/jenkins', url: 'https://ci.example.com/1000/output' }] },
    ],
    ['named ones passing, others failing', ['security/brakeman'], commitChecks([status({ state: 'failure' }), brakeman], []), { verdict: 'green' }],
    ['a named one not reported yet', ['security/brakeman', 'mighty_readme'], commitChecks([brakeman], []), { verdict: 'pending', waitingFor: ['mighty_readme'] }],
    ['a named one failing', ['mighty_readme'], commitChecks([], [run({ conclusion: 'failure' })]), { verdict: 'red', failing: [{ name: 'mighty_readme', url: 'https://github.com/github/hello-world/runs/4' }] }],
    [
      'a name reported as a status and a check run must pass as both',
      ['mighty_readme'],
      commitChecks([status({ context: 'mighty_readme', state: 'pending' })], [readme]),
      { verdict: 'pending', waitingFor: ['mighty_readme'] },
    ],
  ] as const)('%s', (_, require, checks, verdict) => {
    expect(judgeChecks(require as ChecksPolicy['require'], checks)).toEqual(verdict);
  });
});
