import { createHash } from 'node:crypto';
import type { App, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { HomeBoard } from '../../service/home-board.ts';
import type { Refusal } from '../../service/contract.ts';
import { renderAppHome } from '../render/app-home.ts';
import { asSlackBlocks } from './slack-blocks.ts';

/** How long changes gather before the Home tabs are republished. */
export const HOME_DEBOUNCE_MS = 2_000;

/** `publish`: go ahead; `unchanged`: it shows what was last published (or is older than that); `later`: this window had its publish, ask again in `inMs`. */
export type HomeClaim = { kind: 'publish' } | { kind: 'unchanged' } | { kind: 'later'; inMs: number };

/** Who opened the Home tab and what each was shown, shared by every server process (Redis: jobs/home-tabs.ts). */
export interface HomeTabStore {
  opened(userId: string): Promise<void>;
  openers(): Promise<string[]>;
  /** Whether this process publishes `userId`'s board (of `eventId`, showing what `digest` sums up) now. */
  claim(userId: string, board: { eventId: number; digest: string }): Promise<HomeClaim>;
  published(userId: string, published: { hash: string; eventId: number; digest: string }): Promise<void>;
  hashOf(userId: string): Promise<string | null>;
}

export interface HomeTabDeps {
  boards: { of(userId: string): Promise<HomeBoard | Refusal> };
  store: HomeTabStore;
  logger: Logger;
  now: () => Date;
  /** `HOIST_PUBLIC_URL`: the Home links to the dashboard for what does not fit. */
  publicUrl: string | null;
  repoUrlOf?: (app: string) => string | null;
  debounceMs?: number;
  /** Whether a failure is an outage reported elsewhere already (Redis unreachable): then it is not logged again here. */
  absorbs?: (error: unknown) => boolean;
}

export interface HomeTabs {
  /** Someone opened the tab: their Home now, published over the version Slack showed them (`hash`). */
  opened(userId: string, hash: string | null): Promise<void>;
  /** Something an environment shows may have changed: the openers' Homes are republished after the debounce. */
  changed(): void;
  /** Republishes waiting for their time are dropped; one under way finishes. */
  stop(): Promise<void>;
}

/** What a board shows, summed up: the same digest, nothing to republish (the event positions only say how new it is). */
function digestOf(home: HomeBoard): string {
  const shown = { ...home, eventId: 0, environments: home.environments.map((view) => ({ ...view, eventId: 0 })) };
  return createHash('sha256').update(JSON.stringify(shown)).digest('base64url');
}

/** Slack's error code of a refused call (`hash_conflict`), if it was one. */
function errorOf(error: unknown): string | null {
  const code = (error as { data?: { error?: unknown } }).data?.error;
  return typeof code === 'string' ? code : null;
}

/**
 * Each person's Home tab (`views.publish`), published when they open it and republished for
 * everyone who has opened it when what it shows changes: changes gather for `debounceMs`, and
 * each user's republish is claimed in the store, so one per window goes out across processes.
 * Slack's `hash` guards against a slower publisher overwriting a newer Home: on `hash_conflict`
 * the board is read again and published once more over the Home as it is now.
 */
export function createHomeTabs(client: webApi.WebClient, deps: HomeTabDeps): HomeTabs {
  const debounceMs = deps.debounceMs ?? HOME_DEBOUNCE_MS;
  const log = deps.logger;
  let timer: NodeJS.Timeout | null = null;
  /** Users whose newer board a window refused, and when to ask again. */
  const later = new Map<string, NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let stopped = false;
  let lastChangeAt = 0;

  async function board(userId: string): Promise<HomeBoard | null> {
    const home = await deps.boards.of(userId);
    if ('userId' in home) return home;
    log.warn({ user: userId, reason: home.reason }, 'could not read the board for a Home tab');
    return null;
  }

  const render = (home: HomeBoard) => renderAppHome(home, { now: deps.now(), publicUrl: deps.publicUrl, ...(deps.repoUrlOf === undefined ? {} : { repoUrlOf: deps.repoUrlOf }) });

  async function send(home: HomeBoard, hash: string | null): Promise<void> {
    const view = render(home);
    const answer = await client.views.publish({ user_id: home.userId, view: { ...view, blocks: asSlackBlocks(view.blocks) }, ...(hash === null ? {} : { hash }) });
    const published = answer.view?.hash;
    if (typeof published === 'string') await deps.store.published(home.userId, { hash: published, eventId: home.eventId, digest: digestOf(home) });
  }

  /** Publishes `home`; on `hash_conflict` once more with a board read again, over the hash another process kept (or none: this board is the newest). */
  async function publish(home: HomeBoard, hash: string | null): Promise<void> {
    try {
      await send(home, hash);
    } catch (error) {
      if (errorOf(error) !== 'hash_conflict') throw error;
      log.info({ user: home.userId }, 'the Home tab changed under this publish; publishing it again from a fresh board');
      const fresh = await board(home.userId);
      if (fresh === null) return;
      const kept = await deps.store.hashOf(home.userId);
      await send(fresh, kept !== null && kept !== hash ? kept : null);
    }
  }

  async function republish(userId: string): Promise<void> {
    const home = await board(userId);
    if (home === null) return;
    const claim = await deps.store.claim(userId, { eventId: home.eventId, digest: digestOf(home) });
    if (claim.kind === 'unchanged') return;
    if (claim.kind === 'later') {
      if (!later.has(userId) && !stopped) later.set(userId, setTimeout(() => track(republishOne(userId)), claim.inMs));
      return;
    }
    await publish(home, await deps.store.hashOf(userId));
  }

  const republishOne = async (userId: string) => {
    clearTimeout(later.get(userId));
    later.delete(userId);
    if (stopped) return;
    await republish(userId).catch((error: unknown) => {
      if (!deps.absorbs?.(error)) log.warn({ err: error, user: userId }, 'could not republish a Home tab');
    });
  };

  async function flush(): Promise<void> {
    timer = null;
    const startedAt = Date.now();
    const users = await deps.store.openers();
    for (const userId of users) await republishOne(userId);
    // A change announced just before this pass may not have reached the board it read (another
    // process's writes arrive as a signal, then a refresh): one more pass follows it.
    if (lastChangeAt > startedAt - debounceMs / 2) arm();
  }

  function arm(): void {
    if (timer !== null || stopped) return;
    const failed = (error: unknown) => {
      if (!deps.absorbs?.(error)) log.warn({ err: error }, 'could not republish the Home tabs');
    };
    timer = setTimeout(() => track(flush().catch(failed)), debounceMs);
  }

  function track(work: Promise<void>): void {
    running.add(work);
    void work.finally(() => running.delete(work));
  }

  return {
    async opened(userId, hash) {
      await deps.store.opened(userId);
      const home = await board(userId);
      if (home !== null) await publish(home, hash);
    },
    changed() {
      lastChangeAt = Date.now();
      arm();
    },
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      for (const pending of later.values()) clearTimeout(pending);
      later.clear();
      await Promise.allSettled([...running]);
    },
  };
}

/** `app_home_opened` on the Home tab (not the Messages tab): that user's Home, published at once. */
export function registerAppHome(app: App, homes: HomeTabs, logger: Logger): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    // Slack's types leave it out, but the view the event carries (once a Home was published) has its hash.
    const hash = (event.view as { hash?: unknown } | undefined)?.hash;
    await homes.opened(event.user, typeof hash === 'string' ? hash : null).catch((error: unknown) => {
      logger.warn({ err: error, user: event.user }, 'could not publish the Home tab');
    });
  });
}
