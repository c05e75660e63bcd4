import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandText, parseArguments } from '../../src/cli/arguments.ts';
import { standardInput } from '../../src/cli/standard-input.ts';

const SPECS = [
  { name: '--server', takesValue: true },
  { name: '--headless', takesValue: false },
];

describe('command-line options', () => {
  it.each([
    [['--server', 'http://h:3000'], { '--server': 'http://h:3000' }],
    [['--server=http://h:3000', '--headless'], { '--server': 'http://h:3000', '--headless': true }],
    [[], {}],
  ])('%j', (argv, options) => {
    const parsed = parseArguments('start', argv, SPECS, true);
    expect(parsed.ok && Object.fromEntries(parsed.options)).toEqual(options);
  });

  it.each([
    [['--headles'], 'hoist start: unknown option "--headles" (valid: --server <value>, --headless)'],
    [['now'], 'hoist start: unexpected "now" (valid: --server <value>, --headless)'],
    [['--server'], 'hoist start: --server needs a value, such as --server=…'],
    [['--headless', '--headless'], 'hoist start: --headless is given twice'],
    [['--headless=yes'], 'hoist start: --headless takes no value'],
  ])('refuses %j', (argv, message) => {
    expect(parseArguments('start', argv, SPECS, true)).toEqual({ ok: false, message });
  });

  it('a command with no options says it takes none', () => {
    expect(parseArguments('worker', ['--headless'], [], true)).toEqual({ ok: false, message: 'hoist worker: unknown option "--headless" (it takes none)' });
  });

  it('not strict: other words and options are kept, in order, for the chat grammar', () => {
    const parsed = parseArguments('lock', ['lock', 'shop', '--server', 'http://h', 'in', 'prod', '--ttl', '2h'], SPECS, false);
    expect(parsed).toEqual({ ok: true, options: new Map([['--server', 'http://h']]), rest: ['lock', 'shop', 'in', 'prod', '--ttl', '2h'] });
  });

  it('puts the shell’s words back into one command, quoting those with spaces', () => {
    expect(commandText(['lock', 'shop', 'in', 'prod', '--reason', 'db migration'])).toBe('lock shop in prod --reason "db migration"');
    expect(commandText(['reject', '#4', 'say "no"'])).toBe(`reject #4 'say "no"'`);
    expect(commandText(['deploy', 'shop@v1.2', 'to', 'staging'])).toBe('deploy shop@v1.2 to staging');
  });
});

describe('standard input', () => {
  it('/dev/null and an empty file are no input; a file with commands is a stream', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoist-stdin-'));
    try {
      writeFileSync(join(dir, 'empty'), '');
      writeFileSync(join(dir, 'commands'), 'status\n');
      const kinds = ['/dev/null', join(dir, 'empty'), join(dir, 'commands')].map((path) => {
        const fd = openSync(path, 'r');
        try {
          return standardInput(fd);
        } finally {
          closeSync(fd);
        }
      });
      expect(kinds).toEqual(['none', 'none', 'stream']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
