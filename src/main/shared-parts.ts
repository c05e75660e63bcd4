import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Env } from '../config/env.ts';
import { ConfigError } from '../config/errors.ts';
import { describeRedis, redisCheck, REDIS_SIGN_IN } from '../config/redis-env.ts';
import type { EnvironmentConfig, HoistConfig } from '../config/hoist-config.ts';
import { ignoreCallErrors, type CallErrors } from '../domain/call-errors.ts';
import { createImageRegistry } from '../engine/build/image-registry.ts';
import type { ImageRegistry, Target } from '../engine/ports.ts';
import { createTargetRegistry } from '../engine/targets/target-registry.ts';
import type { SlackDirectory } from '../bot/slack/slack-directory.ts';
import { createGitHubClient, type GitHubClient } from '../engine/source/github/client.ts';
import { createCommitChecks } from '../engine/source/github/commit-checks.ts';
import { createCheckWaits, type CheckWaits } from '../service/check-waits.ts';
import { createGitSource, type GitSource } from '../engine/source/git-source.ts';
import { createCancelSignal } from '../jobs/cancel-signal.ts';
import { createDispatcher, type Dispatcher } from '../jobs/dispatcher.ts';
import { createEnvironmentLease, type EnvironmentLease } from '../jobs/environment-lease.ts';
import { createEventSignal } from '../jobs/event-signal.ts';
import { closeRedis, connectRedis, firstAnswer, isRefusedSignIn, redisErrorText, type RedisConnection } from '../jobs/redis.ts';
import { createRedisHealth, type RedisHealth } from '../jobs/redis-health.ts';
import { createRunQueue } from '../jobs/run-queue.ts';
import type { HoistService } from '../service/contract.ts';
import { createChangeFeed, type ChangeFeed, type ChangeOrigin } from '../service/environment-board.ts';
import { createHoistService } from '../service/hoist-service.ts';
import { createMetrics, type Metrics } from '../service/metrics.ts';
import { createSecretMasks } from '../service/secret-masks.ts';
import { maskSecretsInLog } from '../logger.ts';
import { openDatabase, type Db } from '../store/database.ts';
import { readMetrics } from '../store/metrics.ts';
import { migrateToLatest } from '../store/migrator.ts';
import type { StopList } from './stop-list.ts';

const LEASE_TTL_MS = 5_000;
/**
 * How old the environments' views may be on the embedded database. Only this process can
 * write to it (store/embedded-lock.ts) and each of its writes refreshes the views at once, so
 * the age-based refresh is only a safety net there; on a shared Postgres it catches what other
 * processes wrote when their signal was lost, and stays at its one-second default. Each refresh
 * is a statement the embedded database runs on this process's only thread, in the way of reads.
 */
const EMBEDDED_BOARD_MAX_AGE_MS = 10_000;

/** What both the server and the worker stand on. */
export interface SharedParts {
  env: Env;
  config: HoistConfig;
  dataDir: string;
  logger: Logger;
  stops: StopList;
  db: Db;
  redis: RedisConnection;
  /** Every Redis connection's failures, logged at a readable rate. */
  redisHealth: RedisHealth;
  source: GitSource;
  /** GitHub's API with Hoist's credentials (GITHUB_TOKEN or the GitHub App); null: none are set. */
  github: GitHubClient | null;
  /** Tells every process that new events are in the outbox (this one's views of the environments at once). */
  notify(): void;
  /** What the environments' views follow: this process's writes, and (once the server listens) the other processes'. */
  changes: ChangeFeed & { emit(origin: ChangeOrigin): void };
  /** The database is the embedded one, which no other process can open: every write to it is this process's own. */
  onlyWriter: boolean;
  lease: EnvironmentLease;
  dispatcher: Dispatcher;
  api: HoistService;
  /** Credentials for the registry (HOIST_REGISTRY_USERNAME/PASSWORD), shared by the builder and the image lookups. */
  registryAuth: { username: string; password: string } | null;
  /** Where image tags are looked up: a deploy's tag when asked, and the digests an approval is bound to, asked again at start. */
  imageRegistry: ImageRegistry;
  /** Slack's user groups when Slack is configured: one directory (and cache) for permissions, approvals and group mentions. */
  slackDirectory: SlackDirectory | null;
  /** This process's metrics registry (null: HOIST_METRICS=off), served by the server role or on HOIST_METRICS_PORT. */
  metrics: Metrics | null;
  /** Where the clients of Slack, Kubernetes and registries count their failed calls. */
  callErrors: CallErrors;
  /** Deployments waiting for their commit's CI checks: swept by the worker role, brought forward by GitHub's webhooks. */
  checkWaits: CheckWaits;
  /** Where environments run: the worker rolls out there; the server reads the running app's logs and usage there. */
  targetFor: (environment: EnvironmentConfig) => Target;
}

