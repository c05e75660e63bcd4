import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { parseHoistConfig, parseDuration } from '../../src/config/hoist-config.ts';
import { errorOf } from './config-refusal.ts';

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
      production: { target: main-cluster, namespace: shop-prod, branch: main, production: true,
                    deployers: ["@backend", U0ALICE],
                    approval: { required: 1, approvers: ["@sre"], selfApproval: false, timeout: 30m },
                    onFailure: rollback, lock: { ttl: 24h } }
`;

describe('hoist.yaml', () => {
  it('reads the reference configuration with overrides applied', () => {
    const config = parseHoistConfig(good, '/etc/hoist.yaml');
    const shop = config.apps.get('shop');
    expect(shop?.services.map((s) => s.name)).toEqual(['db', 'migrate', 'api', 'report']);
    expect(shop?.environments.get('staging')?.services.find((s) => s.name === 'api')?.replicas).toBe(1);
    expect(shop?.environments.get('production')?.services.find((s) => s.name === 'api')?.replicas).toBe(2);
    expect(shop?.environments.get('production')?.onFailure).toBe('rollback');
    expect([shop?.environments.get('production')?.production, shop?.environments.get('staging')?.production]).toEqual([true, false]);
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
    const config = parseHoistConfig(good.replace('https://github.com/acme/shop.git', '.\n    github: acme/shop'), '/srv/app/hoist.yaml');
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

  it('reads publicEnv: the keys of env shown in clear', () => {
    const text = good.replace('report:  { type: cronjob,', 'report:  { type: cronjob, env: { DB_PASSWORD: hunter2, LOG_LEVEL: info }, publicEnv: [LOG_LEVEL],');
    const report = parseHoistConfig(text, '/etc/hoist.yaml').apps.get('shop')!.services.find((s) => s.name === 'report')!;
    expect(report.publicEnv).toEqual(['LOG_LEVEL']);
    expect(parseHoistConfig(good, '/etc/hoist.yaml').apps.get('shop')!.services[0]!.publicEnv).toEqual([]);
  });

  it('a publicEnv key that is no key of the env is refused with the file, line and path', () => {
    const text = good.replace('report:  { type: cronjob,', 'report:  { type: cronjob, env: { DB_PASSWORD: hunter2, LOG_LEVEL: info },\n                 publicEnv: [LOG_LEVEL, GRETING],');
    expect(errorOf(text)).toBe(
      '/etc/hoist.yaml:14: apps.shop.services.report.publicEnv.1: "GRETING" is not a key of service report\'s env (its env keys: DB_PASSWORD, LOG_LEVEL); list only keys of its `env` whose values are not secret',
    );
    expect(errorOf(good.replace('report:  { type: cronjob,', 'report:  { type: cronjob, publicEnv: [LOG_LEVEL],'))).toContain(
      'apps.shop.services.report.publicEnv.0: "LOG_LEVEL" is not a key of service report\'s env (it has no `env`)',
    );
  });

  it('a publicEnv key may name an env entry an environment adds', () => {
    const text = good.replace('report:  { type: cronjob,', 'report:  { type: cronjob, publicEnv: [REGION],').replace('overrides: { api: { replicas: 1 } }', 'overrides: { api: { replicas: 1 }, report: { env: { REGION: eu } } }');
    expect(parseHoistConfig(text, '/etc/hoist.yaml').apps.get('shop')!.services.find((s) => s.name === 'report')!.publicEnv).toEqual(['REGION']);
  });

  it('a production mark that is not true or false is refused, saying what would do', () => {
    expect(errorOf(good.replace('production: true', 'production: "yes"'))).toMatch(/apps\.shop\.environments\.production\.production: expected true or false/);
  });

  it('tells failures loudly where notify says so, and by default broadcasts them from production only', () => {
    const env = (text: string, name: string) => parseHoistConfig(text, '/etc/hoist.yaml').apps.get('shop')!.environments.get(name)!.notify;
    expect(env(good, 'production')).toEqual({ broadcastFailures: true, mention: [], channel: null });
    expect(env(good, 'staging')).toEqual({ broadcastFailures: false, mention: [], channel: null });
    const loud = good.replace('production: true,', 'production: true, notify: { broadcastFailures: false, mention: ["@oncall", U0CAROL], channel: C0INCIDENTS },');
    expect(env(loud, 'production')).toEqual({ broadcastFailures: false, mention: ['@oncall', 'U0CAROL'], channel: 'C0INCIDENTS' });
    expect(errorOf(good.replace('production: true,', 'production: true, notify: { mention: [oncall] },'))).toMatch(
      /apps\.shop\.environments\.production\.notify\.mention\.0: expected a Slack user id \(U0ALICE\) or a user group handle \(@oncall\)/,
    );
    expect(errorOf(good.replace('production: true,', 'production: true, notify: { channel: "#incidents" },'))).toMatch(/notify\.channel: expected a Slack channel id such as C0INCIDENTS/);
    expect(errorOf(good.replace('production: true,', 'production: true, notify: { loud: true },'))).toMatch(/notify/);
  });

  it('parses durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('24h')).toBe(86_400_000);
  });
});

describe('hoist.yaml refuses what it cannot read safely, naming the file and the line', () => {
  const small = `targets:
  edge: { kind: docker }
