import { describe, expect, it } from 'vitest';
import { checkRef, isFullSha } from '../../src/domain/git-ref.ts';

describe('checkRef', () => {
  it.each(['main', 'v1.4.2', 'feature/login', 'release-2026.11', 'abc1234', 'a'.repeat(40), 'user/x_y'])('accepts %s', (ref) => {
    expect(checkRef(ref)).toEqual({ ok: true });
  });
  it.each([
    ['--upload-pack=x', 'starts with "-"'],
    ['-x', 'starts with "-"'],
    ['a..b', 'contains ".."'],
    ['x.lock', 'ending with ".lock"'],
    ['dir/x.lock/y', 'ending with ".lock"'],
    ['.hidden', 'starting with "."'],
    ['a/.b', 'starting with "."'],
    ['a b', 'space'],
    ['a~1', '~'],
    ['a^', '^'],
    ['a:b', ':'],
    ['a?', '?'],
    ['a*', '*'],
    ['a[', '['],
    ['a\\b', '\\'],
    ['a@{1}', '"@{"'],
    ['@', '"@" alone'],
    ['/a', 'empty path component'],
    ['a/', 'empty path component'],
    ['a//b', 'empty path component'],
    ['a.', 'ends with "."'],
    ['', 'empty'],
    ['a\x01b', 'control'],
  ])('refuses %j (%s)', (ref, fragment) => {
    const result = checkRef(ref);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(fragment);
  });
  it('knows a full SHA', () => {
    expect(isFullSha('0123456789abcdef0123456789abcdef01234567')).toBe(true);
    expect(isFullSha('0123456')).toBe(false);
  });
});
