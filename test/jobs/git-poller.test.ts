import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pollGroups, type PollDecision } from '../../src/domain/poll.ts';
import { remoteHeads } from '../../src/engine/source/git-heads.ts';
import { createGitPoller, pollKey, type GitPoller } from '../../src/jobs/git-poller.ts';
import { pollState } from '../../src/store/git-polls.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { openTestStore } from '../support/databases.ts';
import { eventually } from '../support/hoist-harness.ts';

const logger = pino({ level: 'silent' });
const INTERVAL = 100;

describe.each(['postgres', 'pglite'] as const)('git poller over %s', (kind) => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  let repo: GitFixture;
  const pollers: GitPoller[] = [];
  /** Ends the checks a test left hanging (as git's own timeout would), so that stop() returns. */
  let wakeHung: () => void = () => undefined;

  beforeAll(async () => {
    store = await openTestStore(kind);
  });
  afterAll(async () => {
    await store?.cleanup();
  });
  afterEach(async () => {
    wakeHung();
    await Promise.all(pollers.splice(0).map((p) => p.stop()));
    repo?.remove();
  });

  /** A poller of the fixture's repository that counts its ls-remote calls and records what it asks to deploy. */
  function poller(holder: string, options: { hang?: () => boolean; intervalMs?: number } = {}) {
    const calls = { checks: 0, hung: 0 };
    const asked: PollDecision[][] = [];
    const interval = options.intervalMs ?? INTERVAL;
    const repositories = pollGroups([
      { app: 'shop', env: 'staging', repo: repo.dir, branch: null, intervalMs: interval },
      { app: 'shop', env: 'qa', repo: repo.dir, branch: 'main', intervalMs: interval * 5 },
      { app: 'shop', env: 'hotfix', repo: repo.dir, branch: 'hotfix', intervalMs: interval },
    ]);
    const p = createGitPoller({
      db: store.db,
      repositories,
      holder,
      heads: async (r, branches, o) => {
        calls.checks += 1;
        if (options.hang?.()) {
          calls.hung += 1;
          return new Promise((resolve) => (wakeHung = () => resolve({ ok: false, reason: 'timed out' })));
        }
        return remoteHeads(r, branches, o);
      },
      deploy: async (decisions) => {
        asked.push([...decisions]);
      },
      logger,
    });
    pollers.push(p);
    return { p, calls, asked };
  }

  it('remembers the heads at the first check, deploys a new head within one interval to the environments following its branch, once', async () => {
    repo = createGitFixture('hoist-poll');
    const v1 = repo.commit('v1', { a: '1' });
    const a = poller('a');
    a.p.start();
    await eventually(async () => (await pollState(store.db, pollKey(repo.dir).key))?.seen?.main === v1, 10_000, 'the first check');
    expect(a.asked).toEqual([]);

    const v2 = repo.commit('v2', { a: '2' });
    const seenAt = Date.now();
    const asked = await eventually(() => a.asked[0], 10_000, 'a deploy of v2');
    // Within one interval (and its 10% jitter), plus the check itself.
    expect(Date.now() - seenAt).toBeLessThan(INTERVAL * 1.1 + 500);
    expect(asked.filter((d) => d.kind === 'deploy')).toEqual([
      { kind: 'deploy', app: 'shop', env: 'staging', branch: 'main', sha: v2, previous: v1 },
      { kind: 'deploy', app: 'shop', env: 'qa', branch: 'main', sha: v2, previous: v1 },
    ]);
    expect(asked.find((d) => d.env === 'hotfix')).toMatchObject({ kind: 'ignored', reason: 'no branch hotfix in the repository' });
    await eventually(async () => (await pollState(store.db, pollKey(repo.dir).key))?.seen?.main === v2, 10_000, 'v2 remembered');
    const checks = a.calls.checks;
    await eventually(() => a.calls.checks >= checks + 3, 10_000, 'three more checks');
    expect(a.asked).toHaveLength(1);
  });

  it('checks a repository from one process at a time, and another takes over when the holder stops answering', async () => {
    // A longer interval than the other tests': the holder renews its lease (three intervals) at
    // each check, and a test machine busy with other work can hold a process up for a few
    // hundred milliseconds without its having stopped answering.
    const interval = 400;
    repo = createGitFixture('hoist-poll-two');
    repo.commit('v1', { a: '1' });
    let aDead = false;
    const a = poller('a', { hang: () => aDead, intervalMs: interval });
    a.p.start();
    await eventually(() => a.calls.checks >= 1, 10_000, 'a checks first');
    const b = poller('b', { intervalMs: interval });
    b.p.start();
    await eventually(() => a.calls.checks >= 6, 15_000, 'six checks');
    // b has claimed (and been refused) as often as a checked: not one ls-remote of its own.
    expect(b.calls.checks).toBe(0);
    expect((await pollState(store.db, pollKey(repo.dir).key))?.holder).toBe('a');

    aDead = true;
    // Its check under way when it "died" ends first (and must not see v2): v2 comes once a hangs.
    await eventually(() => a.calls.hung >= 1, 10_000, 'a hangs');
    const died = Date.now();
    const v2 = repo.commit('v2', { a: '2' });
    const asked = await eventually(() => b.asked[0], 15_000, 'b deploys v2');
    expect(asked.find((d) => d.env === 'staging')).toMatchObject({ kind: 'deploy', sha: v2 });
    // The lease (three intervals) lapses, and b's next claim takes it.
    expect(Date.now() - died).toBeLessThan(interval * 3 + interval * 1.1 + 1_500);
    expect((await pollState(store.db, pollKey(repo.dir).key))?.holder).toBe('b');
  });

  it('lets go at a clean stop: the other process takes over at its next check', async () => {
    repo = createGitFixture('hoist-poll-stop');
    repo.commit('v1', { a: '1' });
    const a = poller('a');
    a.p.start();
    await eventually(() => a.calls.checks >= 1, 10_000, 'a checks');
    const b = poller('b');
    b.p.start();
    await a.p.stop();
    const stopped = Date.now();
    await eventually(() => b.calls.checks >= 1, 10_000, 'b checks');
    expect(Date.now() - stopped).toBeLessThan(INTERVAL * 1.1 + 1_000);
  });
});