/** The database (migrated), Redis, the git source, the run queue and its dispatcher, and the service both edges call. */
export async function startSharedParts(
  base: { env: Env; config: HoistConfig; dataDir: string; logger: Logger; stops: StopList },
  options: {
    /** Where environments run, replacing the configured targets (benchmarks measure orchestration with a target that does no work). */
    targetFor?: ((environment: EnvironmentConfig) => Target) | undefined;
  } = {},
): Promise<SharedParts> {
  const { env, config, dataDir, logger, stops } = base;
  // Redis's and the database's outages, each logged once, every 30 s while it lasts, and when it ends.
  const redisHealth = createRedisHealth(logger.child({ component: 'redis' }), { databaseLogger: logger.child({ component: 'database' }) });
  const database = await openDatabase({
    url: env.databaseUrl,
    dataDir,
    poolSize: env.databasePoolSize,
    preparedStatements: env.databasePreparedStatements,
    onUnprepared: (error) =>
      logger.warn(
        { err: error },
        'Postgres does not keep the statements Hoist prepares (a pooler such as PgBouncer before 1.21, or without max_prepared_statements, in transaction mode): sending them unnamed from now on; set DATABASE_PREPARED_STATEMENTS=off to start that way',
      ),
    onIdleError: (error) => {
      if (!redisHealth.absorbs(error, 'idle connection')) logger.warn({ err: error }, 'idle database connection lost');
    },
    onConnect: () => redisHealth.databaseAnswers('a new connection'),
  });
  stops.add(() => database.close());
  await migrateToLatest(database.db);
  const { db } = database;
  // From here on, a value of a service's `env` that a log line quotes is masked as everywhere else.
  if (!maskSecretsInLog(logger, await createSecretMasks({ db, config }).forConfiguration())) {
    logger.warn('this logger was not made by createLogger: values of services’ env are masked in log lines only by their shape');
  }

  const metrics = env.metrics === null ? null : startMetrics(db, config, logger);
  if (metrics !== null) stops.add(async () => metrics.close(), 'the metrics registry');
  const callErrors = metrics?.callErrors ?? ignoreCallErrors;

  // Leases, fences, signals and turns of every part of this process: each turn's commands in one write.
  const redis = redisHealth.watch(connectRedis(env.redis, { name: 'hoist', pipelined: true }), 'hoist');
  stops.add(() => closeRedis(redis));
  await firstAnswer(redis).catch((cause: unknown) => {
    const where = describeRedis(env.redis);
    if (isRefusedSignIn(cause)) throw new ConfigError('REDIS_AUTH', `${where} refused Hoist's sign-in (${redisErrorText(cause)}): ${REDIS_SIGN_IN[env.redis.kind]}`, { cause });
    throw new ConfigError('REDIS_UNREACHABLE', `${where} does not answer (${redisCheck(env.redis)})`, { cause });
  });
  const signal = createEventSignal(redis, env.redisPrefix, logger, redisHealth);
  const changes = createChangeFeed();
  const notify = () => {
    changes.emit('local');
    signal();
  };
  const source = createGitSource({ cacheDir: resolve(dataDir, 'git'), log: logger.child({ component: 'git' }) });
  const github = env.github === null ? null : createGitHubClient({ apiUrl: env.githubApiUrl, credentials: env.github, logger, callErrors });

  // Only adds jobs (the worker's own connections block): the jobs a burst of requests adds in one
  // turn go to Redis in one write.
  const queueConnection = redisHealth.watch(connectRedis(env.redis, { forWorker: true, name: 'hoist-queue', pipelined: true }), 'hoist-queue');
  stops.add(() => closeRedis(queueConnection));
  const queue = createRunQueue(queueConnection, env.redisPrefix);
  redisHealth.watchEvents(queue, 'queue');
  stops.add(() => queue.close());
  const lease = createEnvironmentLease(redis, env.redisPrefix, LEASE_TTL_MS);
  const dispatcher = createDispatcher({ db, queue, lease, logger });

  const registryAuth = env.registry.username && env.registry.password ? { username: env.registry.username, password: env.registry.password } : null;
  const slackDirectory =
    env.slack === null
      ? null
      : (await import('../bot/slack/slack-directory.ts')).createSlackDirectory({
          token: env.slack.botToken,
          apiUrl: env.slack.apiUrl,
          logger: logger.child({ component: 'slack' }),
          callErrors,
        });
  const targetFor = options.targetFor ?? (await configuredTargets({ env, config, logger, callErrors }));
  const commitChecks = createCommitChecks(github);
  const imageRegistry = createImageRegistry({ auth: registryAuth, callErrors });
  const kick = (app: string, e: string, queue?: readonly number[]) => dispatcher.kick(app, e, queue);
  const api = createHoistService({
    db,
    config,
    source,
    checks: commitChecks,
    registry: imageRegistry,
    kick,
    notify,
    signalCancel: createCancelSignal({ db, redis, prefix: env.redisPrefix, health: redisHealth }),
    ...(slackDirectory === null ? {} : { groupsOf: slackDirectory.groupsOf }),
    changes,
    onBoardError: (error) => logger.warn({ err: error }, 'refreshing the environments failed'),
    ...(database.kind === 'pglite' ? { boardMaxAgeMs: EMBEDDED_BOARD_MAX_AGE_MS } : {}),
    targetFor,
  });
  const checkWaits = createCheckWaits({ db, config, checks: commitChecks, notify, kick });
  return { ...base, db, redis, redisHealth, source, github, notify, changes, onlyWriter: database.kind === 'pglite', lease, dispatcher, api, registryAuth, imageRegistry, slackDirectory, metrics, callErrors, checkWaits, targetFor };
}

/** The targets of hoist.yaml; a kubeconfig that can't be used stops the start here, naming the target. */
async function configuredTargets(parts: { env: Env; config: HoistConfig; logger: Logger; callErrors: CallErrors }): Promise<(environment: EnvironmentConfig) => Target> {
  const registry = await createTargetRegistry({
    config: parts.config,
    kubeconfig: parts.env.kubeconfig,
    dockerHost: parts.env.dockerHost,
    logger: parts.logger,
    callErrors: parts.callErrors,
  });
  registry.verifyAll();
  return registry.targetFor;
}

/** The metrics registry: Postgres's families read at each scrape, every configured environment in its gauges. */
function startMetrics(db: Db, config: HoistConfig, logger: Logger): Metrics {
  const environments = [...config.apps.values()].flatMap((app) => [...app.environments.keys()].map((env) => ({ app: app.name, env })));
  return createMetrics({ read: (settledUpTo) => readMetrics(db, settledUpTo), environments, logger: logger.child({ component: 'metrics' }) });
}
