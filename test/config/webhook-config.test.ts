import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.ts';
import { allWebhooks, parseHoistConfig } from '../../src/config/hoist-config.ts';
import { parseEnv } from '../../src/config/env.ts';
import { configuredSecrets } from '../../src/service/secret-masks.ts';

const yaml = (appHooks: string, envHooks = '') => `targets:
  edge: { kind: docker }
apps:
  shop:
    repo: /srv/shop
    services:
      web: { type: container, image: "nginx:1" }
    webhooks:
${appHooks}
    environments:
      staging: { target: edge }
      production:
        target: edge
        webhooks:
${envHooks || '          []'}
`;

const APP_HOOK = '      - { url: "https://ci.example.com/hoist", events: [succeeded, failed], secretEnv: HOOK_SECRET }';
const ENV_HOOK = '          - { url: "https://pager.example.com/in", events: [failed], secretEnv: PAGER_SECRET }';
const vars = (values: Record<string, string>) => (name: string) => values[name];

function errorOf(text: string, values: Record<string, string> = {}): string {
  try {
    parseHoistConfig(text, '/etc/hoist.yaml', vars(values));
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('webhooks in hoist.yaml', () => {
  it("gives every environment the app's webhooks, and an environment its own besides", () => {
    const config = parseHoistConfig(yaml(APP_HOOK, ENV_HOOK), '/etc/hoist.yaml', vars({ HOOK_SECRET: 's3cret-ci', PAGER_SECRET: 's3cret-pager' }));
    const shop = config.apps.get('shop')!;
    expect(shop.environments.get('staging')!.webhooks.map((h) => h.url)).toEqual(['https://ci.example.com/hoist']);
    expect(shop.environments.get('production')!.webhooks.map((h) => [h.url, h.events, h.secret])).toEqual([
      ['https://ci.example.com/hoist', ['succeeded', 'failed'], 's3cret-ci'],
      ['https://pager.example.com/in', ['failed'], 's3cret-pager'],
    ]);
    // Each webhook once, with a stable name of its own (its own consumer of the event log).
    const ids = allWebhooks(config).map((h) => h.id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toMatch(/^webhook:shop:[0-9a-f]{8}$/);
    expect(ids[1]).toMatch(/^webhook:shop\/production:[0-9a-f]{8}$/);
    expect(allWebhooks(parseHoistConfig(yaml(APP_HOOK, ENV_HOOK), '/etc/hoist.yaml', vars({ HOOK_SECRET: 'other', PAGER_SECRET: 'x' }))).map((h) => h.id)).toEqual(ids);
  });

  it('refuses a secret variable that is not set, or empty, naming the app, the environment, the URL and the variable', () => {
    expect(errorOf(yaml(APP_HOOK), {})).toBe(
      '/etc/hoist.yaml:9: apps.shop.webhooks.0.secretEnv: HOOK_SECRET is not set (or is empty): the webhook of app shop to https://ci.example.com/hoist signs its deliveries with that variable\'s value; set HOOK_SECRET in Hoist\'s environment',
    );
    expect(errorOf(yaml(APP_HOOK, ENV_HOOK), { HOOK_SECRET: 'x', PAGER_SECRET: '' })).toContain(
      'apps.shop.environments.production.webhooks.0.secretEnv: PAGER_SECRET is not set (or is empty): the webhook of shop in production to https://pager.example.com/in',
    );
  });

  it('masks credentials of the URL in that error', () => {
    const hook = '      - { url: "https://bot:hunter22@ci.example.com/hoist", events: [started], secretEnv: HOOK_SECRET }';
    const message = errorOf(yaml(hook));
    expect(message).toContain('to https://[redacted]@ci.example.com/hoist');
    expect(message).not.toContain('hunter22');
  });

  it.each([
    ['a URL that is not http(s)', '      - { url: "ftp://ci.example.com/x", events: [failed], secretEnv: HOOK_SECRET }', 'apps.shop.webhooks.0.url: expected the http(s) URL of the receiver'],
    ['no events', '      - { url: "https://ci.example.com/x", events: [], secretEnv: HOOK_SECRET }', 'apps.shop.webhooks.0.events: name at least one event: started, succeeded, failed, canceled, rejected, expired'],
    ['an unknown event', '      - { url: "https://ci.example.com/x", events: [deployed], secretEnv: HOOK_SECRET }', 'apps.shop.webhooks.0.events.0: expected events among started, succeeded'],
    ['a secret in place of the name', '      - { url: "https://ci.example.com/x", events: [failed], secretEnv: "abc123secret" }', 'apps.shop.webhooks.0.secretEnv: "abc123secret" is not an environment variable name'],
    ['an unknown key', '      - { url: "https://ci.example.com/x", events: [failed], secretEnv: HOOK_SECRET, secret: x }', 'unknown key(s) "secret"'],
    ['the same URL twice', `${APP_HOOK}\n${APP_HOOK}`, 'apps.shop.webhooks.1.url: app shop already has a webhook to https://ci.example.com/hoist; list its events once, in one entry'],
  ])('refuses %s', (_name, hooks, message) => {
    expect(errorOf(yaml(hooks), { HOOK_SECRET: 'x' })).toContain(message);
  });

  it('refuses an environment webhook to a URL the app already tells of every environment', () => {
    const envHook = '          - { url: "https://ci.example.com/hoist", events: [started], secretEnv: HOOK_SECRET }';
    expect(errorOf(yaml(APP_HOOK, envHook), { HOOK_SECRET: 'x' })).toContain(
      'apps.shop.environments.production.webhooks.0.url: app shop already has a webhook to https://ci.example.com/hoist, told of every environment',
    );
  });

  it('counts a webhook secret among the secrets every answer and log line masks', () => {
    const config = parseHoistConfig(yaml(APP_HOOK, ENV_HOOK), '/etc/hoist.yaml', vars({ HOOK_SECRET: 's3cret-ci', PAGER_SECRET: 's3cret-pager' }));
    expect(configuredSecrets(config)).toEqual(expect.arrayContaining(['s3cret-ci', 's3cret-pager']));
    expect(configuredSecrets(config, { app: 'shop', env: 'staging' })).not.toContain('s3cret-pager');
  });

  it("reads the secret from the environment Hoist was started with", () => {
    const env = parseEnv({ HOOK_SECRET: 'from-env' });
    expect(env.variable('HOOK_SECRET')).toBe('from-env');
    expect(env.variable('MISSING')).toBeUndefined();
    expect(JSON.stringify(env)).not.toContain('from-env');
  });
});
