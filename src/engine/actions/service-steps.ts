import type { SummaryLine } from '../../domain/deployment.ts';
import type { ServiceStatus } from '../../domain/status.ts';
import type { Outcome, ServiceRequest } from '../ports.ts';
import { renderSpec } from '../service-spec.ts';
import { cancelRest, finish, markService, recordFailure, type RunContext } from './context.ts';
import { endCanceled } from './end-canceled.ts';

/** An action that does one thing to each service that already runs (stop, restart). */
export interface ServiceStep {
  statuses: { doing: ServiceStatus; done: ServiceStatus; error: ServiceStatus };
  act(request: ServiceRequest): Promise<Outcome<object>>;
  /** What the service runs once the step is done. */
  after(ctx: RunContext, name: string): SummaryLine;
}

/** Runs the step on each service in order; an error stops the sequence, a cancel ends it with what runs where. */
export async function runServiceSteps(ctx: RunContext, step: ServiceStep): Promise<void> {
  const { doing, done, error } = step.statuses;
  const finished: SummaryLine[] = [];
  const rows = ctx.d.services;
  for (const [index, row] of rows.entries()) {
    const later = rows.slice(index + 1).map((s) => s.name);
    if (ctx.signal.aborted) return endCanceled(ctx, { done: finished, inFlight: null, rest: [row.name, ...later] });
    const config = ctx.env.services.find((s) => s.name === row.name);
    if (!config) {
      await markService(ctx, row.name, { status: 'CANCELED', reason: 'no longer in the configuration' }, 'untouched');
      continue;
    }
    await markService(ctx, row.name, { status: doing }, 'same', { status: doing });
    // A stop or restart changes no configuration: the service as configured, with what it runs.
    const state = ctx.before.get(row.name);
    const service = renderSpec(ctx.env, config, { version: state?.version ?? null, image: state?.image ?? null });
    const outcome = await step.act({ deploymentId: ctx.d.id, placement: ctx.placement, service, signal: ctx.signal, log: ctx.log.sink(row.name) });
    if (!outcome.ok && ctx.signal.aborted) return endCanceled(ctx, { done: finished, inFlight: { name: row.name, step: doing.toLowerCase() }, rest: later });
    if (!outcome.ok) {
      await recordFailure(ctx, row.name, error, outcome.reason, outcome.logTail);
      await cancelRest(ctx, later, 'earlier step failed');
      return finish(ctx, error, `${row.name}: ${outcome.reason}`);
    }
    await markService(ctx, row.name, { status: done });
    finished.push(step.after(ctx, row.name));
  }
  await finish(ctx, done, null);
}
