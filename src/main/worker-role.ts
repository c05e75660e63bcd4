import { createDockerBuilder } from '../engine/build/docker-builder.ts';
import { createApprovalBinding } from '../engine/approval-binding.ts';
import { createDeployRunner } from '../engine/deploy-runner.ts';
import { createDocker } from '../engine/docker/client.ts';
import { createCancelListener } from '../jobs/cancel-signal.ts';
import { createDeploymentWorker } from '../jobs/deployment-worker.ts';
import { createLockSweeper } from '../jobs/lock-sweeper.ts';
import { createReconciler } from '../jobs/reconciler.ts';
import { closeRedis, connectRedis, redisKeys } from '../jobs/redis.ts';
import { createApprovalTimers } from '../service/approval-timers.ts';
import { createLocks, pinEnvironment } from '../service/locks.ts';
import { createRequestSweep } from '../service/request-ledger.ts';
import { builtImage } from '../store/built-images.ts';
import { startRunningStatus } from './running-status.ts';
import type { SharedParts } from './shared-parts.ts';

/** How often the queues are reconciled with Postgres (by one process at a time). */
const RECONCILE_INTERVAL_MS = 2_000;
/** The longest the sweeper waits on the embedded database, where this process's own writes wake it. */
const EMBEDDED_SWEEP_MAX_WAIT_MS = 30_000;
/** How often, on a shared Postgres, one of the processes looks for locks, approvals and checks other processes recorded. */
const SWEEP_INTERVAL_MS = 1_000;

/** The worker role: runs deployments from the queue, re-offers waiting work, and sweeps locks. */
export async function startWorkerRole(shared: SharedParts): Promise<void> {
  const { env, config, db, logger, stops, notify } = shared;
  const builder = createDockerBuilder({
    docker: createDocker(env.dockerHost),
    source: shared.source,
    registry: env.registry.url ?? config.registry ?? '',
    auth: shared.registryAuth,
    logger: logger.child({ component: 'builder' }),
    callErrors: shared.callErrors,
    builtBefore: (where) => builtImage(db, where),
  });
  const runner = createDeployRunner({
    db,
    config,
    source: shared.source,
    builder,
    secretsDir: env.secretsDir,
    targetFor: shared.targetFor,
    notify,
    logger,
    // A successful rollback pins its environment with a lock only rollbacks pass.
    pinEnvironment: async (pin) => {
      await pinEnvironment(db, pin);
    },
  });

  const { redisHealth } = shared;
  const workerConnection = redisHealth.watch(connectRedis(env.redis, { forWorker: true, name: 'hoist-worker' }), 'hoist-worker');
  stops.add(() => closeRedis(workerConnection), 'the worker\'s Redis connection');
  const cancelSubscriber = redisHealth.watch(connectRedis(env.redis, { name: 'hoist-cancels' }), 'hoist-cancels');
  stops.add(() => closeRedis(cancelSubscriber), 'the cancel subscriber');
  const cancels = createCancelListener({ subscriber: cancelSubscriber, prefix: env.redisPrefix, logger });
  await cancels.ready;
  stops.add(async () => cancels.close(), 'the cancel listener');
  const worker = createDeploymentWorker({
    db,
    connection: workerConnection,
    prefix: env.redisPrefix,
    lease: shared.lease,
    dispatcher: shared.dispatcher,
    cancels,
    run: (id, signal, read, states) => runner.run(id, signal, read, states),
    notify,
    logger,
    health: redisHealth,
    concurrency: env.workerConcurrency,
    drainMs: env.workerDrainMs,
    approvalHolds: createApprovalBinding({ db, config, registry: shared.imageRegistry, notify }),
    approvalEnvironments: [...config.apps.values()].flatMap((app) => [...app.environments.values()].filter((e) => e.approval !== null).map((e) => `${app.name}/${e.name}`)),
  });
  redisHealth.watchEvents(worker.worker, 'worker');
  stops.add(() => worker.close(), 'the deployment worker (runs in progress finish first)');

  // One process per interval reconciles: the first to take the interval's turn.
  const keys = redisKeys(env.redisPrefix);
  /** Whether this process takes the interval's turn: the first to set the key, which lapses just before the next interval. */
  const turnOf = (key: string, intervalMs: number) => async () => (await shared.redis.set(key, String(process.pid), 'PX', intervalMs - 100, 'NX')) === 'OK';
  const turn = turnOf(keys.reconcilerTurn, RECONCILE_INTERVAL_MS);
  const reconciler = createReconciler({ db, dispatcher: shared.dispatcher, logger, health: redisHealth, intervalMs: RECONCILE_INTERVAL_MS, turn });
  reconciler.start();
  stops.add(() => reconciler.stop(), 'the reconciler');
  // Reminds lock owners before their lock lapses, and releases lapsed locks; the same loop
  // reminds approvers and expires requests nobody decided on, and forgets request identities
  // past their retention, and reads the CI checks deployments wait for. It waits until the next
  // lock, approval or checks deadline.
  const locks = createLocks({ db, config, notify });
  const approvalTimers = createApprovalTimers({ db, config, notify });
  const sweepRequests = createRequestSweep(db);
  const sweep = async (): Promise<number | null> => {
    await sweepRequests();
    const due = [await locks.sweep(), await approvalTimers.sweep(), await shared.checkWaits.sweep()].filter((ms): ms is number => ms !== null);
    return due.length === 0 ? null : Math.min(...due);
  };
  // On a shared Postgres it also looks every second for what other processes recorded (one
  // process a second: the one that takes the second's turn). The
  // embedded database has no other writer: it sweeps when this process writes instead (a new
  // lock or request may be due first), and looks only now and then besides.
  const sweepTurn = turnOf(keys.sweepTurn, SWEEP_INTERVAL_MS);
  const sweeper = createLockSweeper({
    sweep,
    logger: logger.child({ component: 'locks' }),
    maxWaitMs: shared.onlyWriter ? EMBEDDED_SWEEP_MAX_WAIT_MS : SWEEP_INTERVAL_MS,
    ...(shared.onlyWriter ? {} : { turn: sweepTurn }),
    absorbs: (error) => redisHealth.absorbs(error, 'sweeper'),
  });
  sweeper.start();
  if (shared.onlyWriter) {
    const unsubscribe = shared.changes.subscribe((origin) => {
      if (origin === 'local') sweeper.wake();
    });
    stops.add(async () => unsubscribe(), 'the sweeper\'s wake-up on writes');
  }
  stops.add(async () => sweeper.stop(), 'the lock and approval sweeper');
  startRunningStatus(shared, shared.targetFor);
}
