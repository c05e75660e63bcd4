import type { RunContext } from './context.ts';
import { runServiceSteps } from './service-steps.ts';

/**
 * destroy: the service is removed from the target with its data (containers and data volume,
 * or workload, Service and volume claims); afterwards nothing of it runs, and a deploy starts it afresh.
 */
export function runDestroy(ctx: RunContext): Promise<void> {
  return runServiceSteps(ctx, {
    statuses: { doing: 'DESTROYING', done: 'DESTROYED', error: 'DESTROY_ERROR' },
    act: async (request) => {
      const outcome = await ctx.target.destroy(request);
      if (outcome.ok) request.log(`${request.service.name}: destroyed (${outcome.removed.length > 0 ? `removed ${outcome.removed.join(', ')}` : 'nothing was left to remove'})`);
      return outcome;
    },
    after: (_ctx, name) => ({ name, version: null, note: 'destroyed with its data' }),
  });
}
