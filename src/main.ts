import { mkdirSync, createWriteStream } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createNoticePoster } from './bot/notice-poster.ts';
import { createNotifier } from './bot/notifier.ts';
import { createShellEdge } from './bot/shell/shell-edge.ts';
import type { Env } from './config/env.ts';
import { ConfigError } from './config/errors.ts';
import { loadHoistConfig, type EnvironmentConfig, type HoistConfig } from './config/hoist-config.ts';
import { createDockerBuilder } from './engine/build/docker-builder.ts';
import { createDeployRunner } from './engine/deploy-runner.ts';
import { createDocker } from './engine/docker/client.ts';
import type { Target } from './engine/ports.ts';
import { createGitSource } from './engine/source/git-source.ts';
import { createDockerTarget } from './engine/targets/docker-target.ts';
import { createHttpServer } from './http/server.ts';
import { createDeploymentQueue, createDeploymentWorker, createDispatcher } from './jobs/deployment-queue.ts';
import { createCancelListener, createCancelSignal } from './jobs/cancel-signal.ts';
import { createEnvironmentLease } from './jobs/environment-lease.ts';
import { createLockSweeper } from './jobs/lock-sweeper.ts';
import { createNoticeFeed } from './jobs/notice-feed.ts';
import { createEventSignal, createOutboxFeed } from './jobs/outbox-feed.ts';
import { createReconciler } from './jobs/reconciler.ts';
import { connectRedis } from './jobs/redis.ts';
import { createLogger } from './logger.ts';
import type { HoistService } from './service/contract.ts';
import { createHoistService } from './service/hoist-service.ts';
import { createRequestSweep } from './service/request-ledger.ts';
import { pinEnvironment } from './service/locks.ts';
import { createLocks } from './service/locks.ts';
import { createCardStore } from './store/chat-cards.ts';
import { openDatabase } from './store/database.ts';
import { migrateToLatest } from './store/migrator.ts';

export type Mode = 'start' | 'server' | 'worker';

export interface HoistOptions {
  env: Env;
  mode: Mode;
  /** The terminal chat's input and output (`start` without Slack tokens). */
  shell?: { input: Readable; output: Writable; interactive: boolean; user: string } | null;
  /** Where environments run, for embedding Hoist (benchmarks measure orchestration with a target that does no work). */
  targetFor?: (environment: EnvironmentConfig) => Target;
  logger?: Logger;
}

export interface RunningHoist {
  config: HoistConfig;
  api: HoistService;
  /** The HTTP port actually bound (null for a worker). */
  port: number | null;
  /** Resolves with the exit code when the piped terminal chat has finished. */
  shellDone: Promise<number> | null;
  stop(): Promise<void>;
}

const LEASE_TTL_MS = 5_000;

