import { fstatSync, statSync } from 'node:fs';
import { isatty } from 'node:tty';

/**
 * What Hoist's standard input is: a terminal (the interactive chat), nothing at all (a
 * container or a service manager: /dev/null, or a descriptor Node reopened on /dev/null
 * because it was closed, or an empty file), or a stream that may carry piped commands.
 */
export type StandardInput = 'terminal' | 'none' | 'stream';

export function standardInput(fd = 0): StandardInput {
  if (isatty(fd)) return 'terminal';
  let stat;
  try {
    stat = fstatSync(fd);
  } catch {
    return 'none';
  }
  if (stat.isFile() && stat.size === 0) return 'none';
  if (stat.isCharacterDevice()) {
    try {
      if (stat.rdev === statSync('/dev/null').rdev) return 'none';
    } catch {
      // No /dev/null to compare with: read it as a stream, which ends at once if it is empty.
    }
  }
  return 'stream';
}
