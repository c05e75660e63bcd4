import type { ActionVerb } from '../domain/command.ts';
import type { Deployment } from '../domain/deployment.ts';
import type { Db } from '../store/database.ts';
import { getDeployment, setDeploymentStatus, setServiceStatus } from '../store/deployments.ts';
import { serviceStates, type ServiceStateRow } from '../store/service-state.ts';
import type { RunContext, RunnerDeps } from './actions/context.ts';
import { runApplySet } from './actions/apply-set.ts';
import { runDestroy } from './actions/destroy.ts';
import { recheck } from './actions/recheck.ts';
import { runRestart } from './actions/restart.ts';
import { runStop } from './actions/stop.ts';
import { createDeploymentLog } from './deployment-log.ts';
import { placementOf } from './service-spec.ts';

export type { PinRequest, RunnerDeps } from './actions/context.ts';

const ACTIONS: Record<ActionVerb, (ctx: RunContext) => Promise<void>> = {
  deploy: runApplySet,
  redeploy: runApplySet,
  rollback: runApplySet,
  stop: runStop,
  restart: runRestart,
  destroy: runDestroy,
};

async function dropMissing(db: Db, id: number, services: { name: string }[], notify: () => void, app: string, env: string) {
  for (const s of services) await setServiceStatus(db, id, s.name, { status: 'CANCELED', reason: 'no longer in the configuration' });
  await setDeploymentStatus(db, id, { status: 'CANCELED', reason: `${app} in ${env} is no longer in the configuration`, finished: true, announce: true });
  notify();
}

/** Executes one deployment step by step; every step is recorded before the next begins. */
export function createDeployRunner(deps: RunnerDeps) {
  const { db } = deps;
  return {
    /**
     * `read`: the deployment as its caller has just read it (the worker, as it picked it up), and
     * `states`: its environment's services read with it; neither is read again here.
     */
    async run(deploymentId: number, signal: AbortSignal, read?: Deployment, states?: readonly ServiceStateRow[]): Promise<void> {
      const d = read?.id === deploymentId ? read : await getDeployment(db, deploymentId);
      if (!d || d.finishedAt) return;
      const app = deps.config.apps.get(d.app);
      const env = app?.environments.get(d.env);
      if (!app || !env) return dropMissing(db, d.id, d.services, deps.notify, d.app, d.env);
      const logger = deps.logger.child({ deploymentId });
      const before = new Map((read?.id === deploymentId && states !== undefined ? states : await serviceStates(db, d.app, d.env)).map((s) => [s.service, s]));
      const ctx: RunContext = { deps, d, app, env, placement: placementOf(env), target: deps.targetFor(env), log: createDeploymentLog(db, d.id), logger, signal, before };
      logger.info({ app: d.app, env: d.env, action: d.action, sha: d.sha }, 'deployment started');
      try {
        const services = await recheck(ctx);
        if (services === null) return;
        await ACTIONS[d.action]({ ...ctx, d: { ...d, services } });
      } finally {
        await ctx.log.flush();
      }
    },
  };
}

export type DeployRunner = ReturnType<typeof createDeployRunner>;
