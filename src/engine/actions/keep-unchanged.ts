import { sameSpec, type ServiceSpec } from '../../domain/deployment-set.ts';
import { lastAppliedSpec, recordAppliedSpec } from '../../store/deployment-sets.ts';
import { markService, type RunContext } from './context.ts';

/**
 * Whether re-applying `spec` would change nothing: the service runs (healthy) exactly this
 * version and image — a lifecycle job ran it — and the last deployment that applied it recorded
 * the same configuration.
 */
export async function unchanged(ctx: RunContext, spec: ServiceSpec): Promise<boolean> {
  const state = ctx.before.get(spec.name);
  if (!state || (state.status !== 'DEPLOYED' && state.status !== 'RESTARTED')) return false;
  if (state.version !== spec.version || state.image !== spec.image) return false;
  const last = await lastAppliedSpec(ctx.deps.db, { app: ctx.d.app, env: ctx.env.name, service: spec.name, beforeId: ctx.d.id });
  if (!last?.spec || !sameSpec(last.spec, spec)) return false;
  // A lifecycle job that ran this very spec to completion is done: nothing of it runs on (its
  // container is gone on Docker, its Job expires on Kubernetes).
  if (spec.type === 'lifecycle-job') return true;
  const running = (await ctx.target.inspect(ctx.placement)).filter((r) => r.service === spec.name);
  return running.length > 0 && running.every((r) => r.healthy && r.version === spec.version);
}

/** Records a service that needed nothing: DEPLOYED with "no changes", nothing restarted. */
export async function keepAsIs(ctx: RunContext, spec: ServiceSpec): Promise<void> {
  ctx.log.sink(spec.name)(`${spec.name}: nothing differs from what runs; nothing restarted`);
  await recordAppliedSpec(ctx.deps.db, ctx.d.id, spec);
  await markService(ctx, spec.name, { status: 'DEPLOYED', reason: 'no changes', version: spec.version, image: spec.image });
}
