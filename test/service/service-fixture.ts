import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseHoistConfig, type HoistConfig } from '../../src/config/hoist-config.ts';
import type { Deployment } from '../../src/domain/deployment.ts';
import { createApprovalBinding } from '../../src/engine/approval-binding.ts';
import { createDeployRunner } from '../../src/engine/deploy-runner.ts';
import { createGitSource } from '../../src/engine/source/git-source.ts';
import type { ActionCommand, Actor, HoistService, RequestOptions } from '../../src/service/contract.ts';
import type { EnvironmentView } from '../../src/service/views.ts';
import { createChangeFeed } from '../../src/service/environment-board.ts';
import { createHoistService, type ServiceDeps } from '../../src/service/hoist-service.ts';
import { pinEnvironment } from '../../src/service/locks.ts';
import type { Db } from '../../src/store/database.ts';
import { pickUp } from '../../src/store/waiting-deployments.ts';
import { createFakeBuilder, type FakeBuilder } from '../fakes/fake-builder.ts';
import { createFakeImageRegistry, type FakeImageRegistry } from '../fakes/fake-image-registry.ts';
import { createNoopTarget, type NoopTarget } from '../fakes/noop-target.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { openTestStore, type StoreKind } from '../support/databases.ts';

/** The app every service test works on, and the one channel it may be operated from. */
export const APP = 'shop';
export const SHOP_CHANNEL = 'C0SHOP';

/**
 * Someone asking from `channel` (the app's channel unless given). The one place a person
 * and where they ask from are spelled, so a change of that shape is a change here only.
 */
export function person(userId: string, display: string, channel: string = SHOP_CHANNEL): Actor {
  return { requester: { id: userId, name: display }, origin: { kind: 'slack', channel, userId, reply: null } };
}

/** Someone at the terminal chat, which no channel rule applies to. */
export function atShell(who: Actor): Actor {
  return { ...who, origin: { kind: 'shell' } };
}

export const alice = person('U0ALICE', 'alice');
export const bob = person('U0BOB', 'bob');
export const carol = person('U0CAROL', 'carol');

/** Request options for `who` asking by `trigger` (chat unless given). */
export function asking(who: Actor, extra: Partial<Pick<RequestOptions, 'trigger' | 'requestKey'>> = {}): RequestOptions {
  return { ...who, trigger: extra.trigger ?? 'chat', requestKey: extra.requestKey };
}

type Services = string[] | null;
const scope = (services: Services) => ({ app: APP, services });

/** The action commands, as an edge hands them to the service. */
export const command = {
  deploy: (env: string, options: { ref?: string | null; services?: Services; bypassApproval?: string } = {}): ActionCommand => ({
    verb: 'deploy',
    scope: scope(options.services ?? null),
    env,
    ref: options.ref ?? null,
    ...(options.bypassApproval === undefined ? {} : { bypassApproval: options.bypassApproval }),
  }),
  redeploy: (env: string, services: Services = null): ActionCommand => ({ verb: 'redeploy', scope: scope(services), env }),
  rollback: (env: string, options: { to?: number | null; services?: Services } = {}): ActionCommand => ({
    verb: 'rollback',
    scope: scope(options.services ?? null),
    env,
    to: options.to ?? null,
  }),
  stop: (env: string, services: Services = null): ActionCommand => ({ verb: 'stop', scope: scope(services), env }),
  restart: (env: string, services: Services = null): ActionCommand => ({ verb: 'restart', scope: scope(services), env }),
};

export interface ServiceFixture {
  service: HoistService;
  /** hoist.yaml as the fixture's processes read it. */
  config: HoistConfig;
  /** The same service where no worker can be told to stop a running deployment. */
  serviceWithoutCancelSignal: HoistService;
  db: Db;
  repo: GitFixture;
  /** The repository's first commit (the head of `main` until a test commits more). */
  firstSha: string;
  /**
   * Branches, each at a commit of its own on top of the first: other versions to queue,
   * since identical requests waiting at once are one deployment.
   */
  versions: readonly [string, string, string, string];
  target: NoopTarget;
  builder: FakeBuilder;
  /** The registry image tags are looked up in (it lists none unless the options give some). */
  images: FakeImageRegistry;
  /** What a worker of this process checks before it starts an approved deployment (SPEC §5), with hoist.yaml as that worker read it. */
  approvalHolds(id: number, config?: HoistConfig): Promise<boolean>;
  /** `app/env` of every kick, in order. */
  kicks: string[];
  /** The ref of every lookup of a commit in the source (`(branch)`: the environment's branch), in order. */
  resolves: string[];
  /** Deployments a worker was told to stop. */
  signals: number[];
  /** User ids whose groups were looked up. */
  groupLookups: string[];
  notifications(): number;
  /** What a worker of this process calls after it wrote (as main.ts wires it): counted, and the environments' views follow. */
  notify(): void;
  /** What `status` shows for one environment of the app: its services, queue and lock. */
  view(env: string): Promise<EnvironmentView>;
  /** Records a deployment or fails the test with the refusal. */
  request(cmd: ActionCommand, options?: RequestOptions): Promise<Deployment>;
  /** Runs a recorded deployment to its end, as a worker would, with the no-op target. */
  run(id: number): Promise<Deployment>;
  /** A worker takes the deployment: it runs from now on and leaves the waiting queue. */
  start(id: number): Promise<void>;
  close(): Promise<void>;
}

