import { createImageRegistry } from '../../src/engine/build/image-registry.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';
import { createDockerBuilder } from '../../src/engine/build/docker-builder.ts';
import { createDeployRunner } from '../../src/engine/deploy-runner.ts';
import { createDocker } from '../../src/engine/docker/client.ts';
import type { Source } from '../../src/engine/ports.ts';
import { createGitSource } from '../../src/engine/source/git-source.ts';
import { createDockerTarget } from '../../src/engine/targets/docker-target.ts';
import { createHttpApp } from '../../src/http/server.ts';
import { apiAuth } from '../support/api-auth.ts';
import { createLogger } from '../../src/logger.ts';
import type { ActionCommand } from '../../src/service/contract.ts';
import { createHoistService } from '../../src/service/hoist-service.ts';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { appendLogLines } from '../../src/store/deployment-logs.ts';
import { setDeploymentStatus } from '../../src/store/deployments.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { createTestDatabase } from '../support/databases.ts';
import { dockerHost, registry, uniqueName } from './engine-env.ts';

const SECRET = 's3cr3tTOKEN';
const REPO = `http://deploy:${SECRET}@127.0.0.1:1/x.git`;
const MASKED = 'http://deploy:[redacted]@127.0.0.1:1/x.git';

/**
 * An app whose repository URL carries a token and cannot be reached: what a deploy of it
 * answers, what its deployment records, what the API shows and what the log says never
 * contain the token.
 */
describe('a repository URL with credentials', () => {
  const app = uniqueName('cred');
  const docker = createDocker(dockerHost);
  const logLines: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void logLines.push(line) });
  const requester = { requester: { id: 'U0BOB', name: 'bob' }, origin: { kind: 'none' as const }, trigger: 'api' as const };
  const deploy: ActionCommand = { verb: 'deploy', scope: { app, services: null }, env: 'test', ref: null };
  let database: { url: string; drop(): Promise<void> };
  let handle: DatabaseHandle;
  let cacheDir: string;
  let source: Source;
  let config: ReturnType<typeof parseHoistConfig>;

  beforeAll(async () => {
    config = parseHoistConfig(
      `
targets: { engine: { kind: docker } }
apps:
  ${app}:
    repo: ${REPO}
    services:
      web: { type: application, build: { context: . }, port: 8080 }
    environments:
      test: { target: engine }
`,
      join(tmpdir(), 'secret-repo.yaml'),
    );
    database = await createTestDatabase();
    handle = await openDatabase({ url: database.url, dataDir: tmpdir() });
    await migrateToLatest(handle.db as never);
    cacheDir = mkdtempSync(join(tmpdir(), 'hoist-secret-repo-'));
    source = createGitSource({ cacheDir, log: logger.child({ component: 'git' }) });
  });

  afterAll(async () => {
    await handle?.close();
    await database?.drop();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('a deploy is refused with the repository named without the token', async () => {
    const service = createHoistService({ db: handle.db, config, source, registry: createImageRegistry(), kick: async () => {}, notify: () => {} });
    const result = await service.request(deploy, requester);
    expect(result).toMatchObject({ ok: false, code: 'REF_NOT_FOUND', reason: expect.stringContaining(`cannot clone ${MASKED}: `) });
    expect(JSON.stringify(result)).not.toContain(SECRET);
  });

  it('a deployment whose build cannot fetch records, shows and logs its failure without the token', async () => {
    // The repository answered when the deploy was requested and is gone when the build runs.
    const answered: Source = { resolve: async () => ({ ok: true, sha: 'a'.repeat(40) }), archive: (...args) => source.archive(...args) };
    const service = createHoistService({ db: handle.db, config, source: answered, registry: createImageRegistry(), kick: async () => {}, notify: () => {} });
    const requested = await service.request(deploy, requester);
    if (!requested.ok) throw new Error(requested.reason);
    const id = requested.deployment.id;
    const builder = createDockerBuilder({ docker, source, registry, logger: logger.child({ component: 'builder' }) });
    const target = createDockerTarget({ docker, stopTimeoutSeconds: 2 });
    const runner = createDeployRunner({ db: handle.db, config, source, builder, targetFor: () => target, notify: () => {}, logger });
    await runner.run(id, new AbortController().signal);

    const stored = (await service.getDeployment(id))!;
    expect(stored.status).toBe('BUILD_ERROR');
    const web = stored.services.find((s) => s.name === 'web');
    expect(web?.reason).toContain(`cannot clone ${MASKED}`);
    const logs = await service.deploymentLogs(id, { tail: 100, service: null });
    const auth = await apiAuth(handle.db);
    const http = createHttpApp({ api: service, readiness: {}, logger, authenticate: auth.authenticate });
    const answers = await Promise.all(
      [`/api/v1/deployments/${id}`, `/api/v1/deployments/${id}/logs`, `/api/v1/deployments?app=${app}`].map(async (path) => {
        const response = await http.request(path, { headers: auth.headers });
        expect(response.status, path).toBe(200);
        return response.text();
      }),
    );
    expect(answers[0]).toContain(`cannot clone ${MASKED}`);
    const everything = [JSON.stringify(stored), JSON.stringify(logs), ...answers, ...logLines].join('\n');
    expect(everything).not.toContain(SECRET);
    expect(logLines.length).toBeGreaterThan(0);
  });

  it('the API masks a credential that reached the store by another way, in whole and in followed answers', async () => {
    const service = createHoistService({ db: handle.db, config, source: { resolve: async () => ({ ok: true, sha: 'b'.repeat(40) }), archive: source.archive }, registry: createImageRegistry(), kick: async () => {}, notify: () => {} });
    const requested = await service.request(deploy, requester);
    if (!requested.ok) throw new Error(requested.reason);
    const id = requested.deployment.id;
    await appendLogLines(handle.db, id, [{ service: 'web', line: `git clone ${REPO}` }]);
    await setDeploymentStatus(handle.db, id, { status: 'CANCELED', reason: `gave up on ${REPO}`, finished: true });
    const auth = await apiAuth(handle.db);
    const http = createHttpApp({ api: service, readiness: {}, logger, authenticate: auth.authenticate });
    const whole = await (await http.request(`/api/v1/deployments/${id}`, { headers: auth.headers })).json();
    expect(whole).toMatchObject({ reason: `gave up on ${MASKED}` });
    const lines = await (await http.request(`/api/v1/deployments/${id}/logs`, { headers: auth.headers })).json();
    expect(lines).toMatchObject({ lines: [{ line: `git clone ${MASKED}` }] });
    const followed = await (await http.request(`/api/v1/deployments/${id}/logs?follow=1`, { headers: auth.headers })).text();
    expect(followed).toContain(`git clone ${MASKED}`);
    expect(followed).toContain(`gave up on ${MASKED}`);
    expect(followed).not.toContain(SECRET);
  });
});
