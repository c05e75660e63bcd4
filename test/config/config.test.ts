import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { parseHoistConfig, parseDuration } from '../../src/config/hoist-config.ts';

const good = `targets:
  main-cluster: { kind: kubernetes, context: prod }
  edge: { kind: docker, host: unix:///var/run/docker.sock }
registry: { url: registry.example.com/acme }
apps:
  shop:
    repo: https://github.com/acme/shop.git
    channels: [C0SHOPDEPLOYS]
    services:
      db:      { type: database, image: postgres:16, port: 5432, storage: 10Gi }
      migrate: { type: lifecycle-job, build: { context: ., dockerfile: Dockerfile }, command: [npm, run, migrate] }
      api:     { type: application, build: { context: . }, port: 8080, replicas: 2, health: { path: /healthz } }
      report:  { type: cronjob, schedule: "0 3 * * *", build: { context: . }, command: [npm, run, report] }
    environments:
      staging:    { target: main-cluster, namespace: shop-staging, branch: main, autoDeploy: true,
                    overrides: { api: { replicas: 1 } } }
      production: { target: main-cluster, namespace: shop-prod, branch: main,
                    deployers: ["@backend", U0ALICE],
                    approval: { required: 1, approvers: ["@sre"], selfApproval: false, timeout: 30m },
                    onFailure: rollback, lock: { ttl: 24h } }
`;

