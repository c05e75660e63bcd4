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

describe('an environment’s checks', () => {
  const checksYaml = (repo: string, services: string, checks: string) => `targets:
  edge: { kind: docker }
apps:
  shop:
    repo: ${repo}
    services:
${services}
    environments:
      production: { target: edge, branch: main, checks: ${checks} }
`;
  const built = '      web: { type: application, build: { context: . }, port: 8080 }';

  it('defaults to every check and ten minutes; a list names the checks', () => {
    expect(parseHoistConfig(checksYaml('https://github.com/acme/shop.git', built, '{}'), '/etc/hoist.yaml').apps.get('shop')?.environments.get('production')?.checks).toEqual({ require: 'all', timeoutMs: 600_000 });
    expect(parseHoistConfig(checksYaml('https://github.com/acme/shop.git', built, '{ require: [ci/build, lint], timeout: 30m }'), '/etc/hoist.yaml').apps.get('shop')?.environments.get('production')?.checks).toEqual({ require: ['ci/build', 'lint'], timeoutMs: 1_800_000 });
  });

  it.each([
    ['an app not on GitHub', '/srv/repos/shop', built, '{ require: all }', "/etc/hoist.yaml:9: apps.shop.environments.production.checks: CI checks are read from GitHub, and shop's repo is not on github.com; set `github: owner/repo` on the app, or remove `checks`"],
    ['an app of prebuilt images only', 'https://github.com/acme/shop.git', '      db: { type: database, image: "postgres:16" }', '{ require: all }', 'apps.shop.environments.production.checks: shop has no service built from git (`build:`), so a deploy has no commit whose checks could be read; remove `checks`'],
    ['an empty list', 'https://github.com/acme/shop.git', built, '{ require: [] }', 'apps.shop.environments.production.checks.require: name at least one check, or write `require: all`'],
    ['a word other than all', 'https://github.com/acme/shop.git', built, '{ require: some }', 'apps.shop.environments.production.checks.require: expected `all` or a list of check names'],
    ['a bad timeout', 'https://github.com/acme/shop.git', built, '{ timeout: soon }', 'apps.shop.environments.production.checks.timeout: expected a duration such as 90s, 30m, 24h or 7d'],
  ])('refuses %s', (_, repo, services, checks, message) => {
    expect(() => parseHoistConfig(checksYaml(repo, services, checks), '/etc/hoist.yaml')).toThrow(message);
  });
});
