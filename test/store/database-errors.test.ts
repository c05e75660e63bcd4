import { describe, expect, it } from 'vitest';
import { isDatabaseGone, isDatabaseUnreachable } from '../../src/store/database-errors.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('what a failed statement says about the database', () => {
  it('unreachable: nothing of the statement ran (refused, not found, starting up)', () => {
    expect(isDatabaseUnreachable(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe(true);
    expect(isDatabaseUnreachable(withCode('getaddrinfo ENOTFOUND db', 'ENOTFOUND'))).toBe(true);
    expect(isDatabaseUnreachable(withCode('the database system is starting up', '57P03'))).toBe(true);
    // Cut under the statement: it may have run.
    expect(isDatabaseUnreachable(withCode('read ECONNRESET', 'ECONNRESET'))).toBe(false);
    expect(isDatabaseUnreachable(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isDatabaseUnreachable(withCode('duplicate key value violates unique constraint', '23505'))).toBe(false);
    expect(isDatabaseUnreachable('ECONNREFUSED')).toBe(false);
  });

  it('gone: unreachable, or the connection lost under the statement; an SQL error is neither', () => {
    expect(isDatabaseGone(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe(true);
    expect(isDatabaseGone(withCode('read ECONNRESET', 'ECONNRESET'))).toBe(true);
    expect(isDatabaseGone(withCode('terminating connection due to administrator command', '57P01'))).toBe(true);
    expect(isDatabaseGone(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseGone(new Error('timeout exceeded when trying to connect: connection timeout'))).toBe(true);
    expect(isDatabaseGone(withCode('duplicate key value violates unique constraint', '23505'))).toBe(false);
    expect(isDatabaseGone(new Error('relation "deployments" does not exist'))).toBe(false);
  });
});
