import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.ts';
import { githubRepoOf, parseHoistConfig } from '../../src/config/hoist-config.ts';

const yaml = (repo: string, extra = '', autoDeploy = 'true') => `targets:
  edge: { kind: docker }
apps:
  shop:
    repo: ${repo}
${extra}    services:
      web: { type: application, build: { context: . }, port: 8080 }
    environments:
      staging: { target: edge, branch: main, autoDeploy: ${autoDeploy} }
`;

describe('an app’s GitHub repository', () => {
  it.each([
    ['https://github.com/acme/shop.git', { owner: 'acme', repo: 'shop' }],
    ['https://github.com/acme/shop', { owner: 'acme', repo: 'shop' }],
    ['https://x-access-token:abc@github.com/acme/shop.git', { owner: 'acme', repo: 'shop' }],
    ['git@github.com:acme/shop.git', { owner: 'acme', repo: 'shop' }],
    ['ssh://git@github.com/acme/shop.js.git', { owner: 'acme', repo: 'shop.js' }],
    ['https://gitlab.com/acme/shop.git', null],
    ['https://github.example.com/acme/shop.git', null],
    ['/srv/repos/shop', null],
  ])('is derived from %s', (url, expected) => {
    expect(githubRepoOf(url)).toEqual(expected);
  });

  it('is written out for a mirror or a local path, and wins over the URL', () => {
    expect(parseHoistConfig(yaml('/srv/repos/shop', '    github: acme/shop\n'), '/etc/hoist.yaml').apps.get('shop')?.github).toEqual({ owner: 'acme', repo: 'shop' });
    expect(parseHoistConfig(yaml('https://github.com/acme/old.git', '    github: acme/new\n'), '/etc/hoist.yaml').apps.get('shop')?.github).toEqual({ owner: 'acme', repo: 'new' });
  });

  it('is refused when not owner/repo', () => {
    expect(() => parseHoistConfig(yaml('/srv/repos/shop', '    github: https://github.com/acme/shop\n'), '/etc/hoist.yaml')).toThrow('/etc/hoist.yaml:6: apps.shop.github: expected owner/repo as on GitHub, e.g. acme/shop');
    expect(() => parseHoistConfig(yaml('/srv/repos/shop', '    github: acme/shop.git\n'), '/etc/hoist.yaml')).toThrow('expected owner/repo without .git');
  });

  it('is needed for autoDeploy: pushes come from GitHub', () => {
    expect(() => parseHoistConfig(yaml('/srv/repos/shop'), '/etc/hoist.yaml')).toThrow(
      "/etc/hoist.yaml:9: apps.shop.environments.staging.autoDeploy: deploys on push need the app's GitHub repository, and shop's repo is not on github.com; set `github: owner/repo`",
    );
    expect(parseHoistConfig(yaml('/srv/repos/shop', '', 'false'), '/etc/hoist.yaml').apps.get('shop')?.github).toBeNull();
  });
});

describe('GitHub credentials', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

  it('takes GITHUB_TOKEN, or a GitHub App (its id and PEM key, newlines as is or as \\n)', () => {
    expect(parseEnv({}).github).toBeNull();
    expect(parseEnv({ GITHUB_TOKEN: 'ghp_x' }).github).toEqual({ kind: 'token', token: 'ghp_x' });
    expect(parseEnv({ GITHUB_APP_ID: '123', GITHUB_APP_PRIVATE_KEY: privateKey }).github).toEqual({ kind: 'app', appId: '123', privateKey: privateKey.trim() });
    expect(parseEnv({ GITHUB_APP_ID: '123', GITHUB_APP_PRIVATE_KEY: privateKey.trim().replace(/\n/g, '\\n') }).github).toEqual({ kind: 'app', appId: '123', privateKey: privateKey.trim() });
    expect(parseEnv({ GITHUB_WEBHOOK_SECRET: 's3cret', GITHUB_API_URL: 'https://ghe.example.com/api/v3/' })).toMatchObject({ githubWebhookSecret: 's3cret', githubApiUrl: 'https://ghe.example.com/api/v3' });
  });

  it.each([
    [{ GITHUB_TOKEN: 'ghp_x', GITHUB_APP_ID: '1', GITHUB_APP_PRIVATE_KEY: 'k' }, 'GITHUB_APP_PRIVATE_KEY: expected the PEM text'],
    [{ GITHUB_TOKEN: 'ghp_x', GITHUB_APP_ID: '1' }, 'GITHUB_TOKEN and GITHUB_APP_ID/GITHUB_APP_PRIVATE_KEY are both set'],
    [{ GITHUB_APP_ID: '1' }, 'GITHUB_APP_PRIVATE_KEY is not set: a GitHub App needs both GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY'],
    [{ GITHUB_APP_PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----' }, 'GITHUB_APP_ID is not set'],
    [{ GITHUB_APP_ID: 'hoist', GITHUB_APP_PRIVATE_KEY: 'x' }, "GITHUB_APP_ID: expected the GitHub App's numeric App ID"],
  ])('refuses %j, naming the variable', (vars, message) => {
    expect(() => parseEnv(vars)).toThrow(message);
  });

  it('never puts a key in its error', () => {
    expect(() => parseEnv({ GITHUB_APP_ID: '1', GITHUB_APP_PRIVATE_KEY: 'not-a-pem-secret-value' })).toThrow(/^(?![\s\S]*not-a-pem-secret-value)/);
  });
});
