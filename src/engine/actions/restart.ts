import { ranBefore, type RunContext } from './context.ts';
import { runServiceSteps } from './service-steps.ts';

/** restart: what runs restarts without a configuration change, and must answer its health check again. */
export function runRestart(ctx: RunContext): Promise<void> {
  return runServiceSteps(ctx, {
    statuses: { doing: 'RESTARTING', done: 'RESTARTED', error: 'RESTART_ERROR' },
    act: (request) => ctx.target.restart(request),
    after: (c, name) => ({ name, version: ranBefore(c, name), note: 'restarted' }),
  });
}