apps:
  shop:
    repo: .
    services:
      web: { type: container, image: "example.com/web:1" }
    environments:
      prod: { target: edge }
`;
  const laughs = (levels: number) =>
    Array.from({ length: levels }, (_, level) =>
      level === 0 ? 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]' : `a${level}: &a${level} [${Array(9).fill(`*a${level - 1}`).join(', ')}]`,
    ).join('\n');

  it('an alias bomb', () => {
    expect(errorOf(`${small}laughs:\n  ${laughs(9).replaceAll('\n', '\n  ')}\n`)).toBe(
      '/etc/hoist.yaml:14: laughs.a3.0: the alias *a2 repeats its anchor more than 100 times over (an alias bomb); write the values out or repeat less',
    );
  });

  it('one anchor repeated more than the alias limit', () => {
    const text = small.replace('"example.com/web:1" }', `&image "example.com/web:1", command: [${Array(101).fill('*image').join(', ')}] }`);
    expect(errorOf(text)).toBe(
      '/etc/hoist.yaml:7: apps.shop.services.web.command.99: the alias *image repeats its anchor more than 100 times over (an alias bomb); write the values out or repeat less',
    );
  });

  it('an anchor shared by a few services is still read', () => {
    const text = small.replace('web: { type: container, image: "example.com/web:1" }',
      'web: { type: container, image: "example.com/web:1", env: &shared { REGION: eu, TIER: web } }\n      api: { type: container, image: "example.com/api:1", env: *shared }');
    expect(parseHoistConfig(text, '/etc/hoist.yaml').apps.get('shop')?.services.find((s) => s.name === 'api')?.env).toEqual({ REGION: 'eu', TIER: 'web' });
  });

  it('an alias without its anchor', () => {
    expect(errorOf(small.replace('"example.com/web:1"', '*image'))).toBe(
      '/etc/hoist.yaml:7: apps.shop.services.web.image: the alias *image names no anchor above it; write &image on a value before repeating it',
    );
  });

  it.each([
    ['!!js/function', '!!js/function "function () {}"'],
    ['!foo', '!foo bar'],
    ['!!binary', '!!binary aGVsbG8='],
  ])('a value tagged %s', (tag, value) => {
    expect(errorOf(small.replace('"example.com/web:1"', value))).toBe(
      `/etc/hoist.yaml:7: apps.shop.services.web.image: the YAML tag ${tag} is refused: hoist.yaml takes plain values (strings, numbers, true/false, lists and mappings)`,
    );
  });

  it.each([
    ['a list', '# hosts\n- edge\n- core\n', '/etc/hoist.yaml:2: the top level is a list; hoist.yaml is a mapping with `targets:` and `apps:`'],
    ['a single value', 'targets and apps\n', '/etc/hoist.yaml:1: the top level is a single value; hoist.yaml is a mapping with `targets:` and `apps:`'],
    ['empty', '', '/etc/hoist.yaml:1: the file is empty; hoist.yaml needs `targets:` and `apps:`'],
    ['only comments', '# to do\n', '/etc/hoist.yaml:1: the file is empty; hoist.yaml needs `targets:` and `apps:`'],
  ])('a file whose top level is %s', (_what, text, expected) => {
    expect(errorOf(text)).toBe(expected);
  });

  it('several documents in one file', () => {
    expect(errorOf(`---\n${small}---\n${small}`)).toBe(
      '/etc/hoist.yaml:11: a second YAML document starts here ("---"); hoist.yaml is one document: remove the "---" or merge the two',
    );
  });

  it('flow nesting far deeper than the YAML composer could follow', () => {
    const text = `${small}deep: ${'['.repeat(5_000)}${']'.repeat(5_000)}\n`;
    expect(errorOf(text)).toBe('/etc/hoist.yaml:10: nested more than 32 levels deep; hoist.yaml needs far fewer');
  });

  it('block nesting past the depth limit', () => {
    const text = `${small}${Array.from({ length: 40 }, (_, level) => `${' '.repeat(level)}k${level}:`).join('\n')} end\n`;
    expect(errorOf(text)).toBe('/etc/hoist.yaml:42: nested more than 32 levels deep; hoist.yaml needs far fewer');
  });

  it('a key written twice in a flow mapping', () => {
    expect(errorOf(small.replace('image: "example.com/web:1" }', 'image: "example.com/web:1", image: "example.com/web:2" }'))).toBe(
      '/etc/hoist.yaml:7: apps.shop.services.web.image: the key "image" is written twice in one mapping (first on line 7); keep one',
    );
  });

  it('a service written twice', () => {
    expect(errorOf(small.replace('    environments:', '      web: { type: container, image: "example.com/web:2" }\n    environments:'))).toBe(
      '/etc/hoist.yaml:8: apps.shop.services.web: the key "web" is written twice in one mapping (first on line 7); keep one',
    );
  });

  it.each([
    ['service', small.replace('web: {', 'Web: {'), '/etc/hoist.yaml:7: apps.shop.services.Web: "Web" is not a valid service name'],
    ['app', small.replace('shop:', 'Shop:'), '/etc/hoist.yaml:4: apps.Shop: "Shop" is not a valid app name'],
    ['environment', small.replace('prod:', 'prod_eu:'), '/etc/hoist.yaml:9: apps.shop.environments.prod_eu: "prod_eu" is not a valid environment name'],
    ['target', small.replace('edge: {', '1edge: {').replace('target: edge', 'target: 1edge'), '/etc/hoist.yaml:2: targets.1edge: "1edge" is not a valid target name'],
  ])('an invalid %s name says what a valid name looks like', (_what, text, expected) => {
    expect(errorOf(text)).toBe(
      `${expected}: names are lowercase letters, digits and "-", starting with a letter, at most 40 characters (^[a-z][a-z0-9-]{0,39}$)`,
    );
  });
});

describe('environment variables', () => {
  it('applies defaults', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({ databaseUrl: null, redis: { kind: 'single', url: 'redis://127.0.0.1:6379' }, redisPrefix: 'hoist', port: 3000, slack: null, configPath: './hoist.yaml' });
  });
  it('DATABASE_PREPARED_STATEMENTS is on unless set off, and says what it takes', () => {
    expect(parseEnv({}).databasePreparedStatements).toBe(true);
    expect(parseEnv({ DATABASE_PREPARED_STATEMENTS: 'off' }).databasePreparedStatements).toBe(false);
    expect(() => parseEnv({ DATABASE_PREPARED_STATEMENTS: 'no' })).toThrow(/DATABASE_PREPARED_STATEMENTS: expected on or off \(off only behind a PgBouncer older than 1\.21 in transaction mode\)/);
  });
  it('DATABASE_POOL_SIZE sizes the connections to Postgres (10 unless set), and is refused with what it takes', () => {
    const url = 'postgres://127.0.0.1:5432/hoist';
    expect(parseEnv({ DATABASE_URL: url }).databasePoolSize).toBe(10);
    expect(parseEnv({ DATABASE_URL: url, DATABASE_POOL_SIZE: ' 4 ' }).databasePoolSize).toBe(4);
    expect(() => parseEnv({ DATABASE_URL: url, DATABASE_POOL_SIZE: 'many' })).toThrow(/DATABASE_POOL_SIZE: expected a number of connections, e\.g\. 10/);
    expect(() => parseEnv({ DATABASE_URL: url, DATABASE_POOL_SIZE: '2.5' })).toThrow(/DATABASE_POOL_SIZE: expected a whole number of connections/);
    expect(() => parseEnv({ DATABASE_URL: url, DATABASE_POOL_SIZE: '0' })).toThrow(/DATABASE_POOL_SIZE: expected at least 1 connection/);
    expect(() => parseEnv({ DATABASE_URL: url, DATABASE_POOL_SIZE: '5000' })).toThrow(/DATABASE_POOL_SIZE: expected at most 1000 connections/);
    // The embedded database has no connections to size: the setting would be ignored.
    expect(() => parseEnv({ DATABASE_POOL_SIZE: '4' })).toThrow(/DATABASE_POOL_SIZE is set without DATABASE_URL: .*set DATABASE_URL, or leave DATABASE_POOL_SIZE out/);
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
  it('tells HTTP from Socket Mode by the token mix, and says what to set for any other mix', () => {
    expect(parseEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).slack).toEqual({
      botToken: 'xoxb-1',
      apiUrl: 'https://slack.com/api/',
      delivery: { kind: 'http', signingSecret: 's' },
      postsPerSecond: 1,
    });
    expect(parseEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1-A1-2', SLACK_POSTS_PER_SECOND: '20' }).slack?.postsPerSecond).toBe(20);
    expect(parseEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1-A1-2' }).slack?.delivery).toEqual({ kind: 'socket', appToken: 'xapp-1-A1-2' });
    const errorOf = (vars: Record<string, string>) => {
      try {
        parseEnv(vars);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      return null;
    };
    expect(errorOf({ SLACK_BOT_TOKEN: 'xoxb-1' })).toMatch(/^SLACK_SIGNING_SECRET and SLACK_APP_TOKEN are not set: set SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET .* or with SLACK_APP_TOKEN \(Socket Mode\)/);
    expect(errorOf({ SLACK_APP_TOKEN: 'xapp-1-A1-2' })).toMatch(/^SLACK_BOT_TOKEN is not set/);
    expect(errorOf({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xoxb-2' })).toMatch(/^SLACK_APP_TOKEN is not an app-level token: it starts with "xapp-"/);
    expect(errorOf({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xoxb-2' })).not.toContain('xoxb-2');
    expect(errorOf({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1', SLACK_SIGNING_SECRET: 's' })).toMatch(/both set: .*unset SLACK_SIGNING_SECRET for Socket Mode, or SLACK_APP_TOKEN for HTTP/);
  });
});
