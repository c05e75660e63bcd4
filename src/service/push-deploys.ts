import type { HoistConfig } from '../config/hoist-config.ts';
import { decidePush, type PushCandidate, type PushFacts } from '../domain/push.ts';
import type { HoistService, RequestResult } from './contract.ts';

/** What one push did: per environment, the request's result; or why it asked for nothing. */
export type PushOutcome = { kind: 'requested'; app: string; env: string; result: RequestResult } | { kind: 'ignored'; reason: string };

function candidates(config: HoistConfig): PushCandidate[] {
  return [...config.apps.values()].flatMap((app) =>
    [...app.environments.values()].map((env) => ({ app: app.name, env: env.name, github: app.github, branch: env.branch, autoDeploy: env.autoDeployMode.kind === 'push' })),
  );
}

/**
 * Push → deploy: each environment with `autoDeploy: true` that follows the pushed branch gets a
 * deploy of exactly the pushed SHA, requested for the push (trigger `webhook`, the pusher
 * as requester). Environments with `autoDeploy: { poll }` are deployed by their polling
 * instead (service/poll-deploys.ts), never by both. `delivery` identifies the push: the same delivery again asks for nothing new.
 *
 * The pushes of one repository are requested one at a time, in the order they arrived: a
 * burst's newest push is recorded last, so it is the one that supersedes the others.
 */
export function createPushDeploys(deps: { config: HoistConfig; api: Pick<HoistService, 'request'> }) {
  const lines = new Map<string, Promise<unknown>>();

  function inLine<T>(repository: string, work: () => Promise<T>): Promise<T> {
    const key = repository.toLowerCase();
    const previous = lines.get(key) ?? Promise.resolve();
    const mine = previous.then(work, work);
    const settled = mine.then(
      () => undefined,
      () => undefined,
    );
    lines.set(key, settled);
    void settled.then(() => {
      if (lines.get(key) === settled) lines.delete(key);
    });
    return mine;
  }

  return {
    deployPush: (push: PushFacts, delivery: string): Promise<PushOutcome[]> => inLine(push.repository, () => requestFor(push, delivery)),
  };

  async function requestFor(push: PushFacts, delivery: string): Promise<PushOutcome[]> {
    const outcomes: PushOutcome[] = [];
    for (const decision of decidePush(push, candidates(deps.config))) {
      if (decision.kind === 'ignored') {
        outcomes.push(decision);
        continue;
      }
      const { app, env, sha, record } = decision;
      const result = await deps.api.request(
        { verb: 'deploy', scope: { app, services: null }, env, ref: sha },
        {
          requester: { id: `github:${record.pusher}`, name: record.pusher },
          origin: { kind: 'github', channel: null },
          trigger: 'webhook',
          requestKey: `github:${delivery}:${app}/${env}`,
          push: record,
        },
      );
      outcomes.push({ kind: 'requested', app, env, result });
    }
    return outcomes;
  }
}

export type PushDeploys = ReturnType<typeof createPushDeploys>;
