import type { EnvironmentConfig, HoistConfig, ServiceConfig } from '../config/hoist-config.ts';
import { approvalDeadlines, approversOf, needsApproval } from '../domain/approval.ts';
import type { Deployment } from '../domain/deployment.ts';
import { specOf, type DeploymentSet, type ServiceSpec } from '../domain/deployment-set.ts';
import { changeText, diffSets } from '../domain/set-diff.ts';
import { askApprovalAgain, runsByApproval } from '../store/approvals.ts';
import type { Db } from '../store/database.ts';
import { getDeployment } from '../store/deployments.ts';
import { serviceStates } from '../store/service-state.ts';
import { waitingKeyOf } from '../store/waiting-key.ts';
import { checkImage, pinnedSpec, runsConfiguredTag } from './image-digests.ts';
import type { ImageRegistry } from './ports.ts';
import { renderSet, renderSpec } from './service-spec.ts';

export interface ApprovalBindingDeps {
  db: Db;
  /** The configuration this process read at its start: what a deployment would apply here. */
  config: HoistConfig;
  /** Where the digests of image services' tags are looked up again before an approved deploy starts. */
  registry: ImageRegistry;
  notify(): void;
  now?: () => Date;
}

/** The most changes a reset's reason lists; the card and the set diff show them all. */
const LISTED_CHANGES = 5;

/**
 * An image service bound to a digest at request time: the digest its registry names now when
 * that is another (the tag moved), else the approved one, which it runs by. A changed image in
 * hoist.yaml is looked up afresh; a set recorded without a check stays without one.
 */
async function imageToApply(registry: ImageRegistry, env: EnvironmentConfig, service: ServiceConfig, recorded: ServiceSpec): Promise<ServiceSpec> {
  const configured = renderSpec(env, service, { version: service.image, image: service.image });
  const approved = recorded.imageCheck;
  if (approved === undefined || !runsConfiguredTag(configured)) return configured;
  if (recorded.version !== service.image) return pinnedSpec(configured, await checkImage(registry, configured.image));
  const now = await checkImage(registry, configured.image);
  const moved = approved.status === 'resolved' && approved.digest !== null && now.status === 'resolved' && now.digest !== null && now.digest !== approved.digest;
  return moved ? pinnedSpec(configured, now) : { ...configured, image: recorded.image, imageCheck: approved };
}

/**
 * What `d` would apply if it started now, with this process's configuration: a deploy its
 * recorded SHA (a pinned one is never replaced by a newer commit of the branch), the image
 * a tag resolved to, or the digest its image services' tags name now, with the configuration
 * now; a redeploy the versions that run now; a rollback what its target applied; stop,
 * restart and destroy no configuration.
 */
async function setToApply(db: Db, registry: ImageRegistry, env: EnvironmentConfig, d: Deployment): Promise<DeploymentSet> {
  const states = d.action === 'redeploy' ? new Map((await serviceStates(db, d.app, d.env)).map((s) => [s.service, s])) : null;
  const specs = await Promise.all(
    (d.deploymentSet?.services ?? []).map(async (spec): Promise<ServiceSpec[]> => {
      const service = env.services.find((s) => s.name === spec.name);
      if (!service) return [];
      if (states !== null) {
        const state = states.get(spec.name);
        return [renderSpec(env, service, { version: state?.version ?? null, image: state?.image ?? null })];
      }
      if (d.action !== 'deploy') return [spec];
      if (spec.tagCheck) return [{ ...renderSpec(env, service, { version: spec.version, image: spec.image }), tagCheck: spec.tagCheck }];
      if (service.build) return [renderSpec(env, service, { version: spec.version, image: null })];
      return [await imageToApply(registry, env, service, spec)];
    }),
  );
  // A destroy applies nothing: what it removes is what it was approved to remove.
  const removed = d.deploymentSet?.removed;
  return removed === undefined ? renderSet(env, specs.flat()) : { ...renderSet(env, specs.flat()), removed };
}

/** The configuration alone: the manifests are what a target made of it. */
const withoutManifests = (set: DeploymentSet | null): unknown =>
  set === null ? null : { ...set, services: set.services.map(({ manifests: _manifests, ...spec }) => spec) };

const shortDigest = (digest: string): string => digest.slice(0, 'sha256:'.length + 12);

/** `db: image postgres:16 now sha256:… (was sha256:…)` for each service whose tag names another digest than was approved. */
function movedDigests(before: DeploymentSet | null, after: DeploymentSet): { text: string; paths: string[] }[] {
  return after.services.flatMap((spec) => {
    const approved = specOf(before, spec.name);
    // Another image in hoist.yaml is said by its version's change: its digest is no move of the tag's.
    const was = approved?.version === spec.version ? approved.imageCheck : undefined;
    const now = spec.imageCheck;
    if (was?.status !== 'resolved' || now?.status !== 'resolved' || was.digest === null || now.digest === null || was.digest === now.digest) return [];
    const text = `${spec.name}: image ${spec.version ?? ''} now ${shortDigest(now.digest)} (was ${shortDigest(was.digest)})`;
    return [{ text, paths: [`services[${spec.name}].image`, `services[${spec.name}].imageCheck.digest`] }];
  });
}

/** What changed, as the reset's reason lists it: a moved digest in a phrase of its own, the rest by path. */
function changeTexts(before: DeploymentSet | null, after: DeploymentSet): string[] {
  const moved = movedDigests(before, after);
  const said = new Set(moved.flatMap((m) => m.paths));
  const rest = diffSets(withoutManifests(before), withoutManifests(after)).filter((c) => !said.has(c.path));
  return [...moved.map((m) => m.text), ...rest.map(changeText)];
}

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
    const set = await setToApply(db, deps.registry, env, d);
    const changes = changeTexts(d.deploymentSet ?? null, set);
    if (changes.length === 0) return true;
    const more = changes.length > LISTED_CHANGES ? `; and ${changes.length - LISTED_CHANGES} more` : '';
    const reason = `what it would run changed since it was approved: ${changes.slice(0, LISTED_CHANGES).join('; ')}${more}`;
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
