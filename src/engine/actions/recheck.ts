import type { DeploymentService } from '../../domain/deployment.ts';
import { serviceRule } from '../../domain/rules.ts';
import { finish, markService, type RunContext } from './context.ts';

/**
 * The rules again, now that the action starts: what ran in between may have changed a
 * service (a stop of a stopped one, a restart of one that failed since). Services the action
 * no longer applies to end CANCELED with the reason; the rest run. Null: nothing is left.
 */
export async function recheck(ctx: RunContext): Promise<DeploymentService[] | null> {
  const verb = ctx.d.action;
  if (verb === 'deploy') return ctx.d.services;
  const remaining: DeploymentService[] = [];
  const reasons: string[] = [];
  for (const row of ctx.d.services) {
    const state = ctx.before.get(row.name);
    const now = { name: row.name, status: state?.status ?? 'NEVER_DEPLOYED', version: state?.version ?? null } as const;
    const rule = serviceRule(verb, now, { env: ctx.env.name }, 'start');
    if (rule.ok) {
      remaining.push(row);
      continue;
    }
    reasons.push(rule.reason);
    await markService(ctx, row.name, { status: 'CANCELED', reason: `no longer applies: ${rule.reason}` }, 'untouched');
  }
  if (remaining.length > 0) return remaining;
  await finish(ctx, 'CANCELED', `no longer applies: ${reasons.join('; ')}`);
  return null;
}
