import { valueHider } from '../domain/redact.ts';
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
  /** Values read for this deployment that are never stored (a secret file's): hidden in every line kept. */
  const hidden = new Set<string>();
  let hide = (text: string) => text;

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
          const kept = hide(part);
          buffer.push({ service, line: kept.length > 4000 ? `${kept.slice(0, 4000)}…` : kept });
        }
        if (!timer) timer = setTimeout(() => void flush().catch(() => undefined), flushMs);
      };
    },
    flush,
    /** From now on these values are hidden in the lines kept and in {@link mask}. */
    hide(values: readonly string[], fingerprint: (value: string) => string): void {
      for (const value of values) hidden.add(value);
      hide = valueHider(hidden, fingerprint);
    },
    /** A text (a failure's reason, a log tail) with the hidden values hidden, before it is recorded. */
    mask(text: string): string {
      return hide(text);
    },
  };
}
