import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';

export const ADMIN_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh Postgres database for one test file; `drop()` removes it. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `hoist_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

export type StoreKind = 'postgres' | 'pglite';

/** A migrated store of either kind, for tests that must pass on both. */
export async function openTestStore(kind: StoreKind): Promise<DatabaseHandle & { cleanup(): Promise<void> }> {
  if (kind === 'postgres') {
    const database = await createTestDatabase();
    const handle = await openDatabase({ url: database.url, dataDir: tmpdir() });
    await migrateToLatest(handle.db);
    return { ...handle, cleanup: async () => { await handle.close(); await database.drop(); } };
  }
  const dir = mkdtempSync(join(tmpdir(), 'hoist-pglite-'));
  const handle = await openDatabase({ url: null, dataDir: dir });
  await migrateToLatest(handle.db);
  return { ...handle, cleanup: async () => { await handle.close(); rmSync(dir, { recursive: true, force: true }); } };
}

export function uniquePrefix(): string {
  return `hoist-test-${randomUUID().slice(0, 8)}`;
}
