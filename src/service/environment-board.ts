import type { HoistConfig } from '../config/hoist-config.ts';
import { aggregateEnvironmentStatus } from '../domain/aggregate.ts';
import { commitUrl } from '../domain/commit-link.ts';
import { boardRows, type BoardRows } from '../store/board.ts';
import type { Db } from '../store/database.ts';
import type { EnvironmentView, QueueEntry, ServiceView } from './views.ts';

/** Where a change came from: this process made it, or another process announced it. */
export type ChangeOrigin = 'local' | 'remote';

/** Tells whoever listens that what an environment shows may have changed. */
export interface ChangeFeed {
  subscribe(listener: (origin: ChangeOrigin) => void): () => void;
}

export function createChangeFeed(): ChangeFeed & { emit(origin: ChangeOrigin): void } {
  const listeners = new Set<(origin: ChangeOrigin) => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(origin) {
      for (const listener of listeners) listener(origin);
    },
  };
}

export interface BoardDeps {
  db: Db;
  config: HoistConfig;
  /** How old what a read is served may be, in milliseconds (default 1,000). */
  maxAgeMs?: number;
  /** Monotonic milliseconds, for the age of what is kept (tests move it). */
  clock?: () => number;
  /** The wall clock a lock's expiry is compared with. */
  now?: () => Date;
  /** A refresh started by a change of another process failed (the next read tries again). */
  onError?: (error: unknown) => void;
}

/** What runs where, each environment's queue and lock, kept in memory. */
export interface EnvironmentBoard {
  /** The view of a configured environment (null for one hoist.yaml does not name). */
  view(app: string, env: string): Promise<EnvironmentView | null>;
  /** This process changed something: the next read includes it. */
  invalidate(): void;
  /** Another process announced a change: reads go on with what is kept while a refresh runs. */
  changed(): void;
  /**
   * Whether the view kept in memory shows a lock in force in the environment, however old it is,
   * without reading anything (null: none kept). A hint for what to read first, never an answer.
   */
  lockedAsLastSeen(app: string, env: string): boolean | null;
}

interface Snapshot {
  views: Map<string, Map<string, EnvironmentView>>;
  /** The invalidations (this process's writes) and announced changes it includes. */
  generation: number;
  announced: number;
  /** When its statement was sent: it includes everything committed before. */
  takenAt: number;
  /** Refreshes in the order they started. */
  seq: number;
}

interface Refresh {
  done: Promise<Snapshot>;
  generation: number;
  announced: number;
  startedAt: number;
}

/**
 * The environments' views kept in memory instead of a round of queries per read. A read is
 * served from memory when what is kept includes every write this process made (`invalidate`,
 * called on each of them) and is less than `maxAgeMs` old; a change another process announced
 * (`changed`) or half the age passed starts a refresh in the background. Reads that need a
 * refresh while one that would do runs wait for it: one refresh, however many readers.
 */
export function createEnvironmentBoard(deps: BoardDeps): EnvironmentBoard {
  const maxAgeMs = deps.maxAgeMs ?? 1_000;
  const clock = deps.clock ?? (() => performance.now());
  const now = deps.now ?? (() => new Date());
  let generation = 0;
  let announced = 0;
  let snapshot: Snapshot | null = null;
  let refreshing: Refresh | null = null;
  let started = 0;

  function refresh(): Promise<Snapshot> {
    const ticket = { generation, announced, startedAt: clock() };
    const seq = ++started;
    const done = boardRows(deps.db)
      .then((rows) => {
        const next: Snapshot = { views: buildViews(deps.config, rows), generation: ticket.generation, announced: ticket.announced, takenAt: ticket.startedAt, seq };
        // Two refreshes may overlap (a write during the first): the later one's rows win.
        if (snapshot === null || next.seq > snapshot.seq) snapshot = next;
        return next;
      })
      .finally(() => {
        if (refreshing?.done === done) refreshing = null;
      });
    refreshing = { done, ...ticket };
    return done;
  }

  function refreshInBackground(): void {
    const running = refreshing;
    if (running !== null && running.generation === generation && running.announced === announced) return;
    refresh().catch((error: unknown) => deps.onError?.(error));
  }

  async function current(): Promise<Snapshot> {
    const at = clock();
    const kept = snapshot;
    if (kept !== null && kept.generation === generation && at - kept.takenAt < maxAgeMs) {
      if (kept.announced !== announced || at - kept.takenAt >= maxAgeMs / 2) refreshInBackground();
      return kept;
    }
    const running = refreshing;
    if (running !== null && running.generation === generation && at - running.startedAt < maxAgeMs) return running.done;
    return refresh();
  }

  return {
    async view(app, env) {
      const found = (await current()).views.get(app)?.get(env) ?? null;
      return found === null ? null : lockInForce(found);
    },
    invalidate() {
      generation += 1;
    },
    changed() {
      announced += 1;
    },
    lockedAsLastSeen(app, env) {
      const found = snapshot?.views.get(app)?.get(env);
      return found === undefined ? null : lockInForce(found).lock !== null;
    },
  };

  /** A lock whose time is up holds nothing from that moment, whether or not the sweep released it yet. */
  function lockInForce(view: EnvironmentView): EnvironmentView {
    const expiresAt = view.lock?.expiresAt ?? null;
    return expiresAt !== null && expiresAt <= now() ? { ...view, lock: null } : view;
  }
}

