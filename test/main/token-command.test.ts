import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.ts';
import { tokenCommand } from '../../src/main/token-command.ts';
import { createTokenService } from '../../src/service/api-tokens.ts';
import { openDatabase } from '../../src/store/database.ts';

/** `hoist token …` on an embedded database of its own, its output captured. */
describe('hoist token', () => {
  let dir: string;
  const env = () => parseEnv({ HOIST_DATA_DIR: join(dir, 'data'), HOIST_ADMIN_TOKEN_FILE: '.hoist/admin-token', PORT: '8080' });
  const run = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const sink = (write: (s: string) => void) => ({ write: (s: string) => (write(s), true) }) as unknown as NodeJS.WritableStream;
    const code = await tokenCommand(argv, env(), sink((s) => (out += s)), sink((s) => (err += s)));
    return { code, out, err };
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hoist-token-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a token and prints its secret once, alone on stdout; list shows it without the secret; revoke ends it', async () => {
    const made = await run('create', '--name', 'ci', '--scopes', 'read,deploy', '--apps', 'shop', '--envs', 'staging,production', '--as', 'U0ALICE', '--expires', '90d');
    expect(made.code).toBe(0);
    const secret = made.out.trim();
    expect(secret).toMatch(/^hoist_[A-Za-z0-9_-]{43}$/);
    expect(made.err).toContain('token "ci" created: scopes read, deploy; shop; staging, production; acts as U0ALICE; expires 20');
    expect(made.err).not.toContain(secret);

    await run('create', '--name', 'reader', '--scopes', 'read');
    const listed = await run('list');
    expect(listed.code).toBe(0);
    expect(listed.out).not.toContain(secret);
    const [header, ci, reader] = listed.out.trim().split('\n');
    expect(header).toMatch(/^NAME\s+SCOPES\s+APPS\s+ENVS\s+ACTS AS\s+EXPIRES\s+LAST USED\s+REVOKED\s+FROM$/);
    expect(ci).toMatch(/^ci\s+read,deploy\s+shop\s+staging,production\s+U0ALICE\s+20\S+\s+never\s+-\s+cli$/);
    expect(reader).toMatch(/^reader\s+read\s+\*\s+\*\s+itself \(token:reader\)\s+never\s+never\s+-\s+cli$/);

    // The secret printed is the one Hoist accepts.
    const database = await openDatabase({ url: null, dataDir: join(dir, 'data') });
    try {
      const checked = await createTokenService({ db: database.db }).authenticate(secret);
      expect(checked).toMatchObject({ ok: true, token: { name: 'ci', scopes: ['read', 'deploy'], apps: ['shop'], actAs: 'U0ALICE' } });
    } finally {
      await database.close();
    }

    expect(await run('revoke', 'ci')).toMatchObject({ code: 0, out: 'token "ci" revoked: requests with it get 401 from now on\n' });
    expect((await run('list')).out).toMatch(/\nci\s.*\s20\S+Z\s+cli\n/);
    expect(await run('revoke', 'ci')).toMatchObject({ code: 1, err: 'hoist token: token "ci" is revoked already\n' });
    expect(await run('revoke', 'nobody')).toMatchObject({ code: 1, err: 'hoist token: no token named "nobody"; tokens: reader\n' });
  });

  it.each([
    [['create', '--scopes', 'read'], '--name: a token needs a name (such as ci)'],
    [['create', '--name', 'x', '--scopes', 'read,push'], '--scopes: unknown scope "push"; scopes: read, deploy, cancel, approve, lock, admin'],
    [['create', '--name', 'x'], '--scopes: a token needs at least one scope'],
    [['create', '--name', 'x', '--scopes', 'read', '--expires', '90x'], '--expires: "90x" is not a duration: use such as 90d, 12h or 30m'],
    [['create', '--name', 'x', '--scopes', 'read', '--color'], "Unknown option '--color'"],
    [['list', '--name', 'x'], '--name is for `hoist token create`'],
    [['revoke'], 'give the name of the token to revoke'],
    [['rotate'], 'unknown command "rotate"'],
    [['list', '--server', 'http://127.0.0.1:1'], '--server and --token go together'],
  ])('refuses %j with exit code 2, saying what would work', async (argv, message) => {
    const result = await run(...argv);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
    expect(result.err).toContain('usage: hoist token');
  });

  it('refuses a name in use, and gives it again once its token is revoked', async () => {
    expect((await run('create', '--name', 'twice', '--scopes', 'read')).code).toBe(0);
    expect(await run('create', '--name', 'twice', '--scopes', 'read')).toMatchObject({
      code: 1,
      err: 'hoist token: a token named "twice" exists: pick another name, or revoke it first (`hoist token revoke twice`)\n',
    });
    await run('revoke', 'twice');
    expect((await run('create', '--name', 'twice', '--scopes', 'deploy')).code).toBe(0);
  });

  it('says so when a running Hoist holds the embedded database, and how to go through its API', async () => {
    const running = await openDatabase({ url: null, dataDir: join(dir, 'data') });
    try {
      const result = await run('list');
      expect(result.code).toBe(1);
      expect(result.err).toContain(`the embedded database in ${join(dir, 'data', 'pgdata')} is in use by another Hoist process (pid ${process.pid})`);
      expect(result.err).toContain('hoist token list --server http://127.0.0.1:8080 --token "$(cat .hoist/admin-token)"');
    } finally {
      await running.close();
    }
    expect((await run('list')).code).toBe(0);
  });
});
