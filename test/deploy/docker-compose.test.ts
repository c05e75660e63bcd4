import { existsSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { parseArguments } from '../../src/cli/arguments.ts';
import { RUN_OPTIONS, type RunMode } from '../../src/cli/run-options.ts';
import { parseEnv } from '../../src/config/env.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  network_mode?: string;
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  group_add?: string[];
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, ComposeService> };
const services = compose.services;
const hoist = services.hoist!;

/** Compose's `${NAME:-default}` as compose would fill it in with NAME unset; `${NAME:?…}` and `${NAME}` with `given`. */
function interpolate(text: string, given: Record<string, string>): string {
  return text.replace(/\$\{(\w+)(?::([-?])((?:[^{}]|\{[^}]*\})*))?\}/g, (_all, name: string, kind?: string, rest?: string) => {
    if (given[name] !== undefined) return given[name];
    if (kind === '-') return rest ?? '';
    throw new Error(`docker-compose.yml needs ${name}${kind === '?' ? `: ${rest}` : ''}`);
  });
}

const GIVEN = { DOCKER_GID: '999' };
const env = Object.fromEntries(Object.entries(hoist.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), GIVEN)]));

/** Where Hoist reaches `service`'s `containerPort`: its name on the compose network, or its port published on the host's loopback when Hoist shares the host's network. */
function addressOf(service: string, containerPort: number): string {
  if (hoist.network_mode !== 'host') return `${service}:${containerPort}`;
  const published = (services[service]?.ports ?? []).map((p) => interpolate(p, GIVEN).split(':')).find((parts) => Number(parts.at(-1)) === containerPort);
  expect(published, `${service} publishes ${containerPort} for Hoist on the host's network`).toBeDefined();
  expect(published![0], `${service} is published on loopback only`).toBe('127.0.0.1');
  return `127.0.0.1:${published![1]}`;
}

describe('docker-compose.yml', () => {
  it('runs Redis, Postgres, a registry and Hoist', () => {
    expect(Object.keys(services).sort()).toEqual(['hoist', 'postgres', 'redis', 'registry']);
    expect(services.registry!.image).toMatch(/^registry:2(\.|$)/);
    expect(hoist.build).toBe('.');
  });

  it('starts Hoist headless, with options its command line accepts', () => {
    const [mode, ...args] = hoist.command ?? [];
    expect(['start', 'server']).toContain(mode);
    const parsed = parseArguments(mode!, args, RUN_OPTIONS[mode as RunMode], true);
    expect(parsed.ok && (mode === 'server' || parsed.options.has('--headless'))).toBe(true);
  });

  it('gives Hoist an environment it starts with: the database, Redis and the registry of this file, every interface', () => {
    const parsed = parseEnv(env);
    expect(parsed.host).toBe('0.0.0.0');
    const pg = services.postgres!.environment!;
    const database = new URL(parsed.databaseUrl!);
    expect(database.host).toBe(addressOf('postgres', 5432));
    expect([database.username, database.password, database.pathname]).toEqual([pg.POSTGRES_USER, pg.POSTGRES_PASSWORD, `/${pg.POSTGRES_DB}`]);
    expect(parsed.redis.kind === 'single' && new URL(parsed.redis.url).host).toBe(addressOf('redis', 6379));
    expect(parsed.registry.url).toMatch(new RegExp(`^${addressOf('registry', 5000).replace(/\./g, '\\.')}/[a-z0-9-]+$`));
  });

  it('waits for each service to be healthy, and each has a health check', () => {
    for (const name of ['redis', 'postgres', 'registry']) {
      expect(hoist.depends_on?.[name]).toEqual({ condition: 'service_healthy' });
      expect(services[name]!.healthcheck?.test.length).toBeGreaterThan(1);
    }
  });

  it("mounts the engine's socket where DOCKER_HOST points, and gives Hoist the socket's group", () => {
    const socket = env.DOCKER_HOST!.replace(/^unix:\/\//, '');
    const mounts = (hoist.volumes ?? []).map((v) => interpolate(v, GIVEN).split(':'));
    expect(mounts.some(([source, target]) => target === socket && source!.endsWith('.sock'))).toBe(true);
    expect((hoist.group_add ?? []).map((g) => interpolate(g, GIVEN))).toEqual([GIVEN.DOCKER_GID]);
  });

  it('mounts hoist.yaml where HOIST_CONFIG points, and the repository its example app is built from', () => {
    const config = env.HOIST_CONFIG!;
    const mount = (hoist.volumes ?? [])
      .map((v) => interpolate(v, GIVEN).split(':'))
      .find(([, target]) => target === config || config.startsWith(`${target}/`));
    expect(mount, `a volume holding ${config}`).toBeDefined();
    const [source, target] = mount!;
    const file = join(ROOT, source!, target === config ? '' : posix.relative(target!, config));
    expect(relative(ROOT, file)).toBe('hoist.yaml');
    expect(existsSync(file)).toBe(true);
    // The example app's `repo: .` is this repository, .git and all.
    if (target !== config) expect(existsSync(join(ROOT, source!, '.git'))).toBe(true);
  });
});

describe('the image and the Kubernetes manifests', () => {
  it('the image puts `hoist` on the PATH and starts headless on every interface', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/ln -s \/app\/bin\/hoist\.mjs \/usr\/local\/bin\/hoist/);
    expect(dockerfile).toMatch(/\bHOST=0\.0\.0\.0\b/);
    expect(dockerfile).toContain('CMD ["start", "--headless"]');
  });

  it('the server keeps listening on every interface', () => {
    const docs = parseAllDocuments(readFileSync(join(ROOT, 'deploy/kubernetes/server.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
    const deployment = docs.find((d) => d.kind === 'Deployment') as { spec: { template: { spec: { containers: { args: string[]; env: { name: string; value?: string }[] }[] } } } };
    const container = deployment.spec.template.spec.containers[0]!;
    expect(container.args).toEqual(['server']);
    expect(container.env.find((e) => e.name === 'HOST')?.value).toBe('0.0.0.0');
  });
});
