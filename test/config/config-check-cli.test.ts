import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'hoist-config-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('hoist config check answers an alias bomb with the file and line, not a stack trace', async () => {
  const file = join(dir, 'hoist.yaml');
  const laughs = Array.from({ length: 9 }, (_, level) =>
    level === 0 ? '  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]' : `  a${level}: &a${level} [${Array(9).fill(`*a${level - 1}`).join(', ')}]`,
  );
  writeFileSync(file, ['targets:', '  edge: { kind: docker }', 'laughs:', ...laughs, 'apps: {}', ''].join('\n'));
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [join(ROOT, 'bin/hoist.mjs'), 'config', 'check'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', HOIST_CONFIG: file },
    }, (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }));
  });
  // Like every other configuration error: one line naming the file, the line and the path, and exit code 2.
  expect(result.stderr).toBe(
    `hoist: ${file}:7: laughs.a3.0: the alias *a2 repeats its anchor more than 100 times over (an alias bomb); write the values out or repeat less\n`,
  );
  expect(result.code).toBe(2);
});
