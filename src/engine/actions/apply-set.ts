import { specOf, type ServiceSpec } from '../../domain/deployment-set.ts';
import { renderSpec } from '../service-spec.ts';
import { applyService, type ApplyResult } from './apply-service.ts';
import { cancelRest, finish, markService, recordFailure, type RunContext } from './context.ts';
import { endCanceled } from './end-canceled.ts';
import { keepAsIs, unchanged } from './keep-unchanged.ts';
import { rollBackChanged, type Changed } from './on-failure-rollback.ts';
import { pinAfterRollback } from './pin-after-rollback.ts';
import { readSecrets } from './secret-values.ts';

/** What the deployment applies to a service: its planned spec, or (recorded by an older version) the configuration now. */
function plannedSpec(ctx: RunContext, name: string): ServiceSpec | null {
  const config = ctx.env.services.find((s) => s.name === name);
  if (!config) return null;
  const planned = specOf(ctx.d.deploymentSet ?? null, name);
  if (planned) return planned;
  const built = config.build !== null;
  return renderSpec(ctx.env, config, { version: built ? ctx.d.sha : config.image, image: built ? null : config.image });
}

/**
 * deploy, redeploy and rollback: applies the deployment set service by service, in order.
 * A failure stops the sequence; a cancel ends it with what runs where.
 */
export async function runApplySet(ctx: RunContext): Promise<void> {
  const changed: Changed[] = [];
  let kept = 0;
  const rows = ctx.d.services;
  for (const [index, row] of rows.entries()) {
    const later = rows.slice(index + 1).map((s) => s.name);
    if (ctx.signal.aborted) return endCanceled(ctx, { done: appliedBeforeCancel(changed), inFlight: null, rest: [row.name, ...later] });
    const planned = plannedSpec(ctx, row.name);
    if (planned === null) {
      await markService(ctx, row.name, { status: 'CANCELED', reason: 'no longer in the configuration' }, 'untouched');
      continue;
    }
    const read = await readSecrets(ctx, planned);
    if (!read.ok) {
      const result: Extract<ApplyResult, { ok: false }> = { ok: false, canceled: false, status: 'DEPLOYMENT_ERROR', reason: read.reason, logTail: [], phase: 'rollout' };
      return endFailed(ctx, changed, { name: row.name, result, later });
    }
    const spec = read.spec;
    if (ctx.d.action === 'redeploy' && (await unchanged(ctx, spec))) {
      await keepAsIs(ctx, spec);
      kept++;
      continue;
    }
    // The last service of a deploy or redeploy ends the run in the statement that says it is
    // DEPLOYED (a rollback pins its environment first).
    const last = later.length === 0 && ctx.d.action !== 'rollback';
    const result = await applyService(ctx, spec, read.secrets, last ? { status: 'DEPLOYED', reason: null } : undefined);
    if (result.ok) {
      changed.push({ name: row.name, spec: result.spec });
      if (last) return succeeded(ctx, changed.length, kept);
      continue;
    }
    if (result.canceled) {
      return endCanceled(ctx, { done: appliedBeforeCancel(changed), inFlight: { name: row.name, step: result.phase }, rest: later });
    }
    return endFailed(ctx, changed, { name: row.name, result, later });
  }
  if (ctx.d.action === 'rollback') await pinAfterRollback(ctx);
  await finish(ctx, 'DEPLOYED', changed.length === 0 && kept > 0 ? 'no changes' : null);
  succeeded(ctx, changed.length, kept);
}

function succeeded(ctx: RunContext, changed: number, kept: number): void {
  ctx.logger.info({ changed, kept }, 'deployment succeeded');
}

/** Summary lines for the services this run applied before it was canceled: they keep the new version. */
function appliedBeforeCancel(changed: readonly Changed[]) {
  return changed.map((c) => ({ name: c.name, version: c.spec.version, note: 'applied before the cancel; kept' }));
}

/** Ends a run whose service failed: later services are CANCELED and, with `onFailure: rollback`, the changed ones go back. */
async function endFailed(
  ctx: RunContext,
  changed: readonly Changed[],
  failed: { name: string; result: Extract<ApplyResult, { ok: false }>; later: string[] },
): Promise<void> {
  const { name, result } = failed;
  await recordFailure(ctx, name, result.status, result.reason, result.logTail);
  await cancelRest(ctx, failed.later, 'earlier step failed');
  let reason = `${name}: ${result.reason}`;
  if (ctx.env.onFailure === 'rollback' && changed.length > 0) {
    const rolledBack = await rollBackChanged(ctx, changed, name);
    if (rolledBack.length > 0) reason += `; rolled back ${rolledBack.join(', ')}`;
  }
  await finish(ctx, result.status, reason);
  ctx.logger.warn({ service: name, status: result.status, reason: result.reason }, 'deployment failed');
}
