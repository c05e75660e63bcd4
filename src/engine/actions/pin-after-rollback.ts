import { rollbackOf } from '../../store/deployment-sets.ts';
import { recordSummary, type RunContext } from './context.ts';

/**
 * After a successful rollback the environment is pinned (`rolled back by @x from #M`) so
 * automatic deploys don't bring the bad version back. The single place a rollback pins.
 */
export async function pinAfterRollback(ctx: RunContext): Promise<void> {
  const { from } = await rollbackOf(ctx.deps.db, ctx.d.id);
  const reason = `rolled back by @${ctx.d.requestedBy.name}${from === null ? '' : ` from #${from}`}`;
  const where = `${ctx.d.app} in ${ctx.d.env}`;
  if (!ctx.deps.pinEnvironment) {
    await recordSummary(ctx, `${where} should be pinned (${reason}), but this Hoist has no locks to pin it with.`, []);
    return;
  }
  try {
    await ctx.deps.pinEnvironment({ app: ctx.d.app, env: ctx.d.env, reason, origin: ctx.d.chat });
  } catch (error) {
    // The rollback itself succeeded: say that the pin did not happen rather than fail it.
    ctx.logger.error({ err: error }, 'could not pin the environment after a rollback');
    await recordSummary(ctx, `${where} could not be pinned (${reason}): ${error instanceof Error ? error.message : String(error)}; \`lock\` it by hand.`, []);
    return;
  }
  await recordSummary(ctx, `${where} is pinned: ${reason}. \`unlock ${ctx.d.app} in ${ctx.d.env}\` once the fix is out.`, []);
  ctx.logger.info({ reason }, 'environment pinned after rollback');
}
