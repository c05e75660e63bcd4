import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = join('test', 'fixtures', 'size-and-copies');

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
