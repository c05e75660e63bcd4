import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MIN_SECRET_IN_TEXT, SECRET_MARK, secretMasker, secretValuesOf } from '../../src/domain/redact.ts';
import { fingerprinter } from '../../src/store/secret-key.ts';

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 8);

const set = {
  target: 'engine',
  namespace: 'shop-e2e',
  services: [
    { name: 'web', version: 'abc', env: { DB_PASSWORD: 'hunter2', GREETING: 'hello', WORKERS: '2' }, manifests: [{ kind: 'Deployment', env: [{ name: 'DB_PASSWORD', value: 'hunter2' }] }] },
    { name: 'worker', version: 'abc', env: { GREETING: 'bonjour' } },
  ],
};
const publicEnv = (service: string) => (service === 'web' ? ['GREETING'] : []);
const masker = (key = KEY) => secretMasker({ secrets: secretValuesOf(set, publicEnv), fingerprint: fingerprinter(key), publicEnv });
const hidden = (value: string, key = KEY) => `${SECRET_MARK}${fingerprinter(key)(value)}`;

describe('the keyed hash', () => {
  it('is HMAC-SHA256 with the key, 8 hex characters after the mark', () => {
    const expected = createHmac('sha256', KEY).update('hunter2').digest('hex').slice(0, 8);
    expect(hidden('hunter2')).toBe(`••••${expected}`);
    expect(hidden('hunter2')).toMatch(/^••••[0-9a-f]{8}$/);
  });

  it('is the same for the same value and key, and differs across values and keys', () => {
    expect(hidden('hunter2')).toBe(hidden('hunter2'));
    expect(hidden('hunter2')).not.toBe(hidden('hunter3'));
    expect(hidden('hunter2')).not.toBe(hidden('hunter2', OTHER_KEY));
  });
});

describe('a deployment set, masked', () => {
  it('shows public keys in clear and every other value as its keyed hash; the stored set is untouched', () => {
    const shown = masker().set(set);
    expect(shown.services[0]!.env).toEqual({ DB_PASSWORD: hidden('hunter2'), GREETING: 'hello', WORKERS: hidden('2') });
    // Public in one service is not public in another.
    expect(shown.services[1]!.env).toEqual({ GREETING: hidden('bonjour') });
    expect(JSON.stringify(shown)).not.toContain('hunter2');
    expect(set.services[0]!.env.DB_PASSWORD).toBe('hunter2');
    expect(shown.target).toBe('engine');
  });

  it('hides the values in what a target applied (manifests)', () => {
    expect(masker().set(set).services[0]!.manifests).toEqual([{ kind: 'Deployment', env: [{ name: 'DB_PASSWORD', value: hidden('hunter2') }] }]);
  });
});

describe('texts', () => {
  it('masks known values inside a line, with the pattern redaction on top', () => {
    const m = masker();
    expect(m.text('connecting to db with hunter2 as the password')).toBe(`connecting to db with ${hidden('hunter2')} as the password`);
    expect(m.text('DB_PASSWORD=hunter2')).toBe(`DB_PASSWORD=${hidden('hunter2')}`);
    expect(m.text('token=abcdefgh')).toBe('token=[redacted]');
    expect(m.text('GREETING=hello')).toBe('GREETING=hello');
    expect(m.lines(['a hunter2', 'b'])).toEqual([`a ${hidden('hunter2')}`, 'b']);
  });

  it('masks the longer of two values that overlap whole', () => {
    const m = secretMasker({ secrets: ['pass', 'password123'], fingerprint: fingerprinter(KEY) });
    expect(m.text('x password123 y pass')).toBe(`x ${hidden('password123')} y ${hidden('pass')}`);
  });

  it(`leaves values under ${MIN_SECRET_IN_TEXT} characters alone inside texts, but hides a string that is one`, () => {
    const m = masker();
    expect(m.text('2 workers started on port 2000')).toBe('2 workers started on port 2000');
    expect(m.value({ workers: '2', note: 'took 2 s' })).toEqual({ workers: hidden('2'), note: 'took 2 s' });
    const four = secretMasker({ secrets: ['abcd'], fingerprint: fingerprinter(KEY) });
    expect(four.text('xabcdx')).toBe(`x${hidden('abcd')}x`);
  });

  it('a masker that knows no value still redacts credentials by their shape', () => {
    const m = secretMasker({ secrets: [], fingerprint: fingerprinter(KEY) });
    expect(m.text('https://user:s3cret@example.com/repo.git')).toBe('https://user:[redacted]@example.com/repo.git');
  });
});

describe('the secret values of a set', () => {
  it('are every env value but the public ones', () => {
    expect(secretValuesOf(set, publicEnv).sort()).toEqual(['2', 'bonjour', 'hunter2']);
    expect(secretValuesOf(null)).toEqual([]);
  });
});
