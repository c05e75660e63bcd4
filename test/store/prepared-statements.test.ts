import { tmpdir } from 'node:os';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { MAX_NAMED_PER_CONNECTION } from '../../src/store/prepared-statements.ts';
import { createTestDatabase } from '../support/databases.ts';

/** The protocol-level prepared statements of the one connection a pool of one holds. */
async function preparedNames(handle: DatabaseHandle): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from pg_prepared_statements order by name`.execute(handle.db);
  return rows.map((r) => r.name);
}

describe('named prepared statements (Postgres)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let admin: pg.Client;
  const handles: DatabaseHandle[] = [];
  const open = async (preparedStatements?: boolean, onUnprepared?: (error: Error) => void) => {
    const handle = await openDatabase({
      url: database.url,
      dataDir: tmpdir(),
      poolSize: 1,
      ...(preparedStatements === undefined ? {} : { preparedStatements }),
      ...(onUnprepared === undefined ? {} : { onUnprepared }),
    });
    handles.push(handle);
    return handle;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query('create table boxes (id int primary key, name text not null)');
    await admin.query("insert into boxes values (1, 'one'), (2, 'two')");
  });
  afterAll(async () => {
    for (const handle of handles) await handle.close();
    await admin.end();
    await database.drop();
  });

  it('prepares a statement with parameters from its second use, once per connection, and runs it with each use’s values', async () => {
    const handle = await open();
    const byId = (id: number) => handle.db.selectFrom('boxes' as never).select(sql<string>`name`.as('name')).where(sql.ref('id'), '=', id).executeTakeFirst();
    expect(await byId(1)).toEqual({ name: 'one' });
    expect(await preparedNames(handle)).toEqual([]);
    expect(await byId(2)).toEqual({ name: 'two' });
    const prepared = await preparedNames(handle);
    expect(prepared).toHaveLength(1);
    expect(prepared[0]).toMatch(/^hoist_[0-9a-f]{24}_0$/);
    expect(await byId(1)).toEqual({ name: 'one' });
    expect(await byId(3)).toBeUndefined();
    expect(await preparedNames(handle)).toEqual(prepared);
  });

  it('sends statements without parameters, and several in one message, as before', async () => {
    const handle = await open();
    for (let i = 0; i < 3; i += 1) {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from boxes`.execute(handle.db);
      expect(rows).toEqual([{ n: 2 }]);
    }
    await handle.db.connection().execute(async (connection) => {
      await sql`begin; select pg_advisory_xact_lock(1, 2)`.execute(connection);
      await sql`commit`.execute(connection);
    });
    expect(await preparedNames(handle)).toEqual([]);
  });

  it('prepares nothing when turned off (DATABASE_PREPARED_STATEMENTS=off)', async () => {
    const handle = await open(false);
    for (let i = 0; i < 3; i += 1) await handle.db.selectFrom('boxes' as never).select(sql<string>`name`.as('name')).where(sql.ref('id'), '=', 1).execute();
    expect(await preparedNames(handle)).toEqual([]);
  });

  it(`holds at most ${MAX_NAMED_PER_CONNECTION} per connection; the others go unnamed and still answer`, async () => {
    const handle = await open();
    const distinct = MAX_NAMED_PER_CONNECTION + 20;
    for (let round = 0; round < 2; round += 1) {
      for (let i = 0; i < distinct; i += 1) {
        const { rows } = await sql<{ v: number }>`select ${sql.raw(String(i))} + ${1}::int as v`.execute(handle.db);
        expect(rows).toEqual([{ v: i + 1 }]);
      }
    }
    expect(await preparedNames(handle)).toHaveLength(MAX_NAMED_PER_CONNECTION);
  });

  it('a prepared statement whose table a migration changed is prepared anew and answers with the new shape', async () => {
    await admin.query('create table crates (id int primary key, name text not null)');
    await admin.query("insert into crates values (1, 'one')");
    const handle = await open();
    const read = () => sql<Record<string, unknown>>`select * from crates where id = ${1}`.execute(handle.db);
    await read();
    expect((await read()).rows).toEqual([{ id: 1, name: 'one' }]);
    // What a newer version's migration does while this process runs.
    await admin.query("alter table crates add column size text not null default 'small'");
    expect((await read()).rows).toEqual([{ id: 1, name: 'one', size: 'small' }]);
    expect(await preparedNames(handle)).toEqual(expect.arrayContaining([expect.stringMatching(/_1$/)]));
  });

  it('inside a transaction the stale statement fails the transaction; the next try prepares anew', async () => {
    await admin.query('create table bins (id int primary key, name text not null)');
    await admin.query("insert into bins values (1, 'one')");
    const handle = await open();
    const read = (db: DatabaseHandle['db']) => sql<Record<string, unknown>>`select * from bins where id = ${1}`.execute(db);
    await read(handle.db);
    await read(handle.db);
    await admin.query('alter table bins add column size int');
    await expect(handle.db.transaction().execute((trx) => read(trx))).rejects.toThrow(/cached plan must not change result type/);
    expect((await handle.db.transaction().execute((trx) => read(trx))).rows).toEqual([{ id: 1, name: 'one', size: null }]);
  });

  it('a statement Postgres no longer knows (a pooler sent it to another connection) turns them off: told once, sent again unnamed', async () => {
    const told: Error[] = [];
    const handle = await open(undefined, (error) => told.push(error));
    const byId = (id: number) => sql<{ name: string }>`select name from boxes where id = ${id}`.execute(handle.db);
    await byId(1);
    await byId(1);
    expect(await preparedNames(handle)).toHaveLength(1);
    // What a server connection behind PgBouncer 1.18 in transaction mode looks like: not the one it was prepared on.
    await sql`deallocate all`.execute(handle.db);
    expect((await byId(2)).rows).toEqual([{ name: 'two' }]);
    expect(told).toHaveLength(1);
    expect(told[0]?.message).toMatch(/prepared statement "hoist_[0-9a-f]+_0" does not exist/);
    // From now on nothing is prepared, and nothing more is told.
    for (let i = 0; i < 3; i += 1) await byId(1);
    await sql`select count(*) from boxes where id > ${0}`.execute(handle.db);
    await sql`select count(*) from boxes where id > ${0}`.execute(handle.db);
    expect(await preparedNames(handle)).toEqual([]);
    expect(told).toHaveLength(1);
  });

  it('inside a transaction that refusal fails the transaction; the next try goes unnamed', async () => {
    const handle = await open(undefined, () => undefined);
    const byId = (db: DatabaseHandle['db'], id: number) => sql<{ name: string }>`select name from boxes where id = ${id} and name <> ${'x'}`.execute(db);
    await byId(handle.db, 1);
    await byId(handle.db, 1);
    await sql`deallocate all`.execute(handle.db);
    await expect(handle.db.transaction().execute((trx) => byId(trx, 1))).rejects.toThrow(/does not exist/);
    expect((await handle.db.transaction().execute((trx) => byId(trx, 2))).rows).toEqual([{ name: 'two' }]);
  });
});
