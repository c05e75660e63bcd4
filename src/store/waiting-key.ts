import { createHash } from 'node:crypto';
import type { NewDeployment } from './deployments.ts';

/**
 * What a planned deployment would do, as a short key: the action, the services it
 * names, the versions (resolved SHAs) and configuration it applies, and a rollback's
 * target. Two requests with the same key would do exactly the same thing.
 */
export function waitingKeyOf(planned: Pick<NewDeployment, 'action' | 'sha' | 'services' | 'deploymentSet' | 'rollback'>, scope: string[] | null): string {
  const what = {
    action: planned.action,
    scope: scope === null ? null : [...scope].sort(),
    sha: planned.sha,
    services: planned.services.map((s) => [s.name, s.version]),
    rollbackTo: planned.rollback?.to ?? null,
    set: planned.deploymentSet ?? null,
  };
  // Hashed: a deployment set can be longer than an index entry may be.
  return createHash('sha256').update(JSON.stringify(what)).digest('hex');
}
