import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/bot/grammar.ts';

describe('lock --ttl', () => {
  it.each([
    ['lock shop in production --reason "incident 88" --ttl 2h', { reason: 'incident 88', ttlMs: 7_200_000 }],
    ['lock shop in production --ttl 3s --reason demo', { reason: 'demo', ttlMs: 3_000 }],
    ['lock shop in production --ttl=1h30m', { reason: null, ttlMs: 5_400_000 }],
  ])('%s', (text, expected) => {
    expect(parseCommand(text)).toEqual({ ok: true, command: { verb: 'lock', app: 'shop', env: 'production', ...expected } });
  });

  it('leaves ttlMs out when --ttl is not given', () => {
    expect(parseCommand('lock shop in production')).toEqual({ ok: true, command: { verb: 'lock', app: 'shop', env: 'production', reason: null } });
  });

  it.each([
    ['lock shop in production --ttl', 'expected a duration after `--ttl`, such as `--ttl 2h`'],
    ['lock shop in production --ttl soon', '`soon` is not a duration: use a number and s, m, h or d, such as `90s`, `30m`, `2h` or `1h30m`'],
    ['lock shop in production --ttl 1h --ttl 2h', '`--ttl` is given twice'],
  ])('refuses %j', (text, reason) => {
    expect(parseCommand(text)).toMatchObject({ ok: false, reason });
  });

  it('suggests --ttl for a typo', () => {
    expect(parseCommand('lock shop in production --tll 2h')).toMatchObject({ ok: false, suggestion: '--ttl' });
  });
});
