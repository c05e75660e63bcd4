import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseCommand, usageOf } from '../../src/bot/grammar.ts';
import { createShellEdge } from '../../src/bot/shell/shell-edge.ts';
import { memoryHoist } from './memory-hoist.ts';

const MEGABYTE = 1 << 20;

describe('a command longer than Hoist reads', () => {
  it('is read up to 4,000 characters and refused past them, naming the length and the limit without quoting it', () => {
    const padded = (length: number) => `lock shop in staging --reason "${'x'.repeat(length - 'lock shop in staging --reason ""'.length)}"`;
    expect(padded(4_000)).toHaveLength(4_000);
    expect(parseCommand(padded(4_000))).toMatchObject({ ok: false, reason: 'the reason is longer than 500 characters' });
    expect(parseCommand(padded(4_001))).toEqual({
      ok: false,
      reason: 'this command is 4,001 characters long; Hoist reads commands of up to 4,000 characters',
      usage: usageOf('help'),
      suggestion: null,
    });
    expect(parseCommand('x'.repeat(MEGABYTE), 'deploy')).toMatchObject({ ok: false, reason: expect.stringContaining('is 1,048,576 characters long') });
  });

  it('gets a short answer in the shell', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    output.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const hoist = memoryHoist();
    const shell = createShellEdge({ input, output, api: hoist.api, user: 'alice', interactive: false, pollMs: 20 });
    input.end(`deploy ${'x'.repeat(MEGABYTE)} to local\n`);
    expect(await shell.done).toBe(1);
    expect(printed.length).toBeLessThan(300);
    expect(printed).toContain('this command is 1,048,592 characters long; Hoist reads commands of up to 4,000 characters.');
    expect(printed).toContain('Usage: `help [<command>]`');
    expect(hoist.requests).toHaveLength(0);
  });
});
