import type { AppConfig, EnvironmentConfig, HoistConfig } from '../config/hoist-config.ts';
import type { Deployment } from '../domain/deployment.ts';
import type { LoggedEvent } from '../domain/event-log.ts';
import {
  environmentUrl,
  githubDeploymentDescription,
  githubEnvironmentName,
  githubPayload,
  githubStatusOf,
  isMirrored,
  type GitHubStatusUpdate,
} from '../domain/github-deployment.ts';
import { hostPortUrl, ingressUrl } from '../domain/public-url.ts';
import type { GitHubClient } from '../engine/source/github/client.ts';
import { createGitHubDeployment, createGitHubStatus, findGitHubDeployment, latestGitHubStatus } from '../engine/source/github/deployments.ts';
import type { GitHubApi } from '../engine/source/github/octokit.ts';
import { getDeployment } from '../store/deployments.ts';
import { startAtEnd } from '../store/event-cursors.ts';
import { intendGitHubDeployment, recordGitHubDeployment, refuseGitHubDeployment } from '../store/github-deployments.ts';
import { createEventConsumer, type Delivery, type EventConsumerDeps } from './event-consumer.ts';

/** The GitHub Deployments' name as a consumer of the event log (its cursor, retries and failures). */
export const GITHUB_DEPLOYMENTS_CONSUMER = 'github-deployments';

export interface GitHubDeploymentsDeps extends EventConsumerDeps {
  config: HoistConfig;
  github: GitHubClient;
  /** Hoist's public URL: each status links to the deployment's dashboard page (`log_url`); null: no link. */
  publicUrl: string | null;
}

/** How many apps deploy from each GitHub repository: where more than one does, environments are named `app/env`. */
function appsPerRepo(config: HoistConfig): Map<string, number> {
  const counts = new Map<string, number>();
  for (const app of config.apps.values()) {
    if (app.github === null) continue;
    const key = `${app.github.owner}/${app.github.repo}`.toLowerCase();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The public URLs the environment's configuration gives its services, Ingress hosts first, in the order written. */
function configuredUrls(env: EnvironmentConfig): (string | null)[] {
  return [...Object.values(env.ingress).map(ingressUrl), ...Object.values(env.expose).map((port) => hostPortUrl(env.target, port))];
}

type Mirrored = { d: Deployment & { sha: string }; app: AppConfig & { github: NonNullable<AppConfig['github']> }; env: EnvironmentConfig; environment: string };

/**
 * Mirrors every deployment of a GitHub app as a GitHub Deployment, its statuses following
 * Hoist's (src/domain/github-deployment.ts). It runs beside deployments as a consumer of the
 * event log, in order per deployment: GitHub slow, rate-limited or down delays the statuses,
 * never a deployment. A failed call is tried again with back-off (honouring GitHub's
 * Retry-After and rate-limit reset) for a day, and shows in the log, in `event_retries` /
 * `event_failures`, and in `hoist_call_errors_total{system="github"}`.
 */
export function createGitHubDeployments(deps: GitHubDeploymentsDeps) {
  const log = deps.logger.child({ component: 'github-deployments' });
  // Told of what happens from now on: deployments made before Hoist had GitHub credentials stay as they were.
  const consumer = createEventConsumer(deps, { name: GITHUB_DEPLOYMENTS_CONSUMER, groupOf: (event) => `deployment:${event.deploymentId ?? 0}`, startAt: 'end' });
  const perRepo = appsPerRepo(deps.config);

  async function mirrored(deploymentId: number): Promise<Mirrored | null> {
    const d = await getDeployment(deps.db, deploymentId);
    if (d === null || !isMirrored(d)) return null;
    const app = deps.config.apps.get(d.app);
    const env = app?.environments.get(d.env);
    if (app === undefined || app.github === null || env === undefined) return null;
    const environment = githubEnvironmentName(app.name, env.name, perRepo.get(`${app.github.owner}/${app.github.repo}`.toLowerCase()) ?? 1);
    return { d: d as Deployment & { sha: string }, app: app as Mirrored['app'], env, environment };
  }

  /**
   * The GitHub Deployment's id: recorded, or made now. The intent is written first: a retry that
   * finds it without an id looks on GitHub for the one an interrupted attempt may have made.
   */
  async function githubDeploymentOf(octokit: GitHubApi, m: Mirrored): Promise<number | null> {
    const repo = `${m.app.github.owner}/${m.app.github.repo}`;
    const { record, existed } = await intendGitHubDeployment(deps.db, { deploymentId: m.d.id, repo, environment: m.environment });
    if (record.refused !== null) return null;
    if (record.githubId !== null) return record.githubId;
    if (existed) {
      const found = await findGitHubDeployment(octokit, m.app.github, { sha: m.d.sha, environment: record.environment, hoistId: m.d.id });
      if (found !== null) {
        await recordGitHubDeployment(deps.db, m.d.id, found);
        return found;
      }
    }
    const made = await createGitHubDeployment(octokit, m.app.github, {
      sha: m.d.sha,
      environment: record.environment,
      description: githubDeploymentDescription(m.d),
      production: m.env.production,
      payload: githubPayload(m.d),
    });
    if (!made.ok) {
      await refuseGitHubDeployment(deps.db, m.d.id, made.reason);
      log.warn({ deploymentId: m.d.id, repo, sha: m.d.sha, reason: made.reason }, 'GitHub refused the deployment; its statuses are not reported');
      return null;
    }
    await recordGitHubDeployment(deps.db, m.d.id, made.id);
    return made.id;
  }

  async function report(m: Mirrored, update: GitHubStatusUpdate, delivery: Delivery): Promise<void> {
    const octokit = await deps.github.forRepo(m.app.github);
    const githubId = await githubDeploymentOf(octokit, m);
    if (githubId === null) return;
    if (delivery.redelivery) {
      // An earlier attempt may have posted it before failing (a timeout): the same status twice would read as two.
      const newest = await latestGitHubStatus(octokit, m.app.github, githubId);
      if (newest?.state === update.state && newest.description === update.description) return;
    }
    const shown = update.state === 'success' || update.state === 'in_progress';
    const made = await createGitHubStatus(octokit, m.app.github, githubId, {
      ...update,
      environment: m.environment,
      logUrl: deps.publicUrl === null ? null : `${deps.publicUrl}/dashboard/deployments/${m.d.id}`,
      environmentUrl: shown ? environmentUrl(m.d.deploymentSet, configuredUrls(m.env)) : null,
    });
    if (!made.ok) log.warn({ deploymentId: m.d.id, githubId, state: update.state, reason: made.reason }, 'GitHub refused a deployment status');
  }

  async function handle(event: LoggedEvent, delivery: Delivery): Promise<void> {
    if (event.deploymentId === null) return;
    const update = githubStatusOf(event.entry);
    if (update === null) return;
    const m = await mirrored(event.deploymentId);
    if (m === null) return;
    await report(m, update, delivery);
  }

  return {
    /** Takes the consumer's place at the log's end before anything it should hear of happens (the first start). */
    ready: () => startAtEnd(deps.db, GITHUB_DEPLOYMENTS_CONSUMER),
    start: () => consumer.start(handle),
    wake: consumer.wake,
    /** One pass now (tests drive passes themselves). */
    pass: () => consumer.passWith(handle),
    close: consumer.close,
  };
}
