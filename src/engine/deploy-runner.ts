import type { Logger } from 'pino';
import type { EnvironmentConfig, HoistConfig, ServiceConfig } from '../config/hoist-config.ts';
import type { Deployment, DeploymentService } from '../domain/deployment.ts';
import type { ServiceStatus } from '../domain/status.ts';
import type { Db } from '../store/database.ts';
import { getDeployment, recordEvent, setDeploymentStatus, setServiceStatus } from '../store/deployments.ts';
import { putServiceState } from '../store/service-state.ts';
import { createDeploymentLog } from './deployment-log.ts';
import type { Builder, Source, Target } from './ports.ts';

export interface RunnerDeps {
  db: Db;
  config: HoistConfig;
  source: Source;
  builder: Builder;
  targetFor(env: EnvironmentConfig): Target;
  /** Called after each recorded event so subscribers hear of it at once. */
  notify(): void;
  logger: Logger;
}

type StepResult = { ok: true } | { ok: false; status: ServiceStatus; reason: string; logTail: string[] };

/** Executes one deployment step by step; every step is recorded before the next begins. */
export function createDeployRunner(deps: RunnerDeps) {
  const { db, notify } = deps;

  async function finish(d: Deployment, status: Deployment['status'], reason: string | null): Promise<void> {
    await setDeploymentStatus(db, d.id, { status, reason, finished: true, announce: true });
    notify();
  }

  async function cancelRest(d: Deployment, rest: DeploymentService[], reason: string): Promise<void> {
    for (const s of rest) {
      await setServiceStatus(db, d.id, s.name, { status: 'CANCELED', reason });
    }
    notify();
  }

  async function serviceStatus(d: Deployment, env: EnvironmentConfig, name: string, status: ServiceStatus, extra: { reason?: string | null; version?: string | null; image?: string | null } = {}) {
    await setServiceStatus(db, d.id, name, { status, ...extra });
    await putServiceState(db, { app: d.app, env: env.name, service: name }, {
      status,
      deploymentId: d.id,
      // What runs changes only once the rollout succeeded.
      ...(status === 'DEPLOYED' ? { version: extra.version ?? null, image: extra.image ?? null } : {}),
    });
    notify();
  }

  async function deployService(d: Deployment, env: EnvironmentConfig, service: ServiceConfig, repo: string, log: ReturnType<typeof createDeploymentLog>, signal: AbortSignal): Promise<StepResult> {
    let image: string;
    let version: string;
    if (service.build) {
      if (!d.sha) return { ok: false, status: 'BUILD_ERROR', reason: 'no commit was resolved for this deployment', logTail: [] };
      await setDeploymentStatus(db, d.id, { status: 'BUILDING', started: true });
      await serviceStatus(d, env, service.name, 'BUILDING', { version: d.sha });
      const built = await deps.builder.build({ app: d.app, service, repo, sha: d.sha, signal, log: log.sink(service.name) });
      if (!built.ok) {
        return { ok: false, status: signal.aborted ? 'CANCELED' : 'BUILD_ERROR', reason: built.reason, logTail: built.logTail };
      }
      image = built.image;
      version = d.sha;
    } else {
      image = service.image ?? '';
      version = image;
    }
    await setDeploymentStatus(db, d.id, { status: 'DEPLOYING', started: true });
    await serviceStatus(d, env, service.name, 'DEPLOYING', { version, image });
    const rolled = await deps.targetFor(env).rollout({
      deploymentId: d.id,
      env,
      service,
      image,
      version,
      signal,
      log: log.sink(service.name),
    });
    if (!rolled.ok) {
      return { ok: false, status: signal.aborted ? 'CANCELED' : 'DEPLOYMENT_ERROR', reason: rolled.reason, logTail: rolled.logTail };
    }
    await serviceStatus(d, env, service.name, 'DEPLOYED', { version, image });
    return { ok: true };
  }

  return {
    async run(deploymentId: number, signal: AbortSignal): Promise<void> {
      const d = await getDeployment(db, deploymentId);
      if (!d || d.finishedAt) return;
      const logger = deps.logger.child({ deploymentId });
      const app = deps.config.apps.get(d.app);
      const env = app?.environments.get(d.env);
      if (!app || !env) {
        await cancelRest(d, d.services, 'no longer in the configuration');
        await finish(d, 'CANCELED', `${d.app} in ${d.env} is no longer in the configuration`);
        return;
      }
      if (d.action !== 'deploy') {
        await cancelRest(d, d.services, `${d.action} cannot run in this version`);
        await finish(d, 'CANCELED', `${d.action} cannot run in this version of Hoist`);
        return;
      }
      logger.info({ app: d.app, env: d.env, sha: d.sha }, 'deployment started');
      const log = createDeploymentLog(db, d.id);
      try {
        for (const [index, s] of d.services.entries()) {
          const service = env.services.find((c) => c.name === s.name);
          if (!service) {
            await serviceStatus(d, env, s.name, 'CANCELED', { reason: 'no longer in the configuration' });
            continue;
          }
          if (signal.aborted) {
            await cancelRest(d, d.services.slice(index), 'canceled');
            await finish(d, 'CANCELED', 'canceled');
            return;
          }
          const result = await deployService(d, env, service, app.repo, log, signal);
          if (!result.ok) {
            await log.flush();
            await serviceStatus(d, env, s.name, result.status, { reason: result.reason });
            await recordEvent(db, { kind: 'failure', deploymentId: d.id, service: s.name, status: result.status, reason: result.reason, logTail: result.logTail });
            await cancelRest(d, d.services.slice(index + 1), 'earlier step failed');
            await finish(d, result.status, `${s.name}: ${result.reason}`);
            logger.warn({ service: s.name, status: result.status, reason: result.reason }, 'deployment failed');
            return;
          }
        }
        await finish(d, 'DEPLOYED', null);
        logger.info('deployment succeeded');
      } finally {
        await log.flush();
      }
    },
  };
}

export type DeployRunner = ReturnType<typeof createDeployRunner>;
