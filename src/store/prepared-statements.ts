import { createHash } from 'node:crypto';
import pg from 'pg';

/**
 * A statement Hoist sends again and again is parsed and planned once per connection: as a
 * named prepared statement, named after its text. Unnamed (node-postgres' default), Postgres
 * parses and plans every statement each time it comes, which on Hoist's statements (common
 * table expressions over several tables) costs about as much CPU as running them.
 *
 * Only statements with parameters are named (the others go as a simple query, which may hold
 * several statements), and only from their second use in this process, so that one-off
 * statements (migrations, a rare report) take no room. A connection holds at most
 * MAX_NAMED_PER_CONNECTION of them; past that, statements go unnamed. Behind a pooler that
 * cannot keep them, they are turned off (see preparingClient).
 */
export const MAX_NAMED_PER_CONNECTION = 200;

/** Texts seen once, waiting for a second use; forgotten all at once when this many. */
const MAX_SEEN_ONCE = 2_000;

/** Texts the process names at most (Hoist's own are a few hundred); any beyond go unnamed. */
const MAX_NAMED_TEXTS = 2_000;

/** Whether Postgres refused a prepared statement because a table it reads changed shape (a migration of a newer version added a column). */
function isStalePlan(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error as { code?: unknown }).code === '0A000' &&
    error.message.includes('cached plan must not change result type')
  );
}

/** pg's query, without its overloads: the calls below take its promise form or pass the arguments through. */
type LooseQuery = (this: pg.Client, ...args: unknown[]) => unknown;

/** pg's own query, looked up when called (so that whatever wraps it, such as the bench's counter, still sees every statement). */
const baseQuery = (client: pg.Client, args: unknown[]): unknown => (pg.Client.prototype.query as unknown as LooseQuery).apply(client, args);

/**
 * The names this process gives to statement texts. A statement Postgres refused as stale gets
 * a new name (its generation), so that every connection prepares it again with the table's
 * new shape rather than each one failing on it once.
 */
class StatementNames {
  private readonly seen = new Set<string>();
  /** Each named text's name now (the hash is worked out once per text and generation). */
  private readonly names = new Map<string, { name: string; generation: number }>();

  /** The name for `text`, or null while it has been used only once. */
  nameFor(text: string): string | null {
    const named = this.names.get(text);
    if (named !== undefined) return named.name;
    if (!this.seen.has(text)) {
      if (this.seen.size >= MAX_SEEN_ONCE) this.seen.clear();
      this.seen.add(text);
      return null;
    }
    this.seen.delete(text);
    if (this.names.size >= MAX_NAMED_TEXTS) return null;
    const name = nameOf(text, 0);
    this.names.set(text, { name, generation: 0 });
    return name;
  }

  /** `text`'s prepared statement is stale: the next use prepares it under a new name. */
  renew(text: string): string {
    const generation = (this.names.get(text)?.generation ?? 0) + 1;
    const name = nameOf(text, generation);
    this.names.set(text, { name, generation });
    return name;
  }
}

const nameOf = (text: string, generation: number): string => `hoist_${createHash('sha1').update(text).digest('hex').slice(0, 24)}_${generation}`;

/**
 * Whether Postgres says a statement this connection prepared does not exist there, or one it
 * prepares exists already: a pooler in transaction mode (PgBouncer before 1.21, or without
 * `max_prepared_statements`) sends each transaction to any of its server connections.
 */
function isPooledAway(error: unknown): boolean {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return code === '26000' || code === '42P05';
}

/**
 * The `Client` class a pg Pool makes its connections with: statements with parameters go
 * as named prepared statements (see above). One set of names per process and pool, so a
 * statement has the same name on every connection. A pooler that cannot keep prepared
 * statements (see isPooledAway) turns them off for the pool: `onUnprepared` is told once, and
 * the statement that met it is sent again unnamed when it was outside a transaction.
 */
export function preparingClient(options: { onUnprepared?: (error: Error) => void } = {}): typeof pg.Client {
  const names = new StatementNames();
  let off = false;
  class PreparingClient extends pg.Client {
    /** The names this connection has prepared. */
    readonly prepared = new Set<string>();

    /** The name to send `text` under on this connection, or null: unnamed. */
    named(text: string): string | null {
      if (off) return null;
      const name = names.nameFor(text);
      if (name === null) return null;
      if (this.prepared.has(name)) return name;
      if (this.prepared.size >= MAX_NAMED_PER_CONNECTION) return null;
      this.prepared.add(name);
      return name;
    }
  }
  // The promise form with text and values is what Kysely sends; every other form passes through.
  const query = function (this: PreparingClient, ...args: unknown[]): unknown {
    const [text, values] = args;
    if (typeof text !== 'string' || !Array.isArray(values) || values.length === 0 || args.length > 2) return baseQuery(this, args);
    const name = this.named(text);
    if (name === null) return baseQuery(this, args);
    const run = (statement: string) => baseQuery(this, [{ name: statement, text, values }]) as Promise<pg.QueryResult>;
    return run(name).catch((error: unknown) => {
      // Sent outside a transaction (the connection was idle before it, as its last answer said:
      // Postgres' refusal comes before its answer to this statement, and one statement with
      // parameters never begins a transaction), a statement refused below can be sent again at
      // once. Inside one, the transaction is lost (Postgres aborted it) and its caller's next
      // try goes the new way.
      const idle = this.getTransactionStatus() === 'I';
      if (isPooledAway(error)) {
        if (!off) {
          off = true;
          options.onUnprepared?.(error as Error);
        }
        if (!idle) throw error;
        return baseQuery(this, [text, values]) as Promise<pg.QueryResult>;
      }
      if (!isStalePlan(error)) throw error;
      const renewed = names.renew(text);
      this.prepared.add(renewed);
      if (!idle) throw error;
      return run(renewed);
    });
  };
  (PreparingClient.prototype as unknown as { query: LooseQuery }).query = query as LooseQuery;
  return PreparingClient;
}
