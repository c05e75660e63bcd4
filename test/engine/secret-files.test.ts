import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSecretFiles } from '../../src/engine/secrets/secret-files.ts';

describe('reading secrets from HOIST_SECRETS_DIR', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hoist-secret-files-'));
    mkdirSync(join(dir, 'shop-db'));
    writeFileSync(join(dir, 'shop-db', 'password'), 's3cret value\n');
    mkdirSync(join(dir, 'shop-api'));
    writeFileSync(join(dir, 'shop-api', 'API_KEY'), 'k-1');
    // As Kubernetes mounts a Secret: keys are links into a hidden `..data` directory.
    mkdirSync(join(dir, 'shop-api', '..data'));
    writeFileSync(join(dir, 'shop-api', '..data', 'TOKEN'), 't-1');
    symlinkSync(join('..data', 'TOKEN'), join(dir, 'shop-api', 'TOKEN'));
    mkdirSync(join(dir, 'shop-api', 'nested'));
    writeFileSync(join(dir, 'nul'), '');
    mkdirSync(join(dir, 'binary'));
    writeFileSync(join(dir, 'binary', 'blob'), Buffer.from([0x61, 0x00, 0x62]));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a key exactly as written, and every file of a secret for envFrom', async () => {
    const read = await readSecretFiles(dir, { secretRefs: { DB_PASSWORD: { secret: 'shop-db', key: 'password' } }, envFrom: [{ secret: 'shop-api' }] });
    expect(read).toEqual({ ok: true, values: { env: { DB_PASSWORD: 's3cret value\n' }, from: [{ secret: 'shop-api', values: { API_KEY: 'k-1', TOKEN: 't-1' } }] } });
  });

  it.each([
    ['a missing key', { secretRefs: { DB_PASSWORD: { secret: 'shop-db', key: 'pasword' } }, envFrom: [] }, /^secret shop-db\/pasword \(for DB_PASSWORD\) is missing: no file .*\/shop-db\/pasword \(HOIST_SECRETS_DIR\/<secret>\/<key>\)/],
    ['a missing secret', { secretRefs: { DB_PASSWORD: { secret: 'nope', key: 'password' } }, envFrom: [] }, /^secret nope\/password \(for DB_PASSWORD\) is missing: no file .*\/nope\/password/],
    ['a secret that is a file', { secretRefs: { X: { secret: 'nul', key: 'password' } }, envFrom: [] }, /^secret nul\/password \(for X\) is missing/],
    ['a missing envFrom secret', { secretRefs: {}, envFrom: [{ secret: 'gone' }] }, /^secret gone \(envFrom\) is missing: no directory .*\/gone \(HOIST_SECRETS_DIR\/<secret>\)/],
    ['a value with a NUL byte', { secretRefs: { B: { secret: 'binary', key: 'blob' } }, envFrom: [] }, /^secret binary\/blob \(for B\) holds a NUL byte/],
  ])('%s is a reason naming the secret, the key and the variable', async (_name, refs, reason) => {
    const read = await readSecretFiles(dir, refs);
    expect(read.ok).toBe(false);
    expect(!read.ok && read.reason).toMatch(reason);
  });

  it('without HOIST_SECRETS_DIR it says the variable is not set and what needed it', async () => {
    const read = await readSecretFiles(null, { secretRefs: { DB_PASSWORD: { secret: 'shop-db', key: 'password' } }, envFrom: [{ secret: 'shop-api' }] });
    expect(read).toEqual({
      ok: false,
      reason: 'HOIST_SECRETS_DIR is not set: on a docker target the values of secrets are read from HOIST_SECRETS_DIR/<secret>/<key> at rollout (needed: DB_PASSWORD (shop-db/password), envFrom shop-api)',
    });
  });
});
