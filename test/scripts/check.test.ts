import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/dependency-checks');
const run = promisify(execFile);

/** Runs a check as `npm run check` does; the exit code and everything it printed. */
async function check(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

/** The project's lint configuration on a fixture tree (its eslint.config.js re-exports ours). */
const lint = (fixture: string) => check([join(ROOT, 'node_modules/eslint/bin/eslint.js'), 'src'], join(FIXTURES, fixture));
const checkDeps = (fixture: string) => check([join(ROOT, 'scripts/check-deps.mjs'), join(FIXTURES, fixture)], ROOT);

describe('the dependency checks', () => {
  it('pass a tree whose imports point one way', async () => {
    expect(await lint('clean')).toMatchObject({ code: 0 });
    const deps = await checkDeps('clean');
    expect(deps.code).toBe(0);
    expect(deps.output).toContain('3 files, no cycles');
  });

  it('refuse a store module that imports from the service layer, even a type', async () => {
    const { code, output } = await lint('store-imports-service');
    expect(code).toBe(1);
    expect(output).toContain('src/store/events.ts');
    expect(output).toContain("'../service/feeds.ts' import is restricted");
    expect(output).toContain('the store depends on the domain and config only');
  });

  it('refuse an import cycle made of type-only imports', async () => {
    const { code, output } = await checkDeps('type-cycle');
    expect(code).toBe(1);
    expect(output).toContain('import cycle: src/bot/interpret.ts → src/bot/operations.ts → src/bot/interpret.ts');
  });
});
