import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

// int8 (e.g. count(*)) comes back as a string from pg: parse it as a number like PGlite does.
pg.types.setTypeParser(20, (value: string) => Number(value));

/** Postgres when `url` is set; otherwise an embedded PGlite database under `dataDir`. */
export async function openDatabase(options: {
  url: string | null;
  dataDir: string;
  poolSize?: number;
  /** An idle connection broke (server restart, network): the pool replaces it. */
  onIdleError?: (error: Error) => void;
}): Promise<DatabaseHandle> {
  if (options.url) {
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
    // Without a listener, a broken idle connection would crash the process.
    pool.on('error', (error) => options.onIdleError?.(error));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  const dir = resolve(options.dataDir, 'pgdata');
  mkdirSync(join(dir, '..'), { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = await PGlite.create(dir);
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    kind: 'pglite',
    close: async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}
