import { describe, expect, it } from 'vitest';
import { checkImageTag, refUse, withTag, type RefUseInput } from '../../src/domain/image-tag.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('checkImageTag', () => {
  it.each(['16.4', 'latest', '_x', 'v1.2.3-rc.1', 'A_b-c.d', 'a'.repeat(128), DIGEST])('accepts %s', (tag) => {
    expect(checkImageTag(tag)).toEqual({ ok: true });
  });
  it.each(['.hidden', '-x', 'a'.repeat(129), '16.4+build', 'a/b', 'a:b', 'sha256:abc', ''])('refuses %s with the grammar', (tag) => {
    const check = checkImageTag(tag);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.reason).toContain('letters, digits, "_", "." and "-"');
  });
});

describe('withTag', () => {
  it.each([
    ['postgres:16', '16.4', 'postgres:16.4'],
    ['postgres', '16.4', 'postgres:16.4'],
    ['127.0.0.1:5000/team/db:1', '2', '127.0.0.1:5000/team/db:2'],
    ['127.0.0.1:5000/team/db', '2', '127.0.0.1:5000/team/db:2'],
    ['registry.example.com/db:1@sha256:00', 'next', 'registry.example.com/db:next'],
    ['postgres:16', DIGEST, `postgres@${DIGEST}`],
  ])('%s at %s is %s', (image, ref, expected) => {
    expect(withTag(image, ref)).toBe(expected);
  });
});

describe('refUse: which services a deploy ref is for', () => {
  const services = [
    { name: 'db', built: false },
    { name: 'cache', built: false },
    { name: 'api', built: true },
    { name: 'worker', built: true },
  ];
  const input = (chosen: string[] | null, ref: string | null = '16.4', list = services): RefUseInput => ({ app: 'shop', env: 'staging', ref, chosen, services: list });

  it.each([
    ['no ref', input(null, null), { kind: 'none' }],
    ['the whole app with built services: the built ones', input(null), { kind: 'commit' }],
    ['built services named', input(['api', 'worker']), { kind: 'commit' }],
    ['the one image service named', input(['db']), { kind: 'tag', service: 'db' }],
  ])('%s', (_name, given, expected) => {
    expect(refUse(given)).toEqual(expected);
  });

  it.each([
    ['the whole app when every service runs an image', input(null, '16.4', services.slice(0, 2)), 'a tag deploys one of them at a time: name it, as in `deploy shop/db@16.4 to staging`'],
    ['two image services named', input(['db', 'cache']), 'db, cache run images: a tag deploys one image service named alone, as in `deploy shop/db@16.4 to staging`'],
    ['an image service named with built ones', input(['db', 'api']), 'db runs an image: a tag deploys one image service named alone, as in `deploy shop/db@16.4 to staging`; deploy api at a git ref separately: `deploy shop/api@16.4 to staging`'],
  ])('refuses %s, saying how to write it', (_name, given, reason) => {
    const use = refUse(given);
    expect(use.kind).toBe('refused');
    expect(use.kind === 'refused' && use.reason).toContain(reason);
  });
});
