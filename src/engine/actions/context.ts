import type { Logger } from 'pino';
import type { AppConfig, EnvironmentConfig, HoistConfig } from '../../config/hoist-config.ts';
import type { ChatOrigin, Deployment, SummaryLine } from '../../domain/deployment.ts';
import type { DeploymentStatus, ServiceStatus } from '../../domain/status.ts';
import type { Db } from '../../store/database.ts';
import { getDeployment, recordEvent, setDeploymentStatus, setServiceStatus, type DeploymentStep, type ServiceChange } from '../../store/deployments.ts';
import { putServiceState, type ServiceStateRow } from '../../store/service-state.ts';
import type { createDeploymentLog } from '../deployment-log.ts';
import type { Builder, Placement, Source, Target } from '../ports.ts';

export interface PinRequest {
  app: string;
  env: string;
  reason: string;
  origin: ChatOrigin;
}

export interface RunnerDeps {
  db: Db;
  config: HoistConfig;
  source: Source;
  builder: Builder;
  /** HOIST_SECRETS_DIR: where a docker target's secret values are read at rollout; absent or null: not set. */
  secretsDir?: string | null;
  targetFor(env: EnvironmentConfig): Target;
  /** Called after each recorded event so subscribers hear of it at once. */
  notify(): void;
  logger: Logger;
  /** Pins the environment after a successful rollback; absent: the pin is only announced in the thread. */
  pinEnvironment?(request: PinRequest): Promise<void>;
}

/** Everything one run of one deployment works with. */
export interface RunContext {
  deps: RunnerDeps;
  d: Deployment;
  app: AppConfig;
  env: EnvironmentConfig;
  /** What the target needs of the environment, beside each service's spec. */
  placement: Placement;
  target: Target;
  log: ReturnType<typeof createDeploymentLog>;
  logger: Logger;
  signal: AbortSignal;
  /** Each service's state in the environment when the run began. */
  before: Map<string, ServiceStateRow>;
}

/**
 * How the environment's view of a service follows a status recorded for this deployment:
 * `same` takes the status (and, once DEPLOYED, the version and image); `untouched` leaves it;
 * `restore` puts back the status it had before this run (what runs did not change).
 */
export type StateFollows = 'same' | 'untouched' | 'restore';

/**
 * Records a service's status in its deployment, and what the environment shows for it as
 * `follows` says; `deployment`: what the same step changes on the deployment itself (its own
 * status as the step begins, the spec it applied). One statement, whatever it records.
 */
export async function markService(ctx: RunContext, name: string, change: ServiceChange, follows: StateFollows = 'same', deployment?: DeploymentStep): Promise<void> {
  const { db } = ctx.deps;
  const step = deployment === undefined ? {} : { deployment };
  if (follows === 'untouched') {
    await setServiceStatus(db, ctx.d.id, name, change, step);
  } else {
    const status: ServiceStatus = follows === 'restore' ? (ctx.before.get(name)?.status ?? 'NEVER_DEPLOYED') : change.status;
    // Once DEPLOYED it runs what the change says; once DESTROYED nothing of it is left.
    const runs =
      follows === 'same' && change.status === 'DEPLOYED'
        ? { version: change.version ?? null, image: change.image ?? null, url: change.url ?? null }
        : follows === 'same' && change.status === 'DESTROYED'
          ? { version: null, image: null, url: null }
          : {};
    // The state and the event saying what the environment shows now, in one statement: a live
    // view follows the event without reading the state back, and a view read in between has both or neither.
    await setServiceStatus(
      db,
      ctx.d.id,
      name,
      { ...change, environment: 'version' in runs ? { status, version: runs.version, url: runs.url } : { status } },
      { ...step, state: { key: { app: ctx.d.app, env: ctx.env.name, service: name }, state: { status, deploymentId: ctx.d.id, ...runs } } },
    );
  }
  ctx.deps.notify();
}

/** Puts the environment's view of a service back to what it ran before (after a rollback on failure). */
export async function restoreState(ctx: RunContext, name: string, runs: { version: string | null; image: string | null; url: string | null }): Promise<void> {
  const status = ctx.before.get(name)?.status ?? 'NEVER_DEPLOYED';
  await putServiceState(ctx.deps.db, { app: ctx.d.app, env: ctx.env.name, service: name }, { status, deploymentId: ctx.d.id, ...runs });
  ctx.deps.notify();
}

export async function finish(ctx: RunContext, status: DeploymentStatus, reason: string | null): Promise<void> {
  await ctx.log.flush();
  await setDeploymentStatus(ctx.deps.db, ctx.d.id, { status, reason, finished: true, announce: true });
  ctx.deps.notify();
}

/** Services that will not run in this deployment; what the environment runs for them does not change. */
export async function cancelRest(ctx: RunContext, names: readonly string[], reason: string): Promise<void> {
  for (const name of names) await markService(ctx, name, { status: 'CANCELED', reason }, 'untouched');
}

export async function recordFailure(ctx: RunContext, name: string, status: ServiceStatus, failure: string, tail: string[]): Promise<void> {
  // A container's output can hold a secret value read for it; only its hash is ever kept.
  const reason = ctx.log.mask(failure);
  const logTail = tail.map((line) => ctx.log.mask(line));
  await ctx.log.flush();
  await markService(ctx, name, { status, reason });
  await recordEvent(ctx.deps.db, { kind: 'failure', deploymentId: ctx.d.id, service: name, status, reason, logTail });
  ctx.deps.notify();
}

export async function recordSummary(ctx: RunContext, headline: string, services: SummaryLine[]): Promise<void> {
  await recordEvent(ctx.deps.db, { kind: 'summary', deploymentId: ctx.d.id, headline, services });
  ctx.deps.notify();
}

/** What ran before this run for a service: its version, unless it was stopped or never ran. */
export function ranBefore(ctx: RunContext, name: string): string | null {
  const state = ctx.before.get(name);
  if (!state || state.status === 'STOPPED' || state.status === 'NEVER_DEPLOYED' || state.status === 'DESTROYED') return null;
  return state.version;
}

/** Why the run was told to stop: what the cancel request recorded (`canceled by @x`), else what the signal says. */
export async function cancelReason(ctx: RunContext): Promise<string> {
  const now = await getDeployment(ctx.deps.db, ctx.d.id);
  if (now?.reason) return now.reason;
  return signalReason(ctx.signal);
}

function signalReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (typeof reason === 'string' && reason.trim() !== '') return reason;
  if (reason instanceof Error && reason.name !== 'AbortError' && reason.message.trim() !== '') return reason.message;
  return 'canceled';
}

/** A commit SHA as 7 characters, anything else as it is: for reasons people read. */
export function short(version: string | null): string {
  if (version === null) return 'nothing';
  return /^[0-9a-f]{40}$/.test(version) ? version.slice(0, 7) : version;
}