/** Starts Hoist: the only place that wires the parts together; stop() undoes it in reverse. */
export async function startHoist(options: HoistOptions): Promise<RunningHoist> {
  const { env, mode } = options;
  const config = loadHoistConfig(env.configPath);
  const dataDir = resolve(env.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const shellWanted = mode === 'start' && !env.slack && options.shell;
  const logger =
    options.logger ??
    // The terminal chat owns stdout: logs go to a file then.
    createLogger(env.logLevel, shellWanted ? createWriteStream(resolve(dataDir, 'hoist.log'), { flags: 'a' }) : undefined);

  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const fn of stops.reverse()) {
      await fn().catch((error: unknown) => logger.warn({ err: error }, 'error while stopping'));
    }
    stops.length = 0;
  };

  try {
    const database = await openDatabase({
      url: env.databaseUrl,
      dataDir,
      onIdleError: (error) => logger.warn({ err: error }, 'idle database connection lost'),
    });
    stops.push(() => database.close());
    await migrateToLatest(database.db as never);
    const { db } = database;

    const redis = connectRedis(env.redisUrl, { name: 'hoist' });
    stops.push(() => redis.quit());
    await redis.ping().catch((cause: unknown) => {
      throw new ConfigError('REDIS_UNREACHABLE', `Redis at ${env.redisUrl} does not answer (set REDIS_URL)`, { cause });
    });

    const registry = env.registry.url ?? config.registry;
    const source = createGitSource({ cacheDir: resolve(dataDir, 'git'), log: logger.child({ component: 'git' }) });
    const notify = createEventSignal(redis, env.redisPrefix, logger);
    const targets = new Map<string, Target>();
    // Loaded only where an environment needs it: the Kubernetes client takes a while to load.
    const usesKubernetes = [...config.apps.values()].some((a) => [...a.environments.values()].some((e) => e.target.kind === 'kubernetes'));
    const kubernetes = usesKubernetes && mode !== 'server' && options.targetFor === undefined ? await import('./engine/targets/kubernetes/index.ts') : null;
    const configuredTarget = (environment: EnvironmentConfig): Target => {
      if (environment.target.kind === 'kubernetes') {
        const key = `kubernetes:${environment.targetName}`;
        const known = targets.get(key);
        if (known) return known;
        if (kubernetes === null) throw new Error('the Kubernetes target was not loaded');
        const { connection, where } = kubernetes.targetConnection(environment.target, env.kubeconfig);
        let created: Target;
        try {
          created = kubernetes.createKubernetesTarget({ ...connection, logger: logger.child({ component: 'kubernetes-target', target: environment.targetName }) });
        } catch (cause) {
          const reason = cause instanceof Error ? cause.message : String(cause);
          throw new ConfigError('KUBECONFIG_INVALID', `target ${environment.targetName}: cannot use ${where}: ${reason}`, { cause });
        }
        targets.set(key, created);
        return created;
      }
      const host = environment.target.host ?? env.dockerHost;
      const key = host ?? '';
      const known = targets.get(key);
      if (known) return known;
      const created = createDockerTarget({ docker: createDocker(host), logger: logger.child({ component: 'docker-target' }) });
      targets.set(key, created);
      return created;
    };
    const builderDocker = createDocker(env.dockerHost);
    const builder = createDockerBuilder({
      docker: builderDocker,
      source,
      registry: registry ?? '',
      auth: env.registry.username && env.registry.password ? { username: env.registry.username, password: env.registry.password } : null,
      logger: logger.child({ component: 'builder' }),
    });
    const targetFor = options.targetFor ?? configuredTarget;
    if (options.targetFor === undefined && mode !== 'server') {
      // A kubeconfig that can't be used stops the start, naming the target, rather than each deployment later.
      for (const app of config.apps.values()) {
        for (const environment of app.environments.values()) if (environment.target.kind === 'kubernetes') configuredTarget(environment);
      }
    }
    const runner = createDeployRunner({
      db,
      config,
      source,
      builder,
      targetFor,
      notify,
      logger,
      // A successful rollback pins its environment with a lock only rollbacks pass.
      pinEnvironment: async (pin) => {
        await pinEnvironment(db, pin);
      },
    });

    const queueConnection = connectRedis(env.redisUrl, { forWorker: true, name: 'hoist-queue' });
    stops.push(() => queueConnection.quit());
    const queue = createDeploymentQueue(queueConnection, env.redisPrefix);
    stops.push(() => queue.close());
    const lease = createEnvironmentLease(redis, env.redisPrefix, LEASE_TTL_MS);
    const dispatcher = createDispatcher({ db, queue, lease, logger });

    if (mode === 'start' || mode === 'worker') {
      const workerConnection = connectRedis(env.redisUrl, { forWorker: true, name: 'hoist-worker' });
      stops.push(() => workerConnection.quit());
      const cancelSubscriber = connectRedis(env.redisUrl, { name: 'hoist-cancels' });
      stops.push(() => cancelSubscriber.quit());
      const cancels = createCancelListener({ subscriber: cancelSubscriber, prefix: env.redisPrefix, logger });
      await cancels.ready;
      stops.push(async () => cancels.close());
      const worker = createDeploymentWorker({
        db,
        connection: workerConnection,
        prefix: env.redisPrefix,
        lease,
        dispatcher,
        cancels,
        run: (id, signal) => runner.run(id, signal),
        notify,
        logger,
        concurrency: env.workerConcurrency,
      });
      worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
      stops.push(() => worker.close());
      const reconciler = createReconciler({ db, dispatcher, logger, intervalMs: 2_000 });
      reconciler.start();
      stops.push(() => reconciler.stop());
      // Reminds lock owners before their lock lapses, and releases lapsed locks.
      // The same loop forgets request identities past their retention.
      const locks = createLocks({ db, config, notify });
      const sweepRequests = createRequestSweep(db);
      const sweep = async (): Promise<number | null> => {
        await sweepRequests();
        return locks.sweep();
      };
      const sweeper = createLockSweeper({ sweep, logger: logger.child({ component: 'locks' }) });
      sweeper.start();
      stops.push(async () => sweeper.stop());
    }

    const api = createHoistService({
      db,
      config,
      source,
      kick: (app, e) => dispatcher.kick(app, e),
      notify,
      signalCancel: createCancelSignal({ db, redis, prefix: env.redisPrefix }),
      ...(env.slack === null
        ? {}
        : {
            groupsOf: (await import('./bot/slack/slack-directory.ts')).createSlackDirectory({
              token: env.slack.botToken,
              apiUrl: env.slack.apiUrl,
              logger: logger.child({ component: 'slack' }),
            }).groupsOf,
          }),
    });

    let port: number | null = null;
    let shellDone: Promise<number> | null = null;
    if (mode === 'start' || mode === 'server') {
      const subscriber = connectRedis(env.redisUrl, { name: 'hoist-events' });
      stops.push(() => subscriber.quit());
      const feed = createOutboxFeed({ db, redis, subscriber, prefix: env.redisPrefix, logger });
      stops.push(() => feed.close());
      const chats: Parameters<typeof createNotifier>[0]['chats'] = {};
      const cards = createCardStore(db);
      const mounts: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {};
      if (env.slack) {
        const { createSlackEdge } = await import('./bot/slack/slack-edge.ts');
        const slack = await createSlackEdge({ ...env.slack, api, cards, logger: logger.child({ component: 'slack' }) });
        stops.push(() => slack.stop());
        chats.slack = slack.chat;
        mounts['/slack/events'] = slack.requestListener;
      }
      if (shellWanted && options.shell) {
        const shell = createShellEdge({ ...options.shell, api });
        stops.push(async () => shell.close());
        chats.shell = shell.chat;
        shellDone = shell.done;
      }
      const notifier = createNotifier({
        feed,
        api,
        cards,
        chats,
        logger: logger.child({ component: 'notifier' }),
        repoUrl: (app) => config.apps.get(app)?.repo ?? null,
      });
      notifier.start();
      stops.push(async () => notifier.stop());
      const noticeFeed = createNoticeFeed({ db, redis, subscriber, prefix: env.redisPrefix, logger });
      stops.push(() => noticeFeed.close());
      const noticePoster = createNoticePoster({ feed: noticeFeed, chats, logger: logger.child({ component: 'notices' }) });
      noticePoster.start();
      stops.push(async () => noticePoster.stop());

      const server = createHttpServer({
        api,
        logger,
        mounts,
        readiness: {
          postgres: () => db.selectNoFrom((eb) => eb.lit(1).as('one')).execute(),
          redis: () => redis.ping(),
        },
      });
      await listen(server, env.port, env.host);
      stops.push(() => closeServer(server));
      port = (server.address() as AddressInfo).port;
      logger.info({ port }, 'http listening');
    }

    return { config, api, port, shellDone, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(new ConfigError('PORT_IN_USE', `port ${port} is already in use (set PORT to a free one)`, { cause: error }));
      } else reject(error);
    });
    server.listen(port, host, () => resolveListen());
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolveClose) => {
    server.close(() => resolveClose());
    server.closeAllConnections();
  });
}
