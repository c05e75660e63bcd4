import { describe, expect, it } from 'vitest';
import { kindOfFailure, kindOfStatus, kindOfThrown } from '../../src/domain/call-errors.ts';

describe('call error kinds', () => {
  it.each([
    [200, null],
    [304, null],
    [400, 'client_error'],
    [401, 'client_error'],
    [404, 'client_error'],
    [408, 'timeout'],
    [409, 'client_error'],
    [429, 'rate_limited'],
    [500, 'server_error'],
    [503, 'server_error'],
  ])('HTTP %i → %s', (status, kind) => {
    expect(kindOfStatus(status)).toBe(kind);
  });

  const withCode = (code: string) => Object.assign(new Error('x'), { code });
  it.each<[string, unknown, 'timeout' | 'network']>([
    ['fetch timing out (AbortSignal.timeout)', new DOMException('timed out', 'TimeoutError'), 'timeout'],
    ['a refused connection inside fetch’s TypeError', new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') }), 'network'],
    ['undici’s connect timeout inside fetch’s TypeError', new TypeError('fetch failed', { cause: withCode('UND_ERR_CONNECT_TIMEOUT') }), 'timeout'],
    ['a socket timing out', withCode('ETIMEDOUT'), 'timeout'],
    ['a reset', withCode('ECONNRESET'), 'network'],
    ['a string', 'boom', 'network'],
  ])('%s → %s', (_what, error, kind) => {
    expect(kindOfThrown(error)).toBe(kind);
  });

  it('a status wins over what was thrown; without one, what was thrown says', () => {
    expect(kindOfFailure(503, withCode('ETIMEDOUT'))).toBe('server_error');
    expect(kindOfFailure(0, withCode('ETIMEDOUT'))).toBe('timeout');
    expect(kindOfFailure(0, withCode('ECONNREFUSED'))).toBe('network');
  });
});
