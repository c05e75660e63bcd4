import type { RunContext } from './context.ts';
import { runServiceSteps } from './service-steps.ts';

/** stop: the services' containers stop (volumes and configuration kept), in the reverse of the start order. */
export function runStop(ctx: RunContext): Promise<void> {
  return runServiceSteps(ctx, {
    statuses: { doing: 'STOPPING', done: 'STOPPED', error: 'STOP_ERROR' },
    act: (request) => ctx.target.stop(request),
    after: (_ctx, name) => ({ name, version: null, note: 'stopped' }),
  });
}
