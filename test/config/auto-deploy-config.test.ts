import { describe, expect, it } from 'vitest';
import { autoDeployNotes } from '../../src/config/auto-deploy-notes.ts';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';

const yaml = (repo: string, autoDeploy: string, github = '') => `targets:
  edge: { kind: docker }
apps:
  shop:
    repo: ${repo}
${github}    services:
      web: { type: application, build: { context: . }, port: 8080 }
    environments:
      staging: { target: edge, branch: main, autoDeploy: ${autoDeploy} }
      qa: { target: edge }
`;
const modeOf = (text: string) => parseHoistConfig(text, '/etc/hoist.yaml').apps.get('shop')?.environments.get('staging');

describe('autoDeploy', () => {
  it('polls any repository with { poll }, at the interval written', () => {
    expect(modeOf(yaml('https://git.example.com/shop.git', '{ poll: 1m }'))).toMatchObject({ autoDeploy: true, autoDeployMode: { kind: 'poll', intervalMs: 60_000 } });
    expect(modeOf(yaml('/srv/repos/shop', '{ poll: 90s }'))).toMatchObject({ autoDeployMode: { kind: 'poll', intervalMs: 90_000 } });
    expect(modeOf(yaml('https://github.com/acme/shop.git', 'true'))).toMatchObject({ autoDeploy: true, autoDeployMode: { kind: 'push' } });
    expect(parseHoistConfig(yaml('/srv/repos/shop', 'false'), '/etc/hoist.yaml').apps.get('shop')?.environments.get('qa')).toMatchObject({ autoDeploy: false, autoDeployMode: { kind: 'off' } });
  });

  it.each([
    ['{ poll: 5s }', '/etc/hoist.yaml:9: apps.shop.environments.staging.autoDeploy.poll: 5s is too often: the shortest interval is 10s'],
    ['{ poll: soon }', 'apps.shop.environments.staging.autoDeploy.poll: expected a duration such as 90s'],
    ['{ poll: 1m, every: 2m }', '/etc/hoist.yaml:9: apps.shop.environments.staging.autoDeploy'],
    ['yes', 'expected true (deploy on GitHub push webhooks), false, or { poll: 1m }'],
  ])('refuses %s', (written, message) => {
    expect(() => modeOf(yaml('/srv/repos/shop', written))).toThrow(message);
  });

  it('true still needs GitHub, and says that polling works without', () => {
    expect(() => modeOf(yaml('/srv/repos/shop', 'true'))).toThrow('or write `autoDeploy: { poll: 1m }` to check the branch with git ls-remote instead');
  });

  it('is said by `hoist config check` for each environment that deploys on its own', () => {
    const config = parseHoistConfig(
      `targets:
  edge: { kind: docker }
apps:
  shop:
    repo: https://github.com/acme/shop.git
    services:
      web: { type: application, build: { context: . }, port: 8080 }
    environments:
      staging: { target: edge, branch: main, autoDeploy: true }
      qa: { target: edge, autoDeploy: { poll: 2m } }
      prod: { target: edge }
`,
      '/etc/hoist.yaml',
    );
    expect(autoDeployNotes(config, false)).toEqual([
      "shop/staging: deploys each push to main of acme/shop (GitHub's webhook at /webhooks/github) — GITHUB_WEBHOOK_SECRET is not set, so no push can arrive",
      "shop/qa: checks the repository's default branch with git ls-remote every 2m (±10%) and deploys a new head",
    ]);
    expect(autoDeployNotes(config, true)[0]).toBe("shop/staging: deploys each push to main of acme/shop (GitHub's webhook at /webhooks/github)");
  });
});
