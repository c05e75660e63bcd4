import type { AppConfig, EnvironmentConfig, ServiceConfig } from '../config/hoist-config.ts';
import type { ActionVerb } from '../domain/command.ts';
import type { Deployment } from '../domain/deployment.ts';
import { sameSpec, specOf, type ServiceSpec, type TagCheck } from '../domain/deployment-set.ts';
import { checkRef } from '../domain/git-ref.ts';
import { checkImageTag, isImageDigest, refUse, withTag, type RefUse } from '../domain/image-tag.ts';
import { checkAction } from '../domain/rules.ts';
import { orderServices } from '../domain/service-order.ts';
import { pinImageDigests } from '../engine/image-digests.ts';
import type { ImageRegistry, Source } from '../engine/ports.ts';
import { renderSet, renderSpec } from '../engine/service-spec.ts';
import type { Db } from '../store/database.ts';
import { lastAppliedSpec, successfulDeployments, APPLYING_ACTIONS } from '../store/deployment-sets.ts';
import { getDeployment, type NewDeployment } from '../store/deployments.ts';
import type { ServiceStateRow } from '../store/service-state.ts';
import type { ActionCommand, Refusal } from './contract.ts';
import { refuse } from './lookup.ts';

/** What a request records besides who asked and from where. */
export type PlannedDeployment = Pick<NewDeployment, 'action' | 'ref' | 'sha' | 'services' | 'deploymentSet' | 'rollback'>;
export type Plan = { ok: true; deployment: PlannedDeployment } | Refusal;

export interface PlanDeps {
  db: Db;
  source: Source;
  registry: ImageRegistry;
}

export interface PlanOptions {
  /** It will wait for approval: a deploy's image services are bound to the digests their registry names now. */
  awaitsApproval: boolean;
  /** What runs in the environment now, as the request just read it. */
  states: readonly ServiceStateRow[];
}

type States = Map<string, ServiceStateRow>;
type DeployCommand = Extract<ActionCommand, { verb: 'deploy' }>;

/** What the deploy's ref is for: a commit of the built services, or a tag of the one image service named. */
function refUseOf(env: EnvironmentConfig, command: DeployCommand): RefUse {
  const services = env.services.map((s) => ({ name: s.name, built: s.build !== null }));
  return refUse({ app: env.app, env: env.name, ref: command.ref, chosen: command.scope.services, services });
}

/** The ref's form, checked before anything is looked up: a git ref, or an image tag where it names one. */
export function checkDeployRef(env: EnvironmentConfig, command: DeployCommand): Refusal | null {
  const use = refUseOf(env, command);
  if (use.kind === 'refused') return refuse('BAD_REF', use.reason);
  if (command.ref === null || use.kind === 'none') return null;
  if (use.kind === 'commit' && isImageDigest(command.ref)) {
    return refuse('BAD_REF', `bad ref: a digest names an image, and the services in scope are built from ${env.app}'s repository; name the one image service it is for`);
  }
  const check = use.kind === 'tag' ? checkImageTag(command.ref) : checkRef(command.ref);
  return check.ok ? null : refuse('BAD_REF', `bad ref: ${check.reason}`);
}

type DestroyCommand = Extract<ActionCommand, { verb: 'destroy' }>;

/**
 * A destroy goes ahead only with the service's full name typed again (`shop/db`): what it
 * removes does not come back. The scope rule has made sure one service is named.
 */
export function checkConfirm(env: EnvironmentConfig, command: DestroyCommand): Refusal | null {
  const name = `${command.scope.app}/${command.scope.services?.[0] ?? ''}`;
  if (command.confirm === name) return null;
  const what = `destroying ${name} in ${env.name} removes it and its data for good`;
  if (command.confirm === null || command.confirm.trim() === '') return refuse('CONFIRMATION_NEEDED', `${what}; to go ahead, give its full name again: ${name}`);
  return refuse('CONFIRMATION_NEEDED', `"${command.confirm}" is not the service to destroy; ${what}; to go ahead, give its full name again: ${name}`);
}

interface Scope {
  app: AppConfig;
  env: EnvironmentConfig;
  command: ActionCommand;
  states: States;
  /** The services the command names (every service of the environment when it names none). */
  scoped: ServiceConfig[];
}

/**
 * Turns an action request into the deployment to record: which services, in which order,
 * with which versions and configuration (the deployment set), after the rules of SPEC §3.
 */
export async function planAction(deps: PlanDeps, app: AppConfig, env: EnvironmentConfig, command: ActionCommand, options: PlanOptions): Promise<Plan> {
  const states: States = new Map(options.states.map((s) => [s.service, s]));
  const named = command.scope.services;
  const scoped = named ? env.services.filter((s) => named.includes(s.name)) : env.services;
  const scope: Scope = { app, env, command, states, scoped };
  switch (command.verb) {
    case 'deploy':
      return planDeploy(deps, scope, command, options);
    case 'redeploy':
      return planRedeploy(scope);
    case 'rollback':
      return planRollback(deps, scope, command.to);
    case 'stop':
    case 'restart':
      return planServiceAction(scope, command.verb);
    case 'destroy':
      return planDestroy(scope);
  }
}

