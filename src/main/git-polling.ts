import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { pollGroups } from '../domain/poll.ts';
import { remoteHeads } from '../engine/source/git-heads.ts';
import { createGitPoller } from '../jobs/git-poller.ts';
import { createPollDeploys, pollingEnvironments } from '../service/poll-deploys.ts';
import type { SharedParts } from './shared-parts.ts';

/**
 * `autoDeploy: { poll }`: every process (server, worker or both) takes part; the database
 * says which one checks each repository. `intervalMs` replaces the configured intervals
 * (tests and benchmarks, where waiting ten seconds measures nothing).
 */
export function startGitPolling(shared: SharedParts, options: { intervalMs?: number | undefined }): void {
  const repositories = pollGroups(pollingEnvironments(shared.config, options.intervalMs));
  if (repositories.length === 0) return;
  const log = shared.logger.child({ component: 'git-poll' });
  const deploys = createPollDeploys({ api: shared.api });
  const poller = createGitPoller({
    db: shared.db,
    repositories,
    holder: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
    heads: remoteHeads,
    deploy: async (decisions) => {
      for (const outcome of await deploys.deployHeads(decisions)) {
        if (outcome.kind === 'ignored') log.debug({ app: outcome.app, env: outcome.env, reason: outcome.reason }, 'polling deploys nothing');
        else if (outcome.result.ok) log.info({ app: outcome.app, env: outcome.env, deploymentId: outcome.result.deployment.id }, 'new head: deploy requested');
        else log.info({ app: outcome.app, env: outcome.env, code: outcome.result.code, reason: outcome.result.reason }, 'new head: deploy refused');
      }
    },
    logger: shared.logger,
  });
  poller.start();
  shared.stops.add(() => poller.stop(), 'the git polling');
}
