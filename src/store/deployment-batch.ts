import type { Deployment } from '../domain/deployment.ts';
import type { Db } from './database.ts';
import { getDeployments } from './deployments.ts';

/**
 * `getDeployment` for callers that ask for many at once (a consumer of the event log handing
 * out the `queue` events of a whole environment in parallel): the reads asked for in the same
 * turn of the event loop are answered by one statement. Each read sees at least what was
 * committed when it was asked for.
 */
export function batchedDeploymentReads(db: Db): (id: number) => Promise<Deployment | null> {
  let waiting: Map<number, { resolve(d: Deployment | null): void; reject(error: unknown): void }[]> | null = null;
  const flush = (batch: NonNullable<typeof waiting>) => {
    waiting = null;
    getDeployments(db, [...batch.keys()]).then(
      (found) => {
        for (const [id, callers] of batch) for (const c of callers) c.resolve(found.get(id) ?? null);
      },
      (error: unknown) => {
        for (const callers of batch.values()) for (const c of callers) c.reject(error);
      },
    );
  };
  return (id) =>
    new Promise((resolve, reject) => {
      if (waiting === null) {
        const batch = new Map<number, { resolve(d: Deployment | null): void; reject(error: unknown): void }[]>();
        waiting = batch;
        setImmediate(() => flush(batch));
      }
      waiting.set(id, [...(waiting.get(id) ?? []), { resolve, reject }]);
    });
}
