import type { EnvironmentConfig, HoistConfig } from '../config/hoist-config.ts';
import type { SecretMasker } from '../domain/redact.ts';
import type { Target } from '../engine/ports.ts';
import { placementOf, renderSpec } from '../engine/service-spec.ts';
import type { AppLogLineView, AppLogQuery, AppLogsResult, UsageResult } from './contract.ts';
import { findEnvironment, list, refuse } from './lookup.ts';

/** At most this many lines of each replica to start with; the default when none is asked. */
export const MAX_APP_LOG_TAIL = 1000;
const DEFAULT_TAIL = 100;

export interface RunningAppDeps {
  config: HoistConfig;
  /** Where an environment runs (absent: this process reads no target, and says so). */
  targetFor?: (environment: EnvironmentConfig) => Target;
  /** What hides the secrets the environment knows (its services' `env` values, as configured and as deployed). */
  maskerFor(app: string, env: string): Promise<SecretMasker>;
}

/**
 * What the running app writes and uses, read from its target when asked: every replica's
 * output with its secrets masked, and each replica's CPU and memory now. Reads only; the
 * same for every edge.
 */
export function createRunningApp(deps: RunningAppDeps) {
  const { config } = deps;

  function find(appName: string, envName: string, serviceName: string) {
    const found = findEnvironment(config, appName, envName);
    if ('ok' in found) return found;
    const service = found.env.services.find((s) => s.name === serviceName);
    if (!service) {
      return refuse('UNKNOWN_SERVICE', `app ${appName} has no service "${serviceName}"; its services: ${list(found.env.services.map((s) => s.name))}`);
    }
    if (!deps.targetFor) return refuse('NOT_SUPPORTED', 'this Hoist process reads no target: ask one that runs the server role with the targets configured');
    const spec = renderSpec(found.env, service, { version: null, image: null });
    return { env: found.env, spec, target: deps.targetFor(found.env) };
  }

  async function serviceLogs(appName: string, envName: string, serviceName: string, query: AppLogQuery, signal: AbortSignal): Promise<AppLogsResult> {
    const tail = query.tail ?? DEFAULT_TAIL;
    if (!(Number.isInteger(tail) && tail >= 1 && tail <= MAX_APP_LOG_TAIL)) {
      return refuse('BAD_REQUEST', `tail: expected a whole number from 1 to ${MAX_APP_LOG_TAIL} (the last N lines of each replica; default ${DEFAULT_TAIL})`);
    }
    const found = find(appName, envName, serviceName);
    if ('ok' in found) return found;
    const masker = await deps.maskerFor(appName, envName);
    const lines = found.target.serviceLogs({ placement: placementOf(found.env), service: found.spec, tail, follow: query.follow === true, signal });
    return { ok: true, app: appName, env: envName, service: serviceName, lines: masked(lines, masker) };
  }

  async function serviceUsage(appName: string, envName: string, serviceName: string): Promise<UsageResult> {
    const found = find(appName, envName, serviceName);
    if ('ok' in found) return found;
    const reading = await found.target.usage(placementOf(found.env), found.spec);
    const base = { ok: true as const, app: appName, env: envName, service: serviceName, at: new Date() };
    return reading.ok ? { ...base, replicas: reading.replicas, window: reading.window, unavailable: null } : { ...base, replicas: [], window: null, unavailable: reading.reason };
  }

  return { serviceLogs, serviceUsage };
}

/** Each replica's lines masked on their own (a key block one replica prints is masked whole, whatever the others write between). */
async function* masked(lines: AsyncIterable<{ replica: string; at: Date | null; line: string }>, masker: SecretMasker): AsyncGenerator<AppLogLineView> {
  const perReplica = new Map<string, (line: string) => string>();
  for await (const l of lines) {
    let mask = perReplica.get(l.replica);
    if (!mask) {
      mask = masker.lineByLine();
      perReplica.set(l.replica, mask);
    }
    yield { replica: l.replica, at: l.at, line: mask(l.line) };
  }
}

export type RunningApp = ReturnType<typeof createRunningApp>;
