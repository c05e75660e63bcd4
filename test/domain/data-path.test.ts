import { describe, expect, it } from 'vitest';
import { dataPathOf, imageRepositoryName, knownDataPath } from '../../src/domain/data-path.ts';

describe('where a database keeps its data', () => {
  it.each([
    ['postgres:16', '/var/lib/postgresql/data'],
    ['docker.io/library/postgres:16-alpine', '/var/lib/postgresql/data'],
    ['reg.test:5000/lib/postgis/postgis:16@sha256:abc', '/var/lib/postgresql/data'],
    ['reg.test:5000/lib/postgis:16', '/var/lib/postgresql/data'],
    ['mysql', '/var/lib/mysql'],
    ['mariadb:11', '/var/lib/mysql'],
    ['mongo:7', '/data/db'],
    ['redis:7', '/data'],
    ['valkey/valkey:8', '/data'],
    ['registry.example.com/team/db:16', null],
    ['localhost:5000/postgres-exporter:1', null],
  ])('%s → %s', (image, path) => {
    expect(knownDataPath(image)).toBe(path);
  });

  it('names the repository without registry, port, tag or digest', () => {
    expect(imageRepositoryName('reg.test:5000/lib/postgres:16@sha256:abc')).toBe('postgres');
    expect(imageRepositoryName('127.0.0.1:5000/redis')).toBe('redis');
  });

  it('prefers the configured path over the known one', () => {
    expect(dataPathOf({ path: '/pgdata', image: 'postgres:16' })).toBe('/pgdata');
    expect(dataPathOf({ image: 'postgres:16' })).toBe('/var/lib/postgresql/data');
    expect(dataPathOf({ path: null, image: 'store:1' })).toBeNull();
    expect(dataPathOf({ image: null }, 'redis:7')).toBe('/data');
  });
});
