import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/databases.ts';
import { hoistVars } from '../support/hoist-harness.ts';
import { runHoist, startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';

const YAML = `targets:
  engine: { kind: docker }
apps:
  shop:
    repo: .
    services:
      web: { type: container, image: "example.com/web:1" }
    environments:
      local: { target: engine }
`;


describe('headless runs: no terminal chat, the API and workers until a signal', () => {
  let dir: string;
  let database: { url: string; drop(): Promise<void> };
  let vars: Record<string, string>;
  let running: WorkerProcess | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hoist-headless-'));
    writeFileSync(join(dir, 'hoist.yaml'), YAML);
    database = await createTestDatabase();
    vars = hoistVars(dir, database.url);
  });

  afterEach(async () => {
    running?.kill('SIGKILL');
    await running?.exited;
    running = null;
  });

  afterAll(async () => {
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Answers /healthz while it runs, and exits 0 on SIGTERM. */
  async function expectServesUntilSignal(hoist: WorkerProcess): Promise<void> {
    const port = /running on http:\/\/127\.0\.0\.1:(\d+), headless/.exec(hoist.output())?.[1];
    expect(port, hoist.output()).toBeDefined();
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    hoist.kill('SIGTERM');
    expect(await hoist.exited).toBe(0);
    expect(hoist.output()).toContain('SIGTERM, stopping');
  }

  it('`hoist start` with /dev/null as standard input (a container) stays up headless', async () => {
    running = await startWorkerProcess(vars, 'start', { stdin: 'ignore' });
    await expectServesUntilSignal(running);
  });

  it('`hoist start --headless` runs without the terminal chat, whatever its input', async () => {
    running = await startWorkerProcess(vars, 'start', { args: ['--headless'], stdin: 'pipe' });
    await expectServesUntilSignal(running);
  });

  it('`hoist start` whose piped input ends before any command keeps running headless', async () => {
    running = await startWorkerProcess(vars, 'start', { stdin: 'end' });
    expect(running.output()).toContain('standard input ended before any command');
    await expectServesUntilSignal(running);
  });

  it('`hoist server --headless` is accepted', async () => {
    running = await startWorkerProcess(vars, 'server', { args: ['--headless'], stdin: 'ignore' });
    await expectServesUntilSignal(running);
  });

  it('piped commands still run and the process exits with their outcome', async () => {
    const ok = await runHoist(['start'], vars, 'status shop\n');
    expect(ok.stdout).toContain('shop/local');
    expect(ok.code).toBe(0);
    const refused = await runHoist(['start'], vars, 'deplyo shop to local\n');
    expect(refused.stdout).toMatch(/did you mean/i);
    expect(refused.code).toBe(1);
  });

  it('piped commands on a first start say once where the local admin token is, on standard error', async () => {
    const tokenVars = { ...vars, HOIST_ADMIN_TOKEN_FILE: join(dir, 'admin-token') };
    const first = await runHoist(['start'], tokenVars, 'status shop\n');
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`an admin API token is in ${join(dir, 'admin-token')}`);
    expect(first.stdout).not.toContain('admin API token');
    const again = await runHoist(['start'], tokenVars, 'status shop\n');
    expect(again.stderr).not.toContain('admin API token');
  });

  it('an unknown flag is a usage mistake that lists the valid ones', async () => {
    const result = await runHoist(['start', '--headles'], vars, '');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('hoist start: unknown option "--headles" (valid: --headless)');
  });
});
