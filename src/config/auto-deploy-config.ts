import { durationText, parseDuration } from '../domain/duration.ts';
import type { EnvironmentFileConfig } from './hoist-schema.ts';

type Fail = (path: readonly PropertyKey[], message: string) => never;

/**
 * The shortest `autoDeploy.poll`: each check is a `git ls-remote` against the repository's
 * host, and a host polled every few seconds by every Hoist is a host that starts refusing.
 */
export const MIN_POLL_MS = 10_000;

/** How an environment deploys on its own: `push` (GitHub's webhook), `poll` (git ls-remote at an interval), or not at all. */
export type AutoDeploy = { kind: 'off' } | { kind: 'push' } | { kind: 'poll'; intervalMs: number };

export function autoDeployOf(written: EnvironmentFileConfig['autoDeploy'], github: { owner: string; repo: string } | null, appName: string, path: readonly PropertyKey[], fail: Fail): AutoDeploy {
  if (written === false) return { kind: 'off' };
  if (written === true) {
    if (github === null) {
      fail(
        [...path, 'autoDeploy'],
        `deploys on push need the app's GitHub repository, and ${appName}'s repo is not on github.com; set \`github: owner/repo\` on the app (GitHub sends the pushes to /webhooks/github), or write \`autoDeploy: { poll: 1m }\` to check the branch with git ls-remote instead`,
      );
    }
    return { kind: 'push' };
  }
  const intervalMs = parseDuration(written.poll) ?? fail([...path, 'autoDeploy', 'poll'], `not a duration: ${written.poll}`);
  if (intervalMs < MIN_POLL_MS) {
    fail(
      [...path, 'autoDeploy', 'poll'],
      `${written.poll} is too often: the shortest interval is ${durationText(MIN_POLL_MS)} (each check runs git ls-remote against the repository); write 10s or more, such as 1m`,
    );
  }
  return { kind: 'poll', intervalMs };
}
