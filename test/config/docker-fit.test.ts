import { describe, expect, it } from 'vitest';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';
import { errorOf } from './config-refusal.ts';

const base = `targets:
  local: { kind: docker }
  cluster: { kind: kubernetes, context: prod }
apps:
  shop:
    repo: /srv/shop
    services:
      db:      { type: database, image: postgres:16, port: 5432 }
      migrate: { type: lifecycle-job, image: shop:1, command: [migrate] }
      web:     { type: container, image: web:1, port: 8080, replicas: 3 }
    environments:
      local:   { target: local }
      cluster: { target: cluster, expose: {} }
`;

describe('hoist.yaml: what a Docker target can run', () => {
  it('reads path and timeout, with a lifecycle job taking 10m unless it says otherwise', () => {
    const shop = parseHoistConfig(base, '/etc/hoist.yaml').apps.get('shop')!;
    const service = (name: string) => shop.services.find((s) => s.name === name)!;
    expect([service('db').path, service('db').timeoutMs, service('migrate').timeoutMs, service('web').timeoutMs]).toEqual([null, null, 600_000, null]);
    const written = parseHoistConfig(
      base.replace('port: 5432 }', 'port: 5432, path: /pgdata }').replace('command: [migrate] }', 'command: [migrate], timeout: 90s }'),
      '/etc/hoist.yaml',
    ).apps.get('shop')!;
    expect(written.services.find((s) => s.name === 'db')!.path).toBe('/pgdata');
    expect(written.services.find((s) => s.name === 'migrate')!.timeoutMs).toBe(90_000);
  });

  it('accepts several replicas on Docker without a fixed host port, and a cronjob on Kubernetes', () => {
    const text = base
      .replace('      local:   { target: local }\n', '')
      .replace('web:     { type: container', 'report:  { type: cronjob, image: shop:1, schedule: "0 3 * * *" }\n      web:     { type: container');
    expect(parseHoistConfig(text, '/etc/hoist.yaml').apps.get('shop')!.environments.get('cluster')!.services.map((s) => s.name)).toEqual(['db', 'migrate', 'report', 'web']);
    const docker = parseHoistConfig(base, '/etc/hoist.yaml').apps.get('shop')!.environments.get('local')!;
    expect(docker.services.find((s) => s.name === 'web')!.replicas).toBe(3);
  });

  it.each([
    [
      'replicas with a fixed host port on Docker',
      base.replace('local:   { target: local }', 'local:   { target: local, expose: { web: 8080 } }'),
      '/etc/hoist.yaml:12: apps.shop.environments.local.expose.web: web runs 3 replicas, but a fixed host port (8080) can serve only one container on a Docker target, which has no proxy in front: set `replicas: 1` or remove it from `expose`',
    ],
    [
      'an override raising replicas behind a fixed host port',
      base.replace('replicas: 3 }', 'replicas: 1 }').replace('local:   { target: local }', 'local:   { target: local, expose: { web: 8080 }, overrides: { web: { replicas: 2 } } }'),
      '/etc/hoist.yaml:12: apps.shop.environments.local.expose.web: web runs 2 replicas',
    ],
    [
      'a cronjob on Docker',
      base.replace('web:     { type: container', 'report:  { type: cronjob, image: shop:1, schedule: "0 3 * * *" }\n      web:     { type: container'),
      '/etc/hoist.yaml:13: apps.shop.environments.local.target: target "local" is a Docker target, which cannot run cronjob report: a cronjob needs a Kubernetes target',
    ],
    [
      'several replicas of a database on Docker',
      base.replace('port: 5432 }', 'port: 5432, replicas: 2 }'),
      '/etc/hoist.yaml:8: apps.shop.services.db.replicas: database db keeps its data in one volume on a Docker target, which one container may use: set `replicas: 1`',
    ],
    [
      'a database image Hoist does not know, without path',
      base.replace('image: postgres:16', 'image: registry.example.com/team/store:3'),
      '/etc/hoist.yaml:8: apps.shop.services.db.image: Hoist does not know where registry.example.com/team/store:3 keeps its data (it knows postgres, postgis, mysql, mariadb, mongo, redis, valkey): set `path:` to the directory its volume mounts at',
    ],
    ['path on a service that is no database', base.replace('port: 8080,', 'port: 8080, path: /x,'), "/etc/hoist.yaml:10: apps.shop.services.web.path: `path` is where a database's volume mounts; this service is a container: remove it"],
    ['a relative path', base.replace('port: 5432 }', 'port: 5432, path: data }'), '/etc/hoist.yaml:8: apps.shop.services.db.path: expected an absolute path in the container'],
    ['timeout on a service that is no job', base.replace('port: 8080,', 'port: 8080, timeout: 5m,'), '/etc/hoist.yaml:10: apps.shop.services.web.timeout: `timeout` is how long a lifecycle job may run; this service is a container: remove it'],
    ['a timeout that is no duration', base.replace('command: [migrate] }', 'command: [migrate], timeout: 10 minutes }'), '/etc/hoist.yaml:9: apps.shop.services.migrate.timeout: expected a duration such as 90s, 30m, 24h or 7d'],
  ])('refuses %s', (_what, text, message) => {
    expect(errorOf(text)).toContain(message);
  });

  it('accepts an unknown database image with path', () => {
    const text = base.replace('image: postgres:16, port: 5432', 'image: registry.example.com/team/store:3, port: 5432, path: /var/lib/store');
    expect(parseHoistConfig(text, '/etc/hoist.yaml').apps.get('shop')!.services[0]!.path).toBe('/var/lib/store');
  });
});