/** The services in scope the rules allow now, in order; a refusal with the reason and what would work. */
function allowed(scope: Scope, verb: ActionVerb): { ok: true; services: ServiceConfig[] } | Refusal {
  const services = scope.scoped.map((s) => ({ name: s.name, status: scope.states.get(s.name)?.status ?? 'NEVER_DEPLOYED', version: scope.states.get(s.name)?.version ?? null }));
  const result = checkAction({ verb, app: scope.app.name, env: scope.env.name, chosen: scope.command.scope.services, services, moment: 'request' });
  if (!result.ok) return refuse('NOT_ALLOWED', result.reason);
  return { ok: true, services: scope.scoped.filter((s) => result.services.includes(s.name)) };
}

function rows(scope: Scope, specs: { name: string; type: ServiceSpec['type']; version: string | null }[]): PlannedDeployment['services'] {
  return withPreviousVersions(
    specs.map((s) => ({ name: s.name, type: s.type, version: s.version })),
    scope.states,
  );
}

/** The services of a deployment, each with the version that runs now (`states`, by service) as its previous version. */
export function withPreviousVersions<S extends { name: string }>(services: readonly S[], states: ReadonlyMap<string, ServiceStateRow>): (S & { previousVersion: string | null })[] {
  return services.map((s) => ({ ...s, previousVersion: states.get(s.name)?.version ?? null }));
}

async function planDeploy(deps: PlanDeps, scope: Scope, command: DeployCommand, options: PlanOptions): Promise<Plan> {
  const ref = command.ref;
  const use = refUseOf(scope.env, command);
  if (use.kind === 'refused') return refuse('BAD_REF', use.reason);
  const tagged = use.kind === 'tag' ? scope.scoped.find((s) => s.name === use.service) : undefined;
  if (tagged?.image && ref !== null) return planTagDeploy(deps, scope, tagged, { tag: ref, image: withTag(tagged.image, ref) });
  const services = orderServices(scope.scoped);
  let sha: string | null = null;
  if (services.some((s) => s.build)) {
    const resolved = await deps.source.resolve(scope.app.repo, ref ?? scope.env.branch);
    if (!resolved.ok) return refuse('REF_NOT_FOUND', resolved.reason);
    sha = resolved.sha;
  }
  const rendered = services.map((s) => renderSpec(scope.env, s, s.build ? { version: sha, image: null } : { version: s.image, image: s.image }));
  const specs = options.awaitsApproval ? await pinImageDigests(deps.registry, rendered) : rendered;
  return { ok: true, deployment: { action: 'deploy', ref, sha, services: rows(scope, specs), deploymentSet: renderSet(scope.env, specs) } };
}

/**
 * An image service at another tag of its image: the registry is asked now, so an unknown tag
 * is refused while the requester is still there; one that cannot be asked is deployed unchecked.
 */
async function planTagDeploy(deps: PlanDeps, scope: Scope, service: ServiceConfig, at: { tag: string; image: string }): Promise<Plan> {
  const { tag, image: wanted } = at;
  const lookup = await deps.registry.lookup(wanted);
  if (lookup.status === 'missing') return refuse('REF_NOT_FOUND', `${service.name} cannot be deployed at ${tag}: ${lookup.reason}`);
  const tagCheck: TagCheck = lookup.status === 'found' ? { status: 'resolved', digest: lookup.digest } : { status: 'unchecked', reason: lookup.reason };
  // Run by digest when there is one: what was checked is what runs, even if the tag moves before the deployment starts.
  const digest = lookup.status === 'found' && !isImageDigest(tag) ? lookup.digest : null;
  const image = digest === null ? wanted : `${wanted}@${digest}`;
  const spec: ServiceSpec = { ...renderSpec(scope.env, service, { version: wanted, image }), tagCheck };
  return { ok: true, deployment: { action: 'deploy', ref: tag, sha: null, services: rows(scope, [spec]), deploymentSet: renderSet(scope.env, [spec]) } };
}

/** The versions that run now with the configuration as it is now. */
function planRedeploy(scope: Scope): Plan {
  const ok = allowed(scope, 'redeploy');
  if (!ok.ok) return ok;
  const specs = orderServices(ok.services).map((s) => {
    const state = scope.states.get(s.name);
    return renderSpec(scope.env, s, { version: state?.version ?? null, image: state?.image ?? null });
  });
  return { ok: true, deployment: { action: 'redeploy', ref: null, sha: null, services: rows(scope, specs), deploymentSet: renderSet(scope.env, specs) } };
}

