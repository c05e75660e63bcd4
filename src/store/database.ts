import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import pg from 'pg';
import { DEFAULT_DATABASE_POOL_SIZE } from '../config/env.ts';
import { lockEmbeddedDatabase } from './embedded-lock.ts';
import { preparingClient } from './prepared-statements.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

// int8 (e.g. count(*)) comes back as a string from pg: parse it as a number like PGlite does.
pg.types.setTypeParser(20, (value: string) => Number(value));

/** How long a connection may sit idle inside a transaction before Postgres ends its session. */
export const IDLE_IN_TRANSACTION_MS = 10_000;

/** Postgres when `url` is set; otherwise an embedded PGlite database under `dataDir`. */
export async function openDatabase(options: {
  url: string | null;
  dataDir: string;
  /** The most connections the pool holds at once (default DEFAULT_DATABASE_POOL_SIZE, as DATABASE_POOL_SIZE's). */
  poolSize?: number;
  /** Statements sent again and again go as named prepared statements (see prepared-statements.ts); off: all unnamed. Default on. */
  preparedStatements?: boolean;
  /** A pooler between Hoist and Postgres cannot keep prepared statements: they were turned off (told once). */
  onUnprepared?: (error: Error) => void;
  /** An idle connection broke (server restart, network): the pool replaces it. */
  onIdleError?: (error: Error) => void;
  /** A connection to the server was made (the database answers). */
  onConnect?: () => void;
}): Promise<DatabaseHandle> {
  if (options.url) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? DEFAULT_DATABASE_POOL_SIZE,
      ...(options.preparedStatements === false ? {} : { Client: preparingClient(options.onUnprepared ? { onUnprepared: options.onUnprepared } : {}) }),
      // A process frozen (SIGSTOP, a paused VM) inside a transaction would hold its row locks
      // for as long as it stays frozen, and a takeover would wait on them: Postgres ends such
      // a session instead, releasing the locks. Hoist's transactions never wait on anything else.
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
    });
    // Without a listener, a broken idle connection would crash the process.
    pool.on('error', (error) => options.onIdleError?.(error));
    // The same for a connection in use that the server ends between two queries (such as
    // the idle-in-transaction timeout above): its next query fails instead.
    pool.on('connect', (client) => {
      client.on('error', (error) => options.onIdleError?.(error));
      options.onConnect?.();
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  const dir = resolve(options.dataDir, 'pgdata');
  mkdirSync(join(dir, '..'), { recursive: true });
  const release = lockEmbeddedDatabase(`${dir}.lock`, dir);
  const { PGlite } = await import('@electric-sql/pglite');
  let pglite;
  try {
    pglite = await PGlite.create(dir);
  } catch (error) {
    release();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    kind: 'pglite',
    close: async () => {
      try {
        await db.destroy();
        if (!pglite.closed) await pglite.close();
      } finally {
        release();
      }
    },
  };
}
