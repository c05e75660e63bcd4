import { describe, expect, it } from 'vitest';
import { parseFailureText, refusalText } from '../../src/bot/answers.ts';
import type { Refusal } from '../../src/service/contract.ts';

const catalog = { apps: [{ name: 'shop', services: ['web'], environments: ['staging'] }] };
const subject = { app: 'shop', env: 'staging', services: null };

describe('refusal answers', () => {
  it.each<[Refusal, string]>([
    [
      { ok: false, code: 'REF_NOT_FOUND', reason: "cannot clone http://deploy:s3cr3tTOKEN@127.0.0.1:1/x.git: fatal: unable to access 'http://127.0.0.1:1/x.git/'" },
      "cannot clone http://deploy:[redacted]@127.0.0.1:1/x.git: fatal: unable to access 'http://127.0.0.1:1/x.git/'.",
    ],
    [{ ok: false, code: 'NOT_ALLOWED', reason: 'cannot fetch https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/acme/shop.git' }, 'cannot fetch https://[redacted]@github.com/acme/shop.git.'],
  ])('masks a credential the reason quotes (%#)', (refusal, first) => {
    const text = refusalText(refusal, 'deploy', subject, catalog, '/hoist ');
    expect(text.split('\n')[0]).toBe(first);
    expect(text).not.toMatch(/s3cr3tTOKEN|ghp_/);
  });

  it('masks a credential in what the grammar could not read', () => {
    const text = parseFailureText({ reason: 'unknown word "token=abc123"', usage: 'deploy <app> to <env>', suggestion: null }, '');
    expect(text).toBe('unknown word "token=[redacted]".\nUsage: `deploy <app> to <env>`');
  });

  it('answers a destroy without its confirmation with the exact line to type', () => {
    const refusal: Refusal = { ok: false, code: 'CONFIRMATION_NEEDED', reason: 'destroying shop/db in local removes it and its data for good; to go ahead, give its full name again: shop/db' };
    const db = { app: 'shop', env: 'local', services: ['db'] };
    expect(refusalText(refusal, 'destroy', db, catalog, '/hoist ')).toBe(
      'destroying shop/db in local removes it and its data for good; to go ahead, give its full name again: shop/db.\nType exactly: `/hoist destroy shop/db in local --confirm shop/db`',
    );
    expect(refusalText(refusal, 'destroy', db, catalog, '').split('\n')[1]).toBe('Type exactly: `destroy shop/db in local --confirm shop/db`');
  });
});
