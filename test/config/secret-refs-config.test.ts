import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.ts';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';
import { errorOf } from './config-refusal.ts';

const yaml = (api: string, overrides = '{}') => `targets:
  cluster: { kind: kubernetes, context: prod }
apps:
  shop:
    repo: https://github.com/acme/shop.git
    services:
      api:
        type: application
        build: { context: . }
${api}
    environments:
      staging: { target: cluster, overrides: ${overrides} }
      production: { target: cluster }
`;

const api = (text: string, env: string) => parseHoistConfig(text, '/etc/hoist.yaml').apps.get('shop')!.environments.get(env)!.services[0]!;

describe('secrets by reference in hoist.yaml', () => {
  it('reads `{ secret, key }` entries of env apart from values, and envFrom', () => {
    const text = yaml('        env: { LOG_LEVEL: info, DB_PASSWORD: { secret: shop-db, key: password } }\n        envFrom: [{ secret: shop-api }]');
    const service = api(text, 'production');
    expect(service.env).toEqual({ LOG_LEVEL: 'info' });
    expect(service.secretRefs).toEqual({ DB_PASSWORD: { secret: 'shop-db', key: 'password' } });
    expect(service.envFrom).toEqual([{ secret: 'shop-api' }]);
  });

  it('an override turns a value into a reference and back, key by key, and replaces envFrom', () => {
    const text = yaml(
      '        env: { LOG_LEVEL: info, DB_PASSWORD: { secret: shop-db, key: password } }\n        envFrom: [{ secret: shop-api }]',
      '{ api: { env: { LOG_LEVEL: { secret: shop-staging, key: level }, DB_PASSWORD: hunter2 }, envFrom: [{ secret: staging-api }] } }',
    );
    const staging = api(text, 'staging');
    expect(staging.env).toEqual({ DB_PASSWORD: 'hunter2' });
    expect(staging.secretRefs).toEqual({ LOG_LEVEL: { secret: 'shop-staging', key: 'level' } });
    expect(staging.envFrom).toEqual([{ secret: 'staging-api' }]);
    expect(api(text, 'production').secretRefs).toEqual({ DB_PASSWORD: { secret: 'shop-db', key: 'password' } });
  });

  it.each([
    ['a secret name with a slash', '        env: { DB_PASSWORD: { secret: ../etc, key: password } }', '/etc/hoist.yaml:10: apps.shop.services.api.env.DB_PASSWORD.secret: "../etc" is not a secret name'],
    ['an uppercase secret name', '        env: { DB_PASSWORD: { secret: ShopDB, key: password } }', '/etc/hoist.yaml:10: apps.shop.services.api.env.DB_PASSWORD.secret: "ShopDB" is not a secret name'],
    ['a key with a slash', '        env: { DB_PASSWORD: { secret: shop-db, key: a/b } }', '/etc/hoist.yaml:10: apps.shop.services.api.env.DB_PASSWORD.key: "a/b" is not a key of a secret'],
    ['a key of ..', '        env: { DB_PASSWORD: { secret: shop-db, key: ".." } }', 'apps.shop.services.api.env.DB_PASSWORD.key: ".." is not a key of a secret'],
    ['a reference without its key', '        env: { DB_PASSWORD: { secret: shop-db } }', '/etc/hoist.yaml:10: apps.shop.services.api.env.DB_PASSWORD'],
    ['a reference with an unknown field', '        env: { DB_PASSWORD: { secret: shop-db, key: password, value: x } }', '/etc/hoist.yaml:10: apps.shop.services.api.env.DB_PASSWORD'],
    ['a number as a value', '        env: { PORT: 8080 }', '/etc/hoist.yaml:10: apps.shop.services.api.env.PORT: expected a value (a string: quote numbers and true/false) or a secret reference'],
    ['envFrom naming no secret', '        envFrom: [{ name: shop-api }]', '/etc/hoist.yaml:10: apps.shop.services.api.envFrom.0'],
    ['envFrom with a bad name', '        envFrom:\n          - { secret: "shop api" }', '/etc/hoist.yaml:11: apps.shop.services.api.envFrom.0.secret: "shop api" is not a secret name'],
  ])('%s is refused with the file, line and path', (_name, text, expected) => {
    expect(errorOf(yaml(text))).toContain(expected);
  });

  it('a key read from a secret cannot be listed in publicEnv', () => {
    const text = yaml('        env: { LOG_LEVEL: info, DB_PASSWORD: { secret: shop-db, key: password } }\n        publicEnv: [LOG_LEVEL, DB_PASSWORD]');
    expect(errorOf(text)).toBe(
      '/etc/hoist.yaml:11: apps.shop.services.api.publicEnv.1: "DB_PASSWORD" is read from secret shop-db (key password), which is never shown; leave it out of publicEnv',
    );
    const overridden = yaml('        env: { LOG_LEVEL: info }\n        publicEnv: [LOG_LEVEL]', '{ api: { env: { LOG_LEVEL: { secret: shop-db, key: level } } } }');
    expect(errorOf(overridden)).toContain('apps.shop.services.api.publicEnv.0: "LOG_LEVEL" is read from secret shop-db (key level)');
  });

  it('HOIST_SECRETS_DIR is read once with the rest of the environment; unset, it is null', () => {
    expect(parseEnv({ HOIST_SECRETS_DIR: '/run/hoist-secrets' }).secretsDir).toBe('/run/hoist-secrets');
    expect(parseEnv({}).secretsDir).toBeNull();
  });
});
