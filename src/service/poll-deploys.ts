import type { HoistConfig } from '../config/hoist-config.ts';
import type { PollDecision, PollingEnvironment } from '../domain/poll.ts';
import { POLLED, type PushRecord } from '../domain/push.ts';
import type { HoistService, RequestResult } from './contract.ts';

export type PollOutcome = { kind: 'requested'; app: string; env: string; result: RequestResult } | Extract<PollDecision, { kind: 'ignored' }>;

/** Every environment with `autoDeploy: { poll }`; `intervalMs` replaces each one's interval (tests, benchmarks). */
export function pollingEnvironments(config: HoistConfig, intervalMs?: number): PollingEnvironment[] {
  return [...config.apps.values()].flatMap((app) =>
    [...app.environments.values()].flatMap((env) =>
      env.autoDeployMode.kind === 'poll' ? [{ app: app.name, env: env.name, repo: app.repo, branch: env.branch, intervalMs: intervalMs ?? env.autoDeployMode.intervalMs }] : [],
    ),
  );
}

const RECORD: PushRecord = { pusher: POLLED, message: null, forced: false, compareUrl: null, polled: true };

/**
 * A new head found by polling deploys as a push does: a deploy of exactly that SHA, trigger
 * `webhook` (shown as Automatic), superseding older automatic deploys still waiting, skipped
 * and announced when the environment is locked. Who pushed is not known: the requester is
 * `polled`. The request is keyed by the move it saw (old head → new head), so a check
 * carried out twice asks once.
 */
export function createPollDeploys(deps: { api: Pick<HoistService, 'request'> }) {
  return {
    async deployHeads(decisions: readonly PollDecision[]): Promise<PollOutcome[]> {
      const outcomes: PollOutcome[] = [];
      for (const decision of decisions) {
        if (decision.kind === 'ignored') {
          outcomes.push(decision);
          continue;
        }
        const { app, env, sha, previous } = decision;
        const result = await deps.api.request(
          { verb: 'deploy', scope: { app, services: null }, env, ref: sha },
          {
            requester: { id: `git:${POLLED}`, name: POLLED },
            origin: { kind: 'github', channel: null },
            trigger: 'webhook',
            requestKey: `poll:${app}/${env}:${previous}..${sha}`,
            push: RECORD,
          },
        );
        outcomes.push({ kind: 'requested', app, env, result });
      }
      return outcomes;
    },
  };
}

export type PollDeploys = ReturnType<typeof createPollDeploys>;
