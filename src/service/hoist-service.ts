import type { EnvironmentConfig } from '../config/hoist-config.ts';
import type { ChatOrigin, Deployment } from '../domain/deployment.ts';
import type { Trigger } from '../domain/command.ts';
import type { DeploymentStatus } from '../domain/status.ts';
import { approvalDeadlines, needsApproval } from '../domain/approval.ts';
import { scopeRule } from '../domain/rules.ts';
import type { CommitChecks, ImageRegistry, Source, Target } from '../engine/ports.ts';
import { createCommitChecks } from '../engine/source/github/commit-checks.ts';
import { batchedDeploymentReads } from '../store/deployment-batch.ts';
import { getDeployment, insertDeployment, insertDeploymentUnlessLocked, type NewDeployment } from '../store/deployments.ts';
import { environmentNow } from '../store/environment-now.ts';
import { checkConfirm, checkDeployRef, planAction, withPreviousVersions } from './action-plans.ts';
import { checkBypass, checkBypassRequest } from './approval-bypass.ts';
import { checkForce, checkForceRequest, gateOnChecks, type Gate } from './check-gate.ts';
import { createApprovals } from './approvals.ts';
import type { ActionCommand, CancelTarget, HoistService, Refusal, RequestOptions, RequestResult } from './contract.ts';
import { createHistory } from './history.ts';
import { createLocks } from './locks.ts';
import { createLogs } from './logs.ts';
import { createSecretMasks } from './secret-masks.ts';
import { createPermissions } from './permissions.ts';
import { createEnvironmentQueue, type EnvironmentQueueDeps } from './environment-queue.ts';
import { handOver, recordedThenUnreachable, unlessDatabaseDown } from './outage.ts';
import { isDatabaseUnreachable } from '../store/database-errors.ts';
import { checkChannel, findEnvironment, list, messagesTo, refuse } from './lookup.ts';
import { createRequestLedger, type LedgerOptions } from './request-ledger.ts';
import { createRunningApp } from './running-app.ts';
import { waitingKeyOf } from '../store/waiting-key.ts';
import type { EnvironmentView } from './views.ts';
import { createEnvironmentBoard, type ChangeFeed } from './environment-board.ts';

export interface ServiceDeps extends EnvironmentQueueDeps {
  source: Source;
  /** Where tags of image services are looked up: when a deploy names one, and for a deploy that waits for approval. */
  registry: ImageRegistry;
  /** Where a commit's CI checks are read, for environments with `checks:` (absent: they cannot be read, and such deploys wait until they time out). */
  checks?: CommitChecks;
  /** How a replayed request waits for the first to be answered. */
  ledger?: LedgerOptions;
  /**
   * Changes made by this process's other parts (`local`: its workers) and announced by other
   * processes (`remote`), which the environments' views kept in memory follow. Without it, they
   * follow this service's own writes and are refreshed when a second old.
   */
  changes?: ChangeFeed;
  /** A background refresh of the environments' views failed (the next read tries again). */
  onBoardError?: (error: unknown) => void;
  /** How old the environments' views kept in memory may be (default 1 s; see environment-board.ts). */
  boardMaxAgeMs?: number;
  /** Where environments run, read for the running app's logs and usage (absent: those are refused as not supported here). */
  targetFor?: (environment: EnvironmentConfig) => Target;
}

