import { parseArgs } from 'node:util';
import type { Env } from '../config/env.ts';
import { ConfigError } from '../config/errors.ts';
import { SCOPES } from '../domain/api-token.ts';
import { tokenRecordJson, type ApiTokenRecord, type TokenGrant } from '../domain/api-token-record.ts';
import { parseGrant, type GrantInput } from '../domain/token-grant.ts';
import { createTokenService, type TokenService } from '../service/api-tokens.ts';
import { openDatabase } from '../store/database.ts';
import { migrateToLatest } from '../store/migrator.ts';

export const TOKEN_USAGE = `usage: hoist token <create|list|revoke> [--server URL --token SECRET]

  token create --name ci --scopes read,deploy [--apps shop] [--envs staging,production]
               [--as U0ALICE] [--expires 90d]
                 prints the new token's secret once (Hoist keeps only its hash)
  token list     every token: scopes, apps, environments, whom it acts as, expiry, last use
  token revoke <name>

  Scopes: ${SCOPES.join(', ')}. Without --server the command works on Hoist's database
  (DATABASE_URL, or the embedded one in HOIST_DATA_DIR); with --server URL and an admin
  --token it goes through that Hoist's API.`;

/** A token as the commands print it, read from the database or from the API alike. */
interface TokenRow {
  name: string;
  scopes: string[];
  apps: string[] | null;
  envs: string[] | null;
  actAs: string | null;
  origin: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; message: string };

/** What the commands need, from the database or from a running Hoist's API. */
interface TokenBackend {
  /** `expiresIn` as given (the API works the expiry out itself). */
  create(grant: TokenGrant, expiresIn: string | null): Promise<Outcome<{ token: TokenRow; secret: string }>>;
  list(): Promise<Outcome<TokenRow[]>>;
  revoke(name: string): Promise<Outcome<TokenRow>>;
  close(): Promise<void>;
}

const FLAG_OF: Record<keyof GrantInput, string> = { name: '--name', scopes: '--scopes', apps: '--apps', envs: '--envs', actAs: '--as', expiresIn: '--expires' };
const csv = (value: string | undefined) => (value === undefined ? null : value.split(','));

/** `hoist token …`: the exit code (0 done, 1 refused, 2 a usage mistake); output on stdout, messages on stderr. */
export async function tokenCommand(argv: string[], env: Env, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        scopes: { type: 'string' },
        apps: { type: 'string' },
        envs: { type: 'string' },
        as: { type: 'string' },
        expires: { type: 'string' },
        server: { type: 'string' },
        token: { type: 'string' },
      },
    });
  } catch (error) {
    err.write(`hoist token: ${(error as Error).message}\n\n${TOKEN_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [sub, ...rest] = positionals;
  const usage = (message: string) => {
    err.write(`hoist token ${sub ?? ''}: ${message}\n\n${TOKEN_USAGE}\n`.replace('token : ', 'token: '));
    return 2;
  };
  if (sub === 'help') {
    out.write(`${TOKEN_USAGE}\n`);
    return 0;
  }
  if (sub !== 'create' && sub !== 'list' && sub !== 'revoke') return usage(sub === undefined ? 'give a command: create, list or revoke' : `unknown command "${sub}"`);
  if (sub === 'revoke' ? rest.length !== 1 : rest.length > 0) return usage(sub === 'revoke' ? 'give the name of the token to revoke: hoist token revoke <name>' : `unexpected "${rest.join(' ')}"`);
  if ((values.server === undefined) !== (values.token === undefined)) return usage('--server and --token go together: the URL of a running Hoist and an admin token of it');

  let grant: TokenGrant | null = null;
  if (sub === 'create') {
    const input: GrantInput = { name: values.name, scopes: csv(values.scopes), apps: csv(values.apps), envs: csv(values.envs), actAs: values.as, expiresIn: values.expires };
    const checked = parseGrant(input, new Date());
    if (!checked.ok) return usage(`${FLAG_OF[checked.field]}: ${checked.reason}`);
    grant = checked.grant;
  } else {
    const misplaced = (['name', 'scopes', 'apps', 'envs', 'as', 'expires'] as const).filter((k) => values[k] !== undefined);
    if (misplaced.length > 0) return usage(`--${misplaced[0]} is for \`hoist token create\``);
  }

  let backend: TokenBackend;
  try {
    backend = values.server !== undefined ? apiBackend(values.server, values.token!) : await databaseBackend(env);
  } catch (error) {
    if (error instanceof ConfigError && error.code === 'DATABASE_IN_USE') {
      err.write(`hoist token: ${error.message}.\nTo manage tokens while it runs, go through its API with its admin token:\n  hoist token ${argv.join(' ')} --server http://127.0.0.1:${env.port} --token "$(cat ${env.adminTokenFile ?? '<admin token file>'})"\n`);
      return 1;
    }
    throw error;
  }
  try {
    if (sub === 'create') {
      const made = await backend.create(grant!, values.expires ?? null);
      if (!made.ok) return refused(err, made.message);
      err.write(`token "${made.value.token.name}" created: ${describe(made.value.token)}\nIts secret, shown this once (Hoist keeps only its hash); send it as "Authorization: Bearer <secret>":\n`);
      out.write(`${made.value.secret}\n`);
      return 0;
    }
    if (sub === 'list') {
      const listed = await backend.list();
      if (!listed.ok) return refused(err, listed.message);
      out.write(listed.value.length === 0 ? 'no API tokens yet: hoist token create --name ci --scopes read\n' : table(listed.value));
      return 0;
    }
    const revoked = await backend.revoke(rest[0]!);
    if (!revoked.ok) return refused(err, revoked.message);
    out.write(`token "${revoked.value.name}" revoked: requests with it get 401 from now on\n`);
    return 0;
  } finally {
    await backend.close();
  }
}

