import type { ActionVerb } from './command.ts';
import { isError, isInProgress, type ServiceStatus } from './status.ts';

/**
 * Which action is allowed on which service, and what would work instead (SPEC §3).
 * Checked when an action is requested and again when it starts; between the two a
 * service may have changed (another action ran first), so a request made while a
 * service is still in progress is taken and decided when it starts.
 */

/** A service as it is now in its environment. */
export interface ServiceNow {
  name: string;
  status: ServiceStatus;
  /** What it runs, or ran before it was stopped; null when it never ran. */
  version: string | null;
}

export interface RuleInput {
  verb: ActionVerb;
  app: string;
  env: string;
  /** The services the user named; null for the whole environment. */
  chosen: string[] | null;
  /** The services in scope (every service of the environment when `chosen` is null), in order. */
  services: readonly ServiceNow[];
  /** `request`: when it is asked for; `start`: when the runner begins it. */
  moment: 'request' | 'start';
}

export interface Skipped {
  name: string;
  reason: string;
}

export type RuleResult = { ok: true; services: string[]; skipped: Skipped[] } | { ok: false; reason: string };

export type ServiceRule = { ok: true } | { ok: false; reason: string };

const allowed: ServiceRule = { ok: true };
const no = (reason: string): ServiceRule => ({ ok: false, reason });

/** What status the rules judge: a status still in progress when an action starts was left by a run that never finished. */
function judged(status: ServiceStatus, moment: RuleInput['moment']): ServiceStatus | 'PENDING' {
  if (!isInProgress(status)) return status;
  return moment === 'request' ? 'PENDING' : 'DEPLOYMENT_ERROR';
}

const isRunning = (status: ServiceStatus | 'PENDING') => status === 'DEPLOYED' || status === 'RESTARTED';

/** Whether `verb` may act on one service now; the reason says what would work instead. */
export function serviceRule(verb: ActionVerb, s: ServiceNow, where: { env: string }, moment: RuleInput['moment']): ServiceRule {
  const status = judged(s.status, moment);
  const who = `${s.name} in ${where.env}`;
  const never = s.version === null || status === 'NEVER_DEPLOYED';
  if (status === 'PENDING') return allowed;
  // A destroyed service is gone with its data: only a deploy brings it back, afresh.
  const destroyed = status === 'DESTROYED';
  if (destroyed && verb !== 'deploy') {
    return no(`${who} was destroyed${verb === 'destroy' ? ' already' : ''}; \`deploy\` it to start it afresh`);
  }
  switch (verb) {
    case 'deploy':
      return allowed;
    case 'redeploy':
      return never ? no(`${who} was never deployed; \`deploy\` it first`) : allowed;
    case 'rollback':
      return never ? no(`${who} was never deployed, so there is nothing to roll back; \`deploy\` it first`) : allowed;
    case 'destroy':
      // Stopped or failed, its containers and data are still there to remove.
      return never ? no(`${who} was never deployed, so there is nothing to destroy`) : allowed;
    case 'stop':
      if (never) return no(`${who} was never deployed, so there is nothing to stop`);
      if (status === 'STOPPED') return no(`${who} is already STOPPED; \`deploy\` or \`redeploy\` starts it again`);
      if (isRunning(status) || isError(status)) return allowed;
      return no(`${who} is ${status}; only a DEPLOYED service or one in error can be stopped — \`deploy\` it first`);
    case 'restart':
      if (never) return no(`${who} was never deployed; \`deploy\` it first`);
      if (isRunning(status)) return allowed;
      if (isError(status)) return no(`${who} is ${status}; \`redeploy\` or \`deploy\` it instead`);
      return no(`${who} is ${status}; \`deploy\` it first`);
  }
}

/**
 * What the scope alone decides, before any status is looked at: `restart` takes single
 * services, never a whole environment; `destroy` takes exactly one service. Null when the scope is fine.
 */
export function scopeRule(verb: ActionVerb, scope: { app: string; env: string; chosen: string[] | null; services: readonly string[] }): string | null {
  const example = scope.services[0] ?? 'api';
  const names = scope.services.join(', ');
  if (verb === 'destroy') {
    if (scope.chosen !== null && scope.chosen.length === 1) return null;
    const one = scope.chosen?.[0] ?? example;
    return `\`destroy\` removes one service and its data at a time; name one: \`destroy ${scope.app}/${one} in ${scope.env} --confirm ${scope.app}/${one}\`${names ? ` (services: ${names})` : ''}`;
  }
  if (verb !== 'restart' || scope.chosen !== null) return null;
  return `\`restart\` works on single services, not a whole environment; name one: \`restart ${scope.app}/${example} in ${scope.env}\`${names ? ` (services: ${names})` : ''}`;
}

/**
 * Decides an action on its scope. Named services must all allow it; for a whole
 * environment the services it does not apply to are skipped (with their reason), and
 * the action is refused only when it applies to none.
 */
export function checkAction(input: RuleInput): RuleResult {
  const scope = scopeRule(input.verb, { ...input, services: input.services.map((s) => s.name) });
  if (scope !== null) return { ok: false, reason: scope };
  const services: string[] = [];
  const skipped: Skipped[] = [];
  for (const s of input.services) {
    const rule = serviceRule(input.verb, s, input, input.moment);
    if (rule.ok) services.push(s.name);
    else skipped.push({ name: s.name, reason: rule.reason });
  }
  if (input.chosen !== null && skipped.length > 0) return { ok: false, reason: skipped.map((s) => s.reason).join('; ') };
  if (services.length === 0) {
    if (skipped.length === 1) return { ok: false, reason: skipped[0]!.reason };
    if (skipped.length === 0) return { ok: false, reason: `${input.app} has no services in ${input.env}` };
    return { ok: false, reason: `nothing to ${input.verb} in ${input.app} in ${input.env}: ${skipped.map((s) => s.reason).join('; ')}` };
  }
  return { ok: true, services, skipped };
}
