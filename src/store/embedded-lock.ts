import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../config/errors.ts';

/** Lock files this process holds: a lock naming this pid but not held here was left by an earlier process of the same pid (a restarted container). */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite's files take one process at a time, and it does not check: a second opener would
 * corrupt them. `file` records who holds them; a holder that is gone is taken over.
 * Returns the release.
 */
export function lockEmbeddedDatabase(file: string, dir: string): () => void {
  for (;;) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      held.add(file);
      return () => {
        held.delete(file);
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = Number(readFileSync(file, 'utf8').trim());
    const inUse = Number.isInteger(pid) && pid > 0 && (pid === process.pid ? held.has(file) : alive(pid));
    if (inUse) {
      throw new ConfigError(
        'DATABASE_IN_USE',
        `the embedded database in ${dir} is in use by another Hoist process (pid ${pid}): it takes one process at a time. Stop that process first, or set DATABASE_URL to a Postgres database, which any number of processes can share`,
      );
    }
    unlinkSync(file);
  }
}