/** A commit link for this SHA, cut before it, is where any commit of the repository is shown. */
const ANY_SHA = '0'.repeat(40);

/** Every configured environment's view from the board's rows. */
function buildViews(config: HoistConfig, rows: BoardRows): Map<string, Map<string, EnvironmentView>> {
  const key = (app: string, env: string) => `${app}\n${env}`;
  const group = <T extends { app: string; env: string }>(items: T[]): Map<string, T[]> => {
    const groups = new Map<string, T[]>();
    for (const item of items) {
      const k = key(item.app, item.env);
      const list = groups.get(k);
      if (list) list.push(item);
      else groups.set(k, [item]);
    }
    return groups;
  };
  const states = group(rows.states);
  const running = group(rows.running);
  const queues = group(rows.queue);
  const awaiting = group(rows.awaiting);
  const locks = new Map(rows.locks.map((l) => [key(l.app, l.env), l]));
  const views = new Map<string, Map<string, EnvironmentView>>();
  for (const app of config.apps.values()) {
    const envs = new Map<string, EnvironmentView>();
    for (const env of app.environments.values()) {
      const k = key(app.name, env.name);
      const byService = new Map((states.get(k) ?? []).map((s) => [s.service, s]));
      const runningOf = new Map((running.get(k) ?? []).map(({ app: _app, env: _env, service, ...r }) => [service, r]));
      const services: ServiceView[] = env.services.map((s) => {
        const state = byService.get(s.name);
        return {
          name: s.name,
          type: s.type,
          status: state?.status ?? 'NEVER_DEPLOYED',
          version: state?.version ?? null,
          image: state?.image ?? null,
          deploymentId: state?.deploymentId ?? null,
          updatedAt: state?.updatedAt ?? null,
          commitUrl: commitUrl(app.repo, state?.version ?? null),
          url: state?.url ?? null,
          running: runningOf.get(s.name) ?? null,
        };
      });
      let waiting = 0;
      const queue: QueueEntry[] = (queues.get(k) ?? []).map((d) => ({
        id: d.id,
        action: d.action,
        status: d.status,
        position: d.startedAt === null ? ++waiting : null,
        requestedBy: d.requestedBy,
      }));
      envs.set(env.name, {
        app: app.name,
        env: env.name,
        target: env.targetName,
        production: env.production,
        autoDeploy: env.autoDeploy,
        commitBaseUrl: commitUrl(app.repo, ANY_SHA)?.slice(0, -ANY_SHA.length) ?? null,
        status: aggregateEnvironmentStatus(services.map((s) => s.status)),
        services,
        queue,
        awaitingApproval: (awaiting.get(k) ?? []).map(({ id, action, requestedBy, requestedAt, expiresAt }) => ({ id, action, requestedBy, requestedAt, expiresAt })),
        lock: locks.get(k) ?? null,
        eventId: rows.head,
      });
    }
    views.set(app.name, envs);
  }
  return views;
}