export function createHoistService(serviceDeps: ServiceDeps): HoistService {
  const { db, config } = serviceDeps;
  const board = createEnvironmentBoard({
    db,
    config,
    ...(serviceDeps.now ? { now: serviceDeps.now } : {}),
    ...(serviceDeps.onBoardError ? { onError: serviceDeps.onBoardError } : {}),
    ...(serviceDeps.boardMaxAgeMs === undefined ? {} : { maxAgeMs: serviceDeps.boardMaxAgeMs }),
  });
  serviceDeps.changes?.subscribe((origin) => (origin === 'local' ? board.invalidate() : board.changed()));
  // Every write of the service tells the board first: the caller's next read includes it.
  const deps: ServiceDeps = {
    ...serviceDeps,
    notify: () => {
      board.invalidate();
      serviceDeps.notify();
    },
  };
  const locks = createLocks(deps);
  const queues = createEnvironmentQueue(deps);
  const masks = createSecretMasks(deps);
  const readDeployment = batchedDeploymentReads(db);
  const history = createHistory({ ...deps, masks });
  const logs = createLogs({ ...deps, masks });
  const runningApp = createRunningApp({
    config,
    ...(deps.targetFor ? { targetFor: deps.targetFor } : {}),
    // The secrets of what runs there (each service's last deployment) and of its configuration.
    maskerFor: async (app, env) => {
      const view = await board.view(app, env);
      const ids = [...new Set((view?.services ?? []).flatMap((s) => (s.deploymentId === null ? [] : [s.deploymentId])))];
      return ids.length === 0 ? masks.forConfiguration() : masks.forDeployments(ids.map((id) => ({ id, app, env })));
    },
  });
  const permissions = createPermissions(deps.groupsOf);
  const approvals = createApprovals(deps);
  const now = deps.now ?? (() => new Date());
  // Without a reader, checks cannot be read: deploys that need them wait (fail closed).
  const checks = deps.checks ?? createCommitChecks(null);

  function validate(command: ActionCommand, origin: ChatOrigin): { ok: true } | Refusal {
    const found = findEnvironment(config, command.scope.app, command.env);
    if (!('app' in found)) return found;
    const { app, env } = found;
    const channel = checkChannel(app, origin);
    if (channel) return channel;
    if (command.scope.services) {
      const known = new Set(env.services.map((s) => s.name));
      const unknown = command.scope.services.filter((s) => !known.has(s));
      if (unknown.length > 0) {
        return refuse('UNKNOWN_SERVICE', `app ${app.name} has no service ${unknown.map((s) => `"${s}"`).join(', ')}; its services: ${list(known)}`);
      }
    }
    const scope = scopeRule(command.verb, { app: app.name, env: env.name, chosen: command.scope.services, services: env.services.map((s) => s.name) });
    if (scope !== null) return refuse('NOT_ALLOWED', scope);
    const confirmed = command.verb === 'destroy' ? checkConfirm(env, command) : null;
    if (confirmed) return confirmed;
    const ref = command.verb === 'deploy' ? checkDeployRef(env, command) : null;
    if (ref) return ref;
    const bypass = command.verb === 'deploy' && command.bypassApproval !== undefined ? checkBypassRequest(env, command.verb, command.bypassApproval) : null;
    const force = command.verb === 'deploy' && command.force !== undefined ? checkForceRequest(env, command.verb, command.force) : null;
    return bypass ?? force ?? { ok: true };
  }

  function validateCancel(target: CancelTarget, origin: ChatOrigin): { ok: true } | Refusal {
    // A deployment number is looked up when the cancel is carried out.
    if (target.kind === 'deployment') return { ok: true };
    const found = findEnvironment(config, target.app, target.env);
    if (!('app' in found)) return found;
    return checkChannel(found.app, origin) ?? { ok: true };
  }

  /** Checks, plans and records the deployment (QUEUED): everything of a request that needs the database before it exists. */
  async function record(command: ActionCommand, options: RequestOptions) {
    const valid = validate(command, options.origin);
    if (!valid.ok) return valid;
    const found = findEnvironment(config, command.scope.app, command.env);
    if (!('app' in found)) return found;
    const { app, env } = found;
    const force = command.verb === 'deploy' ? (command.force?.trim() ?? null) : null;
    if (force !== null) {
      const refused = await checkForce(permissions, env, options.requester.id);
      if (refused) return refused;
    }
    // Automatic deploys act for the configuration itself; everyone else must be one of the deployers.
    if (options.trigger !== 'webhook' && !(await permissions.mayDeploy(env, options.requester.id))) {
      return refuse('FORBIDDEN', `only ${env.name}'s deployers may ${command.verb} ${app.name} in ${env.name}: ${permissions.deployersText(env)}`);
    }
    const ref = command.verb === 'deploy' ? command.ref : null;
    const bypass = command.verb === 'deploy' ? (command.bypassApproval?.trim() ?? null) : null;
    if (bypass !== null) {
      const refused = await checkBypass(permissions, env, command.verb, options.requester.id);
      if (refused) return refused;
    }
    // Its lock and what runs there, in one read. A deploy reads neither first: its insert reads the
    // services' versions, and is refused while a lock is in force; then the request reads them as
    // any other does. A refusal before the insert is one only when no lock refuses it first. Where
    // the environments' views last showed a lock, a deploy reads first too: it is likely refused,
    // and that is answered before its ref is looked up.
    const readsFirst = command.verb !== 'deploy' || board.lockedAsLastSeen(app.name, env.name) === true;
    /** The environment now, and the refusal its lock gives this request (null: none). */
    const readEnvironment = async () => {
      const { lock, states } = await environmentNow(db, app.name, env.name);
      const locked = await locks.check({ app: app.name, env: env.name, action: command.verb, ref, requester: options.requester, trigger: options.trigger, lock });
      return { locked, states };
    };
    const afterLock = async (refusal: Refusal): Promise<Refusal> => (readsFirst ? refusal : ((await readEnvironment()).locked ?? refusal));
    const environment = readsFirst ? await readEnvironment() : null;
    if (environment?.locked) return environment.locked;
    const awaitsApproval = needsApproval(env.approval, command.verb) && bypass === null;
    const plan = await planAction({ db, source: deps.source, registry: deps.registry }, app, env, command, { awaitsApproval, states: environment?.states ?? [] });
    if (!plan.ok) return afterLock(plan);
    // Only a deploy brings a new commit: a rollback or redeploy goes back to what ran before.
    const gate: Gate | Refusal =
      command.verb === 'deploy'
        ? await gateOnChecks(checks, { app, env, sha: plan.deployment.sha, requester: options.requester, force, bypassedApproval: bypass !== null, now: now() })
        : { kind: 'go', checks: null };
    if ('ok' in gate) return afterLock(gate);
    const approval = awaitsApproval && gate.kind === 'go' ? env.approval : null;
    const waitingKey = waitingKeyOf(plan.deployment, command.scope.services);
    const deadlines = approval === null ? null : approvalDeadlines(approval, now());
    const input: NewDeployment = {
      ...plan.deployment,
      app: app.name,
      env: env.name,
      scope: command.scope.services,
      requestedBy: options.requester,
      trigger: options.trigger,
      push: options.push ?? null,
      chat: messagesTo(app, options.origin),
      requestKey: options.requestKey ?? null,
      // Going ahead without approval, or past CI checks, is a decision of its own: it joins no identical deployment waiting.
      waitingKey: bypass === null && gate.checks?.forced == null ? waitingKey : null,
      ...(deadlines === null ? {} : { awaitsApprovalUntil: deadlines.expiresAt, approvalRemindAt: deadlines.remindAt }),
      ...(bypass === null ? {} : { bypassedApproval: { reason: bypass, setKey: waitingKey } }),
      checks: gate.checks,
      ...(gate.kind === 'wait' ? { awaitsChecks: { until: gate.until, nextAt: gate.nextAt, waitingFor: gate.waitingFor } } : {}),
    };
    let inserted = readsFirst ? null : await insertDeploymentUnlessLocked(db, input);
    if (inserted === null && !readsFirst) {
      // A lock in force (or a request that records more): as any request, with what it reads.
      const current = await readEnvironment();
      if (current.locked) return current.locked;
      input.services = withPreviousVersions(input.services, new Map(current.states.map((s) => [s.service, s])));
    }
    inserted ??= await insertDeployment(db, input);
    const { id, duplicate, coalesced, status, recorded } = inserted;
    return { ok: true as const, id, duplicate, coalesced, status, trigger: options.trigger, env, ...(recorded === undefined ? {} : { recorded }) };
  }

  /** Once recorded, the request stands whatever fails next: the answer says what happened to it. */
  async function afterRecording(
    recorded: {
      id: number;
      duplicate: boolean;
      coalesced: boolean;
      status: DeploymentStatus | null;
      trigger: Trigger;
      env: EnvironmentConfig;
      /** Recorded in one statement: the deployment as recorded, and its environment's queue then. */
      recorded?: { deployment: Deployment; queue: number[] };
    },
    command: ActionCommand,
  ): Promise<RequestResult> {
    const { id, duplicate, coalesced, env } = recorded;
    try {
      // One recorded in one statement is answered as recorded (its events tell what happens to it
      // next). Otherwise a new deployment in the queue is read once, after its hand-over; one that
      // waits, or one recorded before, is read first (what it waits for decides what comes next).
      const queued = recorded.status === 'QUEUED';
      const recordedNow = recorded.recorded?.deployment ?? (queued ? null : await getDeployment(db, id));
      if (!queued && !recordedNow) throw new Error(`deployment #${id} vanished right after it was recorded`);
      const status = recordedNow?.status ?? 'QUEUED';
      if (!duplicate && !coalesced) deps.notify();
      const awaitingApproval = status === 'AWAITING_APPROVAL';
      const awaiting = awaitingApproval || status === 'AWAITING_CHECKS';
      const replaced = duplicate || coalesced ? [] : await queues.supersede(env, { id, action: command.verb, scope: command.scope.services, awaitingApproval: awaiting, trigger: recordedNow?.trigger ?? recorded.trigger });
      // Waiting for its commit's checks, it is in no queue and asks for no approval yet.
      if (recordedNow !== null && status === 'AWAITING_CHECKS') return { ok: true, deployment: recordedNow, duplicate, coalesced };
      // Waiting for approval, it is not in the queue: nothing to hand over until it is approved.
      if (recordedNow !== null && awaitingApproval) {
        return { ok: true, deployment: recordedNow, duplicate, coalesced, awaitingApproval: await approvals.view(recordedNow, env.approval) };
      }
      // The queue as recorded with it, unless this request replaced some of it (read again then).
      const queue = replaced.length === 0 ? recorded.recorded?.queue : undefined;
      const handedOver = await handOver((app, name) => deps.kick(app, name, queue), env.app, env.name);
      const deployment = recorded.recorded?.deployment ?? (await getDeployment(db, id));
      if (!deployment) throw new Error(`deployment #${id} vanished right after it was recorded`);
      return { ok: true, deployment, duplicate, coalesced, waitsForQueue: !handedOver };
    } catch (error) {
      if (isDatabaseUnreachable(error)) return recordedThenUnreachable(id);
      throw error;
    }
  }

  return {
    ...createRequestLedger(db, deps.ledger),
    validate,
    validateCancel,

    async request(command, options) {
      const recorded = await unlessDatabaseDown('request', 'nothing will run', () => record(command, options));
      if (!recorded.ok) return recorded;
      return masks.inResult(await afterRecording(recorded, command));
    },

    async getDeployment(id) {
      const deployment = await readDeployment(id);
      return deployment === null ? null : masks.deployment(deployment);
    },
    secretMasker: async (id) => {
      const deployment = await readDeployment(id);
      return deployment === null ? masks.forConfiguration() : masks.forDeployment(deployment);
    },

    lockEnvironment: (input, actor) => unlessDatabaseDown('lock', 'nothing was locked', () => locks.lockEnvironment(input, actor)),
    unlockEnvironment: (input, actor) => unlessDatabaseDown('unlock', 'the lock stays', () => locks.unlockEnvironment(input, actor)),
    environmentLock: locks.environmentLock,
    cancel: async (target, actor) => masks.inResult(await unlessDatabaseDown('cancel', 'nothing was canceled', () => queues.cancel(target, actor))),
    ...history,
    ...logs,
    ...runningApp,
    approve: async (id, actor) => masks.inResult(await approvals.approve(id, actor)),
    reject: async (id, actor, reason) => masks.inResult(await approvals.reject(id, actor, reason)),
    approvals: approvals.approvals,

    async environments(appName, envName) {
      const apps = appName ? [config.apps.get(appName)] : [...config.apps.values()];
      if (appName && !apps[0]) return refuse('UNKNOWN_APP', `there is no app "${appName}"; known apps: ${list(config.apps.keys())}`);
      const views: EnvironmentView[] = [];
      for (const app of apps) {
        if (!app) continue;
        const envs = envName ? [app.environments.get(envName)] : [...app.environments.values()];
        if (envName && !envs[0]) {
          return refuse('UNKNOWN_ENVIRONMENT', `app ${app.name} has no environment "${envName}"; its environments: ${list(app.environments.keys())}`);
        }
        for (const env of envs) {
          const view = env ? await board.view(app.name, env.name) : null;
          if (view) views.push(view);
        }
      }
      return views;
    },

    catalog() {
      return {
        apps: [...config.apps.values()].map((a) => ({
          name: a.name,
          services: a.services.map((s) => s.name),
          environments: [...a.environments.keys()],
        })),
      };
    },
  };
}
