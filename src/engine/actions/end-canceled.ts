import type { SummaryLine } from '../../domain/deployment.ts';
import { cancelReason, cancelRest, finish, markService, ranBefore, recordSummary, type RunContext } from './context.ts';

export interface CanceledRun {
  /** Services this run finished before the cancel, with what they run now. */
  done: SummaryLine[];
  /** The service being worked on when the cancel came, and in which step. */
  inFlight: { name: string; step: string } | null;
  /** Services not started yet. */
  rest: string[];
}

/**
 * Ends a run that was told to stop: the service in flight is back to what ran before (the
 * target reverted it), services not started are CANCELED, finished ones keep their new
 * state, and the thread gets which service runs what.
 */
export async function endCanceled(ctx: RunContext, run: CanceledRun): Promise<void> {
  if (run.inFlight) {
    const previous = ranBefore(ctx, run.inFlight.name) === null ? 'nothing changed' : 'the previous version keeps running';
    await markService(ctx, run.inFlight.name, { status: 'CANCELED', reason: `canceled during the ${run.inFlight.step}; ${previous}` }, 'restore');
  }
  await cancelRest(ctx, run.rest, 'canceled before it started');
  await recordSummary(ctx, `Canceled — what runs in ${ctx.d.env} now:`, summaryLines(ctx, run));
  await finish(ctx, 'CANCELED', await cancelReason(ctx));
  ctx.logger.info({ inFlight: run.inFlight?.name ?? null }, 'deployment canceled');
}

function summaryLines(ctx: RunContext, run: CanceledRun): SummaryLine[] {
  return ctx.d.services.map((s): SummaryLine => {
    const done = run.done.find((l) => l.name === s.name);
    if (done) return done;
    const version = ranBefore(ctx, s.name);
    if (run.inFlight?.name === s.name) {
      return { name: s.name, version, note: `canceled during the ${run.inFlight.step}; ${version === null ? 'it did not run before' : 'previous version kept'}` };
    }
    if (run.rest.includes(s.name)) return { name: s.name, version, note: 'not started; unchanged' };
    return { name: s.name, version, note: 'unchanged' };
  });
}
