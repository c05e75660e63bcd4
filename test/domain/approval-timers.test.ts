import { describe, expect, it } from 'vitest';
import { approvalDeadlines, nextReminderAt } from '../../src/domain/approval.ts';
import { changeText } from '../../src/domain/set-diff.ts';

const at = (minutes: number) => new Date(Date.UTC(2026, 2, 2, 9, minutes));

describe('nextReminderAt', () => {
  it.each([
    ['sent on time: the next beat', 30, 30, 30, 240, 60],
    ['sent late within the beat: still the next beat', 30, 30, 45, 240, 60],
    ['beats missed while no sweeper ran: one reminder, then the beat after now', 30, 30, 155, 240, 180],
    ['the next beat at the expiry itself: none, the expiry is the last word', 30, 210, 210, 240, null],
    ['no remindEvery: never', null, 30, 30, 240, null],
  ] as const)('%s', (_what, every, due, now, expires, next) => {
    const result = nextReminderAt(at(due), every === null ? null : every * 60_000, at(now), at(expires));
    expect(result).toEqual(next === null ? null : at(next));
  });
});

describe('approvalDeadlines', () => {
  it('expires after timeout; the first reminder one remindEvery after it was asked, unless that is not before the expiry', () => {
    expect(approvalDeadlines({ timeoutMs: 4 * 3_600_000, remindEveryMs: 30 * 60_000 }, at(0))).toEqual({ expiresAt: at(240), remindAt: at(30) });
    expect(approvalDeadlines({ timeoutMs: 3_600_000, remindEveryMs: 3_600_000 }, at(0))).toEqual({ expiresAt: at(60), remindAt: null });
    expect(approvalDeadlines({ timeoutMs: 3_600_000, remindEveryMs: null }, at(0))).toEqual({ expiresAt: at(60), remindAt: null });
  });
});

describe('changeText', () => {
  it.each([
    [{ path: 'services[web].replicas', kind: 'changed', before: 1, after: 2 }, 'services[web].replicas: 1 → 2'],
    [{ path: 'services[web].image', kind: 'changed', before: 'web:1', after: 'web:2' }, 'services[web].image: "web:1" → "web:2"'],
    [{ path: 'services[worker]', kind: 'removed', before: { name: 'worker' }, after: null }, 'services[worker] removed'],
    [{ path: 'services[web].env.DB_PASSWORD', kind: 'changed', before: 'old', after: 'new' }, 'services[web].env.DB_PASSWORD changed'],
    [{ path: 'services[web].env', kind: 'added', before: null, after: { TOKEN: 's3cret' } }, 'services[web].env added'],
    [{ path: 'namespace', kind: 'changed', before: 'a', after: 'b'.repeat(80) }, `namespace: "a" → "${'b'.repeat(58)}…`],
  ] as const)('%j', (change, text) => {
    expect(changeText(change)).toBe(text);
  });
});
