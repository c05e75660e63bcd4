import type { SummaryLine } from '../../domain/deployment.ts';
import type { ServiceSpec } from '../../domain/deployment-set.ts';
import { setServiceStatus } from '../../store/deployments.ts';
import { lastAppliedSpec, type AppliedSpec } from '../../store/deployment-sets.ts';
import { recordSummary, restoreState, short, type RunContext } from './context.ts';
import { readSecrets } from './secret-values.ts';

/** A service this deployment changed: what it applied. */
export interface Changed {
  name: string;
  spec: ServiceSpec;
}

/**
 * `onFailure: rollback`: puts the services this deployment already changed back to what
 * they ran before it (latest first), and says in the thread which service runs what.
 */
export async function rollBackChanged(ctx: RunContext, changed: readonly Changed[], failed: string): Promise<string[]> {
  const lines: SummaryLine[] = [];
  const rolledBack: string[] = [];
  for (const c of [...changed].reverse()) {
    const previous = await lastAppliedSpec(ctx.deps.db, { app: ctx.d.app, env: ctx.env.name, service: c.name, beforeId: ctx.d.id });
    const line = await revert(ctx, c, previous, failed);
    if (line.version !== c.spec.version) rolledBack.push(c.name);
    lines.unshift(line);
  }
  await recordSummary(ctx, `onFailure: rollback — ${failed} failed, so the services this deployment changed went back:`, lines);
  return rolledBack;
}

async function revert(ctx: RunContext, c: Changed, previous: AppliedSpec | null, failed: string): Promise<SummaryLine> {
  const log = ctx.log.sink(c.name);
  const request = { deploymentId: ctx.d.id, placement: ctx.placement, signal: ctx.signal, log };
  if (previous === null) {
    // It never ran before this deployment: going back means it no longer runs.
    const removed = await ctx.target.remove({ ...request, service: c.spec });
    if (!removed.ok) return { name: c.name, version: c.spec.version, note: `could not be removed: ${removed.reason}` };
    await restoreState(ctx, c.name, { version: null, image: null });
    await note(ctx, c.name, `removed again after ${failed} failed: it did not run before`, null);
    return { name: c.name, version: null, note: 'removed: it did not run before this deployment' };
  }
  const spec = previous.spec;
  if (spec === null || spec.image === null) {
    return { name: c.name, version: c.spec.version, note: `kept: #${previous.deploymentId} recorded no configuration to go back to` };
  }
  log(`${c.name}: rolling back to ${short(spec.version)} (#${previous.deploymentId}) because ${failed} failed`);
  const read = await readSecrets(ctx, spec);
  if (!read.ok) return { name: c.name, version: c.spec.version, note: `rollback failed: ${read.reason}` };
  // Named after the deployment whose configuration it runs again.
  const rolled = await ctx.target.rollout({
    ...request, service: read.spec, deploymentId: previous.deploymentId, image: spec.image, version: spec.version ?? spec.image, ...(read.secrets ? { secrets: read.secrets } : {}),
  });
  if (!rolled.ok) return { name: c.name, version: c.spec.version, note: `rollback failed: ${ctx.log.mask(rolled.reason)}` };
  if (ctx.before.get(c.name)?.status === 'STOPPED') await ctx.target.stop({ ...request, service: spec });
  await restoreState(ctx, c.name, { version: spec.version, image: spec.image });
  await note(ctx, c.name, `rolled back to ${short(spec.version)} after ${failed} failed`, spec.version);
  return { name: c.name, version: spec.version, note: `rolled back from ${short(c.spec.version)}` };
}

/**
 * This deployment's change to the service was undone: CANCELED, with the reason saying
 * what runs instead (and it no longer counts as what this deployment applied).
 */
async function note(ctx: RunContext, name: string, reason: string, runs: string | null): Promise<void> {
  // What the environment shows once restored (`restoreState`): its status before this run, and what runs again.
  const environment = { status: ctx.before.get(name)?.status ?? 'NEVER_DEPLOYED', version: runs };
  await setServiceStatus(ctx.deps.db, ctx.d.id, name, { status: 'CANCELED', reason, environment });
  ctx.deps.notify();
}
