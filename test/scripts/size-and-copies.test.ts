import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
let fixtures = '';

/** A file of `lines` lines, sharing no run of lines with anything (each line differs). */
function steps(lines: number): string {
  const values = Array.from({ length: lines - 3 }, (_, i) => `  ${(i + 1) * 7},`);
  return ['// A file of exactly this many lines, for the size check.', 'export const steps: readonly number[] = [', ...values, '];', ''].join('\n');
}

// The kept fixtures hold the copy; the long files are written here, at the limit and one line over it.
beforeAll(() => {
  fixtures = mkdtempSync(join(tmpdir(), 'hoist-size-and-copies-'));
  cpSync(join(root, 'test', 'fixtures', 'size-and-copies'), fixtures, { recursive: true });
  writeFileSync(join(fixtures, 'clean', 'steps.ts'), steps(400));
  writeFileSync(join(fixtures, 'dirty', 'steps.ts'), steps(401));
});
afterAll(() => {
  if (fixtures !== '') rmSync(fixtures, { recursive: true, force: true });
});

/** Runs a check from the project root, as `npm run check` does, on one directory. */
function check(command: string, args: string[]): { code: number | null; output: string } {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  // eslint-disable-next-line no-control-regex -- terminal colours, whatever the tool decides
  return { code: result.status, output: `${result.stdout}${result.stderr}`.replace(/\x1b\[[0-9;]*m/g, '') };
}
const size = (dir: string) => check(process.execPath, ['scripts/check-size.mjs', join(fixtures, dir)]);
const copies = (dir: string) => check(join('node_modules', '.bin', 'jscpd'), [join(fixtures, dir)]);

describe('npm run check: file size and copies', () => {
  it('fails on a file over 400 lines, naming it and its line count', () => {
    const result = size('dirty');
    expect(result.code).toBe(1);
    expect(result.output).toContain(`${join(fixtures, 'dirty', 'steps.ts')}: 401 lines`);
    expect(result.output).not.toContain('invoices.ts');
  });

  it('passes a file of exactly 400 lines', () => {
    expect(size('clean')).toMatchObject({ code: 0 });
  });

  it('fails on a block of six or more lines in two files, naming both', () => {
    const result = copies('dirty');
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/invoices\.ts \[8:\d+ - 17:\d+\] \(10 lines/);
    expect(result.output).toMatch(/receipts\.ts \[4:\d+ - 13:\d+\]/);
    expect(result.output).toContain('Found 1 clones.');
  });

  it('passes a directory without copies', () => {
    const result = copies('clean');
    expect(result).toMatchObject({ code: 0 });
    expect(result.output).toContain('Found 0 clones.');
  });
});
