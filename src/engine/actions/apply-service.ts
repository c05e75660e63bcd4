import type { ServiceSpec } from '../../domain/deployment-set.ts';
import type { SecretValues } from '../../domain/secret-refs.ts';
import type { ServiceStatus } from '../../domain/status.ts';
import type { DeploymentStep } from '../../store/deployments.ts';
import { markService, type RunContext } from './context.ts';

/** How applying one service ended: its applied spec, or why not. `canceled` when the run was told to stop. */
export type ApplyResult =
  | { ok: true; spec: ServiceSpec }
  | { ok: false; canceled: boolean; status: ServiceStatus; reason: string; logTail: string[]; phase: 'build' | 'rollout' };

function failed(ctx: RunContext, phase: 'build' | 'rollout', outcome: { reason: string; logTail: string[] }): ApplyResult {
  const canceled = ctx.signal.aborted;
  const status: ServiceStatus = canceled ? 'CANCELED' : phase === 'build' ? 'BUILD_ERROR' : 'DEPLOYMENT_ERROR';
  return { ok: false, canceled, status, reason: outcome.reason, logTail: outcome.logTail, phase };
}

/** The image to run: the spec's, or one built (or reused) for its commit. */
async function imageFor(ctx: RunContext, spec: ServiceSpec): Promise<{ ok: true; image: string } | ApplyResult> {
  if (spec.image !== null) return { ok: true, image: spec.image };
  if (spec.build === null || spec.version === null) {
    return failed(ctx, 'build', { reason: 'no commit was resolved for this deployment', logTail: [] });
  }
  await markService(ctx, spec.name, { status: 'BUILDING', version: spec.version }, 'same', { status: 'BUILDING' });
  const built = await ctx.deps.builder.build({
    app: ctx.d.app,
    service: spec,
    repo: ctx.app.repo,
    sha: spec.version,
    signal: ctx.signal,
    log: ctx.log.sink(spec.name),
  });
  return built.ok ? { ok: true, image: built.image } : failed(ctx, 'build', built);
}

/**
 * Builds (when needed) and rolls out one service as its spec says. The spec with the
 * image actually run is recorded in the deployment set as the service counts as DEPLOYED.
 * `ends`: the run ends once this service is DEPLOYED, recorded in the same statement.
 */
export async function applyService(ctx: RunContext, spec: ServiceSpec, secrets?: SecretValues, ends?: DeploymentStep['ends']): Promise<ApplyResult> {
  const image = await imageFor(ctx, spec);
  if (!('image' in image)) return image;
  const applied: ServiceSpec = { ...spec, image: image.image };
  const version = applied.version ?? image.image;
  await markService(ctx, spec.name, { status: 'DEPLOYING', version, image: image.image }, 'same', { status: 'DEPLOYING' });
  const rolled = await ctx.target.rollout({
    deploymentId: ctx.d.id,
    placement: ctx.placement,
    service: applied,
    image: image.image,
    version,
    ...(secrets ? { secrets } : {}),
    signal: ctx.signal,
    log: ctx.log.sink(spec.name),
  });
  if (!rolled.ok) return failed(ctx, 'rollout', rolled);
  const recorded: ServiceSpec = rolled.manifests === undefined ? applied : { ...applied, manifests: rolled.manifests };
  // What was applied is kept in the same statement that says the service is DEPLOYED (and, for
  // the last service, that the deployment is: its log is written first).
  if (ends !== undefined) await ctx.log.flush();
  await markService(ctx, spec.name, { status: 'DEPLOYED', version, image: image.image, url: recorded.url ?? null }, 'same', { appliedSpec: recorded, ...(ends === undefined ? {} : { ends }) });
  return { ok: true, spec: recorded };
}
