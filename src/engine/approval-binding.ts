import type { EnvironmentConfig, HoistConfig } from '../config/hoist-config.ts';
import { approvalDeadlines, approversOf, needsApproval } from '../domain/approval.ts';
import type { Deployment } from '../domain/deployment.ts';
import type { DeploymentSet, ServiceSpec } from '../domain/deployment-set.ts';
import { changeText, diffSets } from '../domain/set-diff.ts';
import { askApprovalAgain, runsByApproval } from '../store/approvals.ts';
import type { Db } from '../store/database.ts';
import { getDeployment } from '../store/deployments.ts';
import { serviceStates } from '../store/service-state.ts';
import { waitingKeyOf } from '../store/waiting-key.ts';
import { renderSet, renderSpec } from './service-spec.ts';

export interface ApprovalBindingDeps {
  db: Db;
  /** The configuration this process read at its start: what a deployment would apply here. */
  config: HoistConfig;
  notify(): void;
  now?: () => Date;
}

/** The most changes a reset's reason lists; the card and the set diff show them all. */
const LISTED_CHANGES = 5;

/**
 * What `d` would apply if it started now, with this process's configuration: a deploy its
 * recorded SHA (a pinned one is never replaced by a newer commit of the branch) or the image
 * a tag resolved to, with the configuration now; a redeploy the versions that run now; a
 * rollback what its target applied; stop and restart no configuration.
 */
async function setToApply(db: Db, env: EnvironmentConfig, d: Deployment): Promise<DeploymentSet> {
  const states = d.action === 'redeploy' ? new Map((await serviceStates(db, d.app, d.env)).map((s) => [s.service, s])) : null;
  const specs = (d.deploymentSet?.services ?? []).flatMap((spec): ServiceSpec[] => {
    const service = env.services.find((s) => s.name === spec.name);
    if (!service) return [];
    if (states !== null) {
      const state = states.get(spec.name);
      return [renderSpec(env, service, { version: state?.version ?? null, image: state?.image ?? null })];
    }
    if (d.action !== 'deploy') return [spec];
    if (spec.tagCheck) return [{ ...renderSpec(env, service, { version: spec.version, image: spec.image }), tagCheck: spec.tagCheck }];
    return [renderSpec(env, service, service.build ? { version: spec.version, image: null } : { version: service.image, image: service.image })];
  });
  return renderSet(env, specs);
}

/** The configuration alone: the manifests are what a target made of it. */
const withoutManifests = (set: DeploymentSet | null): unknown =>
  set === null ? null : { ...set, services: set.services.map(({ manifests: _manifests, ...spec }) => spec) };

/**
 * An approval is for what the deployment was to apply when it was approved (SPEC §5). When it
 * is about to start, what it would apply now is compared with that; if they differ, the votes
 * are discarded and approval is asked again, saying what changed. True: it may start.
 */
export function createApprovalBinding(deps: ApprovalBindingDeps) {
  const { db, config } = deps;
  const clock = deps.now ?? (() => new Date());
  /** `deployment`: its id, or the deployment as just read (not read again). */
  return async function approvalHolds(deployment: number | Deployment): Promise<boolean> {
    const d = typeof deployment === 'number' ? await getDeployment(db, deployment) : deployment;
    if (d === null || d.status !== 'QUEUED' || d.startedAt !== null) return true;
    const env = config.apps.get(d.app)?.environments.get(d.env);
    if (env === undefined || !needsApproval(env.approval, d.action) || !(await runsByApproval(db, d.id))) return true;
    const set = await setToApply(db, env, d);
    const changes = diffSets(withoutManifests(d.deploymentSet ?? null), withoutManifests(set));
    if (changes.length === 0) return true;
    const more = changes.length > LISTED_CHANGES ? `; and ${changes.length - LISTED_CHANGES} more` : '';
    const reason = `what it would run changed since it was approved: ${changes.slice(0, LISTED_CHANGES).map(changeText).join('; ')}${more}`;
    const versions = new Map(set.services.map((s) => [s.name, s.version]));
    const services = d.services.map((s) => ({ name: s.name, type: s.type, version: versions.get(s.name) ?? s.version, previousVersion: s.previousVersion }));
    const setKey = waitingKeyOf({ action: d.action, sha: d.sha, services, deploymentSet: set, rollback: undefined }, d.scope ?? null);
    const asked = await askApprovalAgain(db, d.id, {
      set,
      setKey,
      versions,
      step: { step: 'reset', actor: null, edge: 'none', reason, sha: d.sha, setKey, to: approversOf(env.approval) },
      ...approvalDeadlines(env.approval, clock()),
    });
    if (!asked) return true;
    deps.notify();
    return false;
  };
}

export type ApprovalHolds = ReturnType<typeof createApprovalBinding>;