function planServiceAction(scope: Scope, verb: 'stop' | 'restart'): Plan {
  const ok = allowed(scope, verb);
  if (!ok.ok) return ok;
  const services = orderServices(ok.services, verb === 'stop' ? 'stop' : 'start');
  const specs = services.map((s) => ({ name: s.name, type: s.type, version: scope.states.get(s.name)?.version ?? null }));
  return { ok: true, deployment: { action: verb, ref: null, sha: null, services: rows(scope, specs), deploymentSet: renderSet(scope.env, []) } };
}

/** The one service, and a set that records it removed: what a later deploy compares with starts afresh. */
function planDestroy(scope: Scope): Plan {
  const ok = allowed(scope, 'destroy');
  if (!ok.ok) return ok;
  const specs = ok.services.map((s) => ({ name: s.name, type: s.type, version: scope.states.get(s.name)?.version ?? null }));
  const deploymentSet = { ...renderSet(scope.env, []), removed: ok.services.map((s) => s.name) };
  return { ok: true, deployment: { action: 'destroy', ref: null, sha: null, services: rows(scope, specs), deploymentSet } };
}

async function planRollback(deps: PlanDeps, scope: Scope, to: number | null): Promise<Plan> {
  const ok = allowed(scope, 'rollback');
  if (!ok.ok) return ok;
  const names = ok.services.map((s) => s.name);
  const current = await currentSpecs(deps.db, scope, names);
  const targetId = to ?? (await defaultRollbackTarget(deps.db, scope, names, current));
  if (targetId === null) {
    return refuse('NOT_ALLOWED', `${scope.app.name} in ${scope.env.name} has no earlier successful deployment of ${names.join(', ')} to roll back to; \`deploy\` a version instead`);
  }
  const target = await getDeployment(deps.db, targetId);
  const usable = rollbackTarget(scope, target, targetId);
  if (!usable.ok) return usable;
  const specs: ServiceSpec[] = [];
  for (const s of orderServices(ok.services)) {
    const spec = usable.applied.get(s.name);
    if (spec) specs.push(spec);
    else if (scope.command.scope.services) return refuse('NOT_ALLOWED', `#${targetId} did not deploy ${s.name}; roll ${s.name} back to a deployment that did, or leave it out`);
  }
  if (specs.length === 0) return refuse('NOT_ALLOWED', `#${targetId} deployed none of ${names.join(', ')}`);
  const from = Math.max(0, ...[...current.values()].map((c) => c.deploymentId));
  return {
    ok: true,
    deployment: {
      action: 'rollback',
      ref: null,
      sha: usable.sha,
      services: rows(scope, specs),
      deploymentSet: renderSet(scope.env, specs),
      rollback: { to: targetId, from: from > 0 ? from : null },
    },
  };
}

/** What the last successful deployment of each service applied: what runs now, as far as Hoist applied it. */
async function currentSpecs(db: Db, scope: Scope, names: string[]): Promise<Map<string, { deploymentId: number; spec: ServiceSpec | null }>> {
  const current = new Map<string, { deploymentId: number; spec: ServiceSpec | null }>();
  for (const name of names) {
    const last = await lastAppliedSpec(db, { app: scope.app.name, env: scope.env.name, service: name });
    if (last) current.set(name, last);
  }
  return current;
}

/** The newest successful deployment that applied something else than what runs now to a service in scope. */
async function defaultRollbackTarget(db: Db, scope: Scope, names: string[], current: Map<string, { spec: ServiceSpec | null }>): Promise<number | null> {
  for (const candidate of await successfulDeployments(db, scope.app.name, scope.env.name)) {
    const differs = candidate.applied.some((name) => {
      if (!names.includes(name)) return false;
      const spec = specOf(candidate.set, name);
      const now = current.get(name)?.spec ?? null;
      return spec !== null && (now === null || !sameSpec(spec, now));
    });
    if (differs) return candidate.id;
  }
  return null;
}

/** Deployment #N as a rollback target: of this environment, one that applied configuration, with what it applied. */
function rollbackTarget(scope: Scope, target: Deployment | null, id: number): { ok: true; applied: Map<string, ServiceSpec>; sha: string | null } | Refusal {
  const here = `${scope.app.name} in ${scope.env.name}`;
  if (target === null) return refuse('NOT_FOUND', `there is no deployment #${id}`);
  if (target.app !== scope.app.name || target.env !== scope.env.name) {
    return refuse('NOT_ALLOWED', `#${id} is a deployment of ${target.app} in ${target.env}, not of ${here}`);
  }
  if (!(APPLYING_ACTIONS as readonly string[]).includes(target.action)) {
    return refuse('NOT_ALLOWED', `#${id} was a ${target.action}, which applies no versions; roll back to a deploy, redeploy or rollback`);
  }
  const applied = new Map<string, ServiceSpec>();
  for (const s of target.services) {
    const spec = specOf(target.deploymentSet ?? null, s.name);
    if (s.status === 'DEPLOYED' && spec?.image) applied.set(s.name, spec);
  }
  if (applied.size === 0) return refuse('NOT_ALLOWED', `#${id} ended ${target.status} without applying any service; pick a deployment that succeeded`);
  return { ok: true, applied, sha: target.sha };
}