function errorOf(text: string): string {
  try {
    parseHoistConfig(text, '/etc/hoist.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('hoist.yaml', () => {
  it('reads the reference configuration with overrides applied', () => {
    const config = parseHoistConfig(good, '/etc/hoist.yaml');
    const shop = config.apps.get('shop');
    expect(shop?.services.map((s) => s.name)).toEqual(['db', 'migrate', 'api', 'report']);
    expect(shop?.environments.get('staging')?.services.find((s) => s.name === 'api')?.replicas).toBe(1);
    expect(shop?.environments.get('production')?.services.find((s) => s.name === 'api')?.replicas).toBe(2);
    expect(shop?.environments.get('production')?.onFailure).toBe('rollback');
    expect(config.registry).toBe('registry.example.com/acme');
  });

  it('reads resources, an environment overriding the amounts it names, and image pull secrets', () => {
    const text = good
      .replace('api:     { type: application, build: { context: . }, port: 8080, replicas: 2, health: { path: /healthz } }',
        'api:     { type: application, build: { context: . }, port: 8080, replicas: 2, health: { path: /healthz },\n                 resources: { requests: { cpu: 250m, memory: 128Mi }, limits: { memory: 256Mi } } }')
      .replace('overrides: { api: { replicas: 1 } }', 'overrides: { api: { replicas: 1, resources: { limits: { memory: 512Mi, cpu: "1" } } } }')
      .replace('main-cluster: { kind: kubernetes, context: prod }', 'main-cluster: { kind: kubernetes, context: prod, imagePullSecrets: [regcred] }');
    const config = parseHoistConfig(text, '/etc/hoist.yaml');
    const shop = config.apps.get('shop')!;
    const api = (env: string) => shop.environments.get(env)!.services.find((s) => s.name === 'api')!.resources;
    expect(api('production')).toEqual({ requests: { cpu: '250m', memory: '128Mi' }, limits: { cpu: null, memory: '256Mi' } });
    expect(api('staging')).toEqual({ requests: { cpu: '250m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } });
    expect(shop.services.find((s) => s.name === 'db')!.resources).toBeNull();
    expect(config.targets.get('main-cluster')).toMatchObject({ imagePullSecrets: ['regcred'] });
  });

  it('resolves a relative repo against the file', () => {
    const config = parseHoistConfig(good.replace('https://github.com/acme/shop.git', '.'), '/srv/app/hoist.yaml');
    expect(config.apps.get('shop')?.repo).toBe('/srv/app');
  });

  it.each([
    ['approval count', good.replace('required: 1', 'required: 0'), '/etc/hoist.yaml:19: apps.shop.environments.production.approval.required: expected a positive integer'],
    ['unknown target', good.replace('target: main-cluster, namespace: shop-staging', 'target: nowhere, namespace: shop-staging'), '/etc/hoist.yaml:15: apps.shop.environments.staging.target: unknown target "nowhere"'],
    ['unknown service type', good.replace('type: database', 'type: datbase'), '/etc/hoist.yaml:10: apps.shop.services.db.type:'],
    ['unknown key', good.replace('storage: 10Gi', 'storage: 10Gi, volume: x'), '/etc/hoist.yaml:10: apps.shop.services.db.volume: unknown key(s) "volume"'],
    ['override of a missing service', good.replace('overrides: { api:', 'overrides: { apx:'), 'apps.shop.environments.staging.overrides.apx: no service "apx"'],
    ['application without build', good.replace('api:     { type: application, build: { context: . },', 'api:     { type: application,'), '/etc/hoist.yaml:12: apps.shop.services.api'],
    ['bad duration', good.replace('timeout: 30m', 'timeout: soon'), '/etc/hoist.yaml:19: apps.shop.environments.production.approval.timeout: expected a duration'],
    ['cpu amount', good.replace('storage: 10Gi }', 'storage: 10Gi, resources: { limits: { cpu: 2 cores } } }'), '/etc/hoist.yaml:10: apps.shop.services.db.resources.limits.cpu: expected CPUs such as 500m, 1 or 1.5'],
    ['memory amount', good.replace('storage: 10Gi }', 'storage: 10Gi, resources: { requests: { memory: 1 GB } } }'), '/etc/hoist.yaml:10: apps.shop.services.db.resources.requests.memory: expected memory such as 256Mi, 1Gi or 512M'],
    ['request above limit', good.replace('storage: 10Gi }', 'storage: 10Gi, resources: { requests: { memory: 1Gi }, limits: { memory: 512Mi } } }'), '/etc/hoist.yaml:10: apps.shop.services.db.resources: the memory request 1Gi is above its limit 512Mi; a request may not be more than its limit'],
    ['request above an overridden limit', good.replace('storage: 10Gi }', 'storage: 10Gi, resources: { requests: { cpu: "2" } } }').replace('overrides: { api: { replicas: 1 } }', 'overrides: { db: { resources: { limits: { cpu: 500m } } } }'), 'apps.shop.environments.staging.overrides.db.resources: the cpu request 2 is above its limit 500m'],
    ['YAML syntax', good.replace('apps:\n', 'apps:\n  - [\n'), '/etc/hoist.yaml:7:3: Flow sequence'],
  ])('%s: the error names file, line and path', (_name, text, expected) => {
    expect(errorOf(text)).toContain(expected);
  });

  it('parses durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('24h')).toBe(86_400_000);
  });
});

describe('environment variables', () => {
  it('applies defaults', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({ databaseUrl: null, redisUrl: 'redis://127.0.0.1:6379', port: 3000, slack: null, configPath: './hoist.yaml' });
  });
  it('names the variable, never its value', () => {
    expect(() => parseEnv({ PORT: 'eighty' })).toThrow(/PORT/);
    try {
      parseEnv({ SLACK_BOT_TOKEN: 'xoxb-secret-value' });
    } catch (error) {
      expect((error as Error).message).toContain('SLACK_SIGNING_SECRET');
      expect((error as Error).message).not.toContain('xoxb-secret-value');
    }
  });
  it('needs both Slack variables', () => {
    expect(() => parseEnv({ SLACK_SIGNING_SECRET: 's' })).toThrow(/SLACK_BOT_TOKEN is not set/);
    expect(parseEnv({ SLACK_SIGNING_SECRET: 's', SLACK_BOT_TOKEN: 't', SLACK_API_URL: 'http://127.0.0.1:9/api' }).slack?.apiUrl).toBe('http://127.0.0.1:9/api/');
  });
});