function refused(err: NodeJS.WritableStream, message: string): number {
  err.write(`hoist token: ${message}\n`);
  return 1;
}

const all = (list: string[] | null, what: string) => (list === null ? `every ${what}` : list.join(', '));
const actsAs = (t: TokenRow) => t.actAs ?? `itself (token:${t.name})`;

function describe(t: TokenRow): string {
  return `scopes ${t.scopes.join(', ')}; ${all(t.apps, 'app')}; ${all(t.envs, 'environment')}; acts as ${actsAs(t)}; ${t.expiresAt === null ? 'does not expire' : `expires ${t.expiresAt}`}`;
}

function table(tokens: TokenRow[]): string {
  const rows = [
    ['NAME', 'SCOPES', 'APPS', 'ENVS', 'ACTS AS', 'EXPIRES', 'LAST USED', 'REVOKED', 'FROM'],
    ...tokens.map((t) => [t.name, t.scopes.join(','), t.apps?.join(',') ?? '*', t.envs?.join(',') ?? '*', actsAs(t), t.expiresAt ?? 'never', t.lastUsedAt ?? 'never', t.revokedAt ?? '-', t.origin]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

const row = (t: ApiTokenRecord): TokenRow => tokenRecordJson(t);

async function databaseBackend(env: Env): Promise<TokenBackend> {
  const database = await openDatabase({ url: env.databaseUrl, dataDir: env.dataDir, poolSize: env.databasePoolSize, preparedStatements: env.databasePreparedStatements });
  let tokens: TokenService;
  try {
    await migrateToLatest(database.db);
    tokens = createTokenService({ db: database.db });
  } catch (error) {
    await database.close();
    throw error;
  }
  return {
    async create(grant) {
      const made = await tokens.create(grant, 'cli');
      return made.ok ? { ok: true, value: { token: row(made.token), secret: made.secret } } : { ok: false, message: made.reason };
    },
    async list() {
      return { ok: true, value: (await tokens.list()).map(row) };
    },
    async revoke(name) {
      const revoked = await tokens.revoke(name);
      return revoked.ok ? { ok: true, value: row(revoked.token) } : { ok: false, message: revoked.reason };
    },
    close: () => database.close(),
  };
}

function apiBackend(server: string, token: string): TokenBackend {
  const base = `${server.replace(/\/+$/, '')}/api/v1/tokens`;
  const call = async <T>(path: string, init: RequestInit = {}): Promise<Outcome<T>> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    } catch (error) {
      return { ok: false, message: `no answer from ${server}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}` };
    }
    const body = (await res.json().catch(() => null)) as (T & { error?: { message: string } }) | null;
    if (res.ok && body !== null) return { ok: true, value: body };
    return { ok: false, message: body?.error?.message ?? `${server} answered ${res.status}` };
  };
  return {
    async create(grant, expiresIn) {
      const body = { name: grant.name, scopes: grant.scopes, apps: grant.apps ?? undefined, envs: grant.envs ?? undefined, actAs: grant.actAs ?? undefined, expiresIn: expiresIn ?? undefined };
      return call('', { method: 'POST', body: JSON.stringify(body) });
    },
    async list() {
      const listed = await call<{ items: TokenRow[] }>('');
      return listed.ok ? { ok: true, value: listed.value.items } : listed;
    },
    async revoke(name) {
      const revoked = await call<{ token: TokenRow }>(`/${encodeURIComponent(name)}`, { method: 'DELETE' });
      return revoked.ok ? { ok: true, value: revoked.value.token } : revoked;
    },
    close: async () => undefined,
  };
}
