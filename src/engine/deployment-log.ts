import type { Db } from '../store/database.ts';
import { appendLogLines } from '../store/deployment-logs.ts';

/**
 * Collects a deployment's log lines and writes them in batches, so a chatty build
 * costs a few inserts a second rather than one per line.
 */
export function createDeploymentLog(db: Db, deploymentId: number, flushMs = 250) {
  let buffer: { service: string | null; line: string }[] = [];
  let timer: NodeJS.Timeout | null = null;
  let writing: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    const batch = buffer;
    buffer = [];
    writing = writing.then(() => appendLogLines(db, deploymentId, batch));
    return writing;
  };

  return {
    sink(service: string | null) {
      return (line: string) => {
        for (const part of line.split(/\r?\n/)) {
          if (part.length === 0) continue;
          buffer.push({ service, line: part.length > 4000 ? `${part.slice(0, 4000)}…` : part });
        }
        if (!timer) timer = setTimeout(() => void flush().catch(() => undefined), flushMs);
      };
    },
    flush,
  };
}
