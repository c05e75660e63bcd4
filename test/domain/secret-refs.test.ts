import { describe, expect, it } from 'vitest';
import { parseDeploymentSet, sameSpec, type ServiceSpec } from '../../src/domain/deployment-set.ts';
import { environmentOf, sealRefs, valuesOf, type SecretRefs } from '../../src/domain/secret-refs.ts';
import { changeText, diffSets } from '../../src/domain/set-diff.ts';

const fingerprint = (value: string) => `h${value.length.toString(16).padStart(7, '0')}`;
const refs: SecretRefs = { secretRefs: { DB_PASSWORD: { secret: 'shop-db', key: 'password' } }, envFrom: [{ secret: 'shop-api' }] };
const values = { env: { DB_PASSWORD: 'pw-1' }, from: [{ secret: 'shop-api', values: { API_KEY: 'k-1', DB_PASSWORD: 'from-envfrom' } }] };

const spec = (over: Partial<ServiceSpec> = {}): ServiceSpec => ({
  name: 'web', type: 'application', version: 'v1', image: 'img:v1', build: null, port: 8080, expose: null, env: { LOG_LEVEL: 'info' },
  command: null, replicas: 1, health: null, schedule: null, storage: null, ...over,
});

describe('secret references', () => {
  it('seals each reference with the keyed hash of what was read, never the value', () => {
    const sealed = sealRefs(refs, values, fingerprint);
    expect(sealed.secretRefs.DB_PASSWORD).toEqual({ secret: 'shop-db', key: 'password', hash: fingerprint('pw-1') });
    expect(sealed.envFrom[0]!.secret).toBe('shop-api');
    expect(JSON.stringify(sealed)).not.toMatch(/pw-1|k-1|from-envfrom/);
    // A whole secret hashes its keys and values: a changed value or a new key changes it.
    const rotated = sealRefs(refs, { ...values, from: [{ secret: 'shop-api', values: { API_KEY: 'k-2', DB_PASSWORD: 'from-envfrom' } }] }, (v) => v);
    expect(rotated.envFrom[0]!.hash).not.toBe(sealRefs(refs, values, (v) => v).envFrom[0]!.hash);
  });

  it('a single key wins over the same name from envFrom, as on Kubernetes; every value is listed for masking', () => {
    expect(environmentOf(values)).toEqual({ API_KEY: 'k-1', DB_PASSWORD: 'pw-1' });
    expect(valuesOf(values).sort()).toEqual(['from-envfrom', 'k-1', 'pw-1']);
  });

  it('a stored set keeps its references and hashes; a spec without any reads as before they existed', () => {
    const sealed = spec({ secretRefs: { DB_PASSWORD: { secret: 'shop-db', key: 'password', hash: 'a1b2c3d4' } }, envFrom: [{ secret: 'shop-api' }] });
    const parsed = parseDeploymentSet(JSON.parse(JSON.stringify({ target: 't', namespace: 'n', services: [sealed, spec()] })));
    expect(parsed!.services[0]).toEqual(sealed);
    expect(parsed!.services[1]).not.toHaveProperty('secretRefs');
    expect(parsed!.services[1]).not.toHaveProperty('envFrom');
    expect(sameSpec(parsed!.services[1]!, spec())).toBe(true);
  });

  it('a rotated value differs only in its hash, and a diff says the secret changed', () => {
    const before = { services: [spec({ secretRefs: { DB_PASSWORD: { secret: 'shop-db', key: 'password', hash: 'a1b2c3d4' } }, envFrom: [{ secret: 'shop-api', hash: '00000001' }] })] };
    const after = { services: [spec({ secretRefs: { DB_PASSWORD: { secret: 'shop-db', key: 'password', hash: 'e5f6a7b8' } }, envFrom: [{ secret: 'shop-api', hash: '00000002' }] })] };
    expect(sameSpec(before.services[0]!, after.services[0]!)).toBe(false);
    expect(diffSets(before, after).map(changeText)).toEqual([
      'services[web].envFrom: secret shop-api changed',
      'services[web].secretRefs.DB_PASSWORD: ••••a1b2c3d4 → ••••e5f6a7b8 (secret changed)',
    ]);
    // Another key or another secret is a change of configuration, shown as such.
    const other = { services: [spec({ secretRefs: { DB_PASSWORD: { secret: 'shop-db', key: 'password2' } }, envFrom: [{ secret: 'other' }] })] };
    const texts = diffSets({ services: [spec({ secretRefs: { DB_PASSWORD: { secret: 'shop-db', key: 'password' } }, envFrom: [{ secret: 'shop-api' }] })] }, other).map(changeText);
    expect(texts).toEqual(['services[web].envFrom: [{"secret":"shop-api"}] → [{"secret":"other"}]', 'services[web].secretRefs.DB_PASSWORD.key: "password" → "password2"']);
  });
});