export interface FixtureOptions {
  /** Each environment of app `shop`: its YAML (a flow mapping), e.g. `{ target: engine }`. */
  environments: Record<string, string>;
  /** `@group` handles per user id. */
  groups?: Record<string, string[]>;
  /** PGlite unless given: a Postgres server where requests must really run at once. */
  store?: StoreKind;
  /** Image (`postgres:16`) → the digest its registry names for the tag; unless given, no registry can be asked (as where none answers). */
  imageDigests?: Record<string, string>;
  /** The clock approval deadlines are counted by (the real one unless given). */
  now?: () => Date;
}

const SHOP_SERVICES = {
  api: '{ type: application, build: { context: . }, port: 8080 }',
  db: '{ type: database, image: postgres:16 }',
  web: '{ type: container, image: web:1, port: 8080 }',
};

/**
 * hoist.yaml of app `shop` over `repoDir`: its environments, and its services (each a flow
 * mapping) where a test changes one, as a process started later would read it.
 */
export function shopConfig(repoDir: string, environments: Record<string, string>, services: Partial<Record<keyof typeof SHOP_SERVICES, string>> = {}): HoistConfig {
  const lines = (entries: Record<string, string>) =>
    Object.entries(entries)
      .map(([name, yaml]) => `      ${name}: ${yaml}`)
      .join('\n');
  return parseHoistConfig(
    `
targets: { engine: { kind: docker } }
apps:
  ${APP}:
    repo: ${repoDir}
    channels: [${SHOP_CHANNEL}]
    services:
${lines({ ...SHOP_SERVICES, ...services })}
    environments:
${lines(environments)}
`,
    join(tmpdir(), 'service-fixture.yaml'),
  );
}

/**
 * The service as main.ts builds it, on PGlite, with a real git source over a local
 * repository, and in-memory stand-ins for the queue (kick), the event feed (notify) and
 * the cancel signal. No Redis, Postgres server or Podman is needed.
 */
export async function openServiceFixture(options: FixtureOptions): Promise<ServiceFixture> {
  const store = await openTestStore(options.store ?? 'pglite');
  const repo = createGitFixture('hoist-service');
  const firstSha = repo.commit('first', { 'Dockerfile': 'FROM scratch\n', 'README': 'shop\n' });
  const versions = ['two', 'three', 'four', 'five'] as const;
  for (const branch of versions) {
    repo.git('checkout', '--quiet', '-b', branch, 'main');
    repo.commit(branch, { 'README': `shop ${branch}\n` });
  }
  repo.git('checkout', '--quiet', 'main');
  const cacheDir = mkdtempSync(join(tmpdir(), 'hoist-service-git-'));
  const config = shopConfig(repo.dir, options.environments);
  const git = createGitSource({ cacheDir });
  const resolves: string[] = [];
  const source: typeof git = {
    ...git,
    resolve: (repo, ref) => {
      resolves.push(ref ?? '(branch)');
      return git.resolve(repo, ref);
    },
  };
  const target = createNoopTarget();
  const builder = createFakeBuilder();
  const images = createFakeImageRegistry(options.imageDigests);
  if (options.imageDigests === undefined) images.unreachable = 'no registry answers in this test';
  const kicks: string[] = [];
  const signals: number[] = [];
  const groupLookups: string[] = [];
  let notified = 0;
  // As main.ts wires it: what the process's parts write, every service's views of the environments follow.
  const changes = createChangeFeed();
  const notify = () => {
    notified++;
    changes.emit('local');
  };
  const groups = options.groups ?? {};
  const deps: ServiceDeps = {
    db: store.db,
    config,
    source,
    registry: images.registry,
    kick: async (app, env) => {
      kicks.push(`${app}/${env}`);
    },
    notify,
    changes,
    groupsOf: async (userId) => {
      groupLookups.push(userId);
      return groups[userId] ?? [];
    },
    ...(options.now ? { now: options.now } : {}),
    targetFor: () => target.target,
  };
  const service = createHoistService({
    ...deps,
    signalCancel: async (id) => {
      signals.push(id);
    },
  });
  const runner = createDeployRunner({
    db: store.db,
    config,
    source,
    builder: builder.builder,
    targetFor: () => target.target,
    notify,
    logger: pino({ level: 'silent' }),
    pinEnvironment: async (pin) => {
      await pinEnvironment(store.db, pin);
    },
  });
  const found = async (id: number): Promise<Deployment> => {
    const deployment = await service.getDeployment(id);
    if (deployment === null) throw new Error(`deployment #${id} is not recorded`);
    return deployment;
  };
  return {
    service,
    config,
    serviceWithoutCancelSignal: createHoistService(deps),
    db: store.db,
    repo,
    firstSha,
    versions,
    target,
    builder,
    images,
    approvalHolds: (id, workerConfig = config) => createApprovalBinding({ db: store.db, config: workerConfig, registry: images.registry, notify })(id),
    kicks,
    resolves,
    signals,
    groupLookups,
    notifications: () => notified,
    notify,
    async view(env) {
      const views = await service.environments(APP, env);
      if (!Array.isArray(views) || views[0] === undefined) throw new Error(`no view of ${APP} in ${env}`);
      return views[0];
    },
    async request(cmd, requestOptions = asking(alice)) {
      const result = await service.request(cmd, requestOptions);
      if (!result.ok) throw new Error(`${cmd.verb} refused: ${result.code} ${result.reason}`);
      return result.deployment;
    },
    async run(id) {
      await pickUp(store.db, id);
      changes.emit('local');
      await runner.run(id, new AbortController().signal);
      return found(id);
    },
    async start(id) {
      await pickUp(store.db, id);
      changes.emit('local');
    },
    async close() {
      await store.cleanup();
      repo.remove();
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}
