import type { ChecksPolicy } from '../domain/checks.ts';
import { parseDuration } from '../domain/duration.ts';
import type { ChecksFileConfig } from './hoist-schema.ts';

type Fail = (path: readonly PropertyKey[], message: string) => never;

/**
 * An environment's `checks:` as the policy requests apply; null without one. Checks are
 * GitHub's, of the commit a deploy builds: an app whose repository is not on GitHub has none
 * to read, and an app of prebuilt images only has no commit to check — both are refused here
 * rather than leave every deploy waiting until it times out.
 */
export function checksPolicy(
  raw: ChecksFileConfig | undefined,
  app: { app: string; github: unknown; built: boolean },
  path: readonly PropertyKey[],
  fail: Fail,
): ChecksPolicy | null {
  if (raw === undefined) return null;
  const at = [...path, 'checks'];
  if (app.github === null) {
    fail(at, `CI checks are read from GitHub, and ${app.app}'s repo is not on github.com; set \`github: owner/repo\` on the app, or remove \`checks\``);
  }
  if (!app.built) {
    fail(at, `${app.app} has no service built from git (\`build:\`), so a deploy has no commit whose checks could be read; remove \`checks\``);
  }
  const timeoutMs = parseDuration(raw.timeout) ?? fail([...at, 'timeout'], `not a duration: ${raw.timeout}`);
  return { require: raw.require === 'all' ? 'all' : [...new Set(raw.require)], timeoutMs };
}
