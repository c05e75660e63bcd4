import { describe, expect, it } from 'vitest';
import { checkRef, DEPLOYABLE, isFullSha } from '../../src/domain/git-ref.ts';

describe('checkRef', () => {
  it.each(['main', 'v1.4.2', 'feature/login', 'release-2026.11', 'abc1234', 'a'.repeat(40), 'user/x_y', 'refs/heads/main', 'refs/tags/v1.4.2', 'HEADLINE', 'head', 'feature/HEAD', 'RELEASE'])('accepts %s', (ref) => {
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
  it.each([
    ['HEAD', 'pseudo-ref'],
    ['FETCH_HEAD', 'pseudo-ref'],
    ['ORIG_HEAD', 'pseudo-ref'],
    ['MERGE_HEAD', 'pseudo-ref'],
    ['CHERRY_PICK_HEAD', 'pseudo-ref'],
    ['REVERT_HEAD', 'pseudo-ref'],
    ['BISECT_HEAD', 'pseudo-ref'],
    ['AUTO_MERGE', 'pseudo-ref'],
    ['refs/remotes/origin/main', 'not a branch or a tag'],
    ['refs/stash', 'not a branch or a tag'],
    ['refs/notes/commits', 'not a branch or a tag'],
    ['refs/pull/12/head', 'not a branch or a tag'],
    ['refs/heads', 'not a branch or a tag'],
    ['@', '"@" alone'],
    ['@{-1}', '"@{"'],
    ['main@{yesterday}', '"@{"'],
    ['main~1', '~'],
    ['main^', '^'],
    ['main^{tree}', '^'],
    ['^main', '^'],
    ['a...b', '".."'],
    [':/fix', ':'],
  ])('refuses the revision expression or pseudo-ref %j (%s)', (ref, fragment) => {
    const result = checkRef(ref);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(fragment);
  });

  it('says what is deployable when it refuses a pseudo-ref or another namespace', () => {
    expect(checkRef('FETCH_HEAD')).toEqual({
      ok: false,
      reason: `"FETCH_HEAD" is a pseudo-ref of Hoist's own copy of the repository; deploy ${DEPLOYABLE}, or give no ref for the environment's branch`,
    });
    expect(checkRef('refs/remotes/origin/main')).toEqual({
      ok: false,
      reason: `"refs/remotes/origin/main" is not a branch or a tag (refs/heads/… or refs/tags/…); deploy ${DEPLOYABLE}`,
    });
    expect(DEPLOYABLE).toBe('a branch, a tag or a commit SHA (7 characters or more)');
  });

  it('knows a full SHA', () => {
    expect(isFullSha('0123456789abcdef0123456789abcdef01234567')).toBe(true);
    expect(isFullSha('0123456')).toBe(false);
  });
});
