import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { removeAppContainers } from '../support/containers.ts';
import pg from 'pg';
import { DOCKER_HOST, REGISTRY, eventually, freePort, httpText, randomName, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';

const INTERVAL = 500;

describe('autoDeploy by polling a plain git repository', () => {
  const app = randomName('poll');
  let work: GitFixture;
  let bare: string;
  let hoist: TestHoist;

  type Row = { id: number; sha: string; trigger: string; status: string; env: string; requestedBy: { name: string }; push: unknown };
  const deployments = async () => ((await (await hoist.api(`/deployments?app=${app}`)).json()) as { items: Row[] }).items;
  let port: number;
  const publish = (message: string): string => {
    const sha = work.commit(message, webAppFiles(`${app} ${message}`));
    work.git('push', '--quiet', bare, 'main');
    return sha;
  };

  beforeAll(async () => {
    work = createGitFixture('hoist-poll-work');
    bare = join(mkdtempSync(join(tmpdir(), 'hoist-poll-bare-')), 'shop.git');
    execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
    publish('v1');
    port = await freePort();
    hoist = await startTestHoist({
      yaml: `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
  ${app}:
    repo: ${bare}
    services:
      web: { type: application, build: { context: . }, port: 8080, health: { path: /, timeout: 20s } }
    environments:
      staging: { target: engine, autoDeploy: { poll: 10s }, expose: { web: ${port} } }
      manual: { target: engine }
`,
      pollIntervalMs: INTERVAL,
    });
  });

  afterAll(async () => {
    await hoist?.stop();
    await removeAppContainers(app);
    work?.remove();
    if (bare) rmSync(join(bare, '..'), { recursive: true, force: true });
  });

  it('deploys a new commit within one interval, as Automatic and polled; what ran at start is not deployed', async () => {
    // The first check remembers v1: nothing is new yet.
    const seen = async (): Promise<Record<string, string> | null> => {
      const client = new pg.Client({ connectionString: hoist.databaseUrl });
      await client.connect();
      try {
        return ((await client.query<{ heads: Record<string, string> | null }>('select heads from git_polls')).rows[0]?.heads ?? null);
      } finally {
        await client.end();
      }
    };
    await eventually(seen, 10_000, 'the first check');
    const pushed = Date.now();
    const v2 = publish('v2');
    const [deployed] = await eventually(async () => {
      const items = await deployments();
      return items.length > 0 ? items : null;
    }, 10_000, 'a deployment of v2');
    // One interval (and its jitter), the check and the request; a check that was under way at the push may add one more.
    expect(Date.now() - pushed).toBeLessThan(2 * INTERVAL * 1.1 + 1_500);
    expect(deployed).toMatchObject({ env: 'staging', sha: v2, trigger: 'webhook', requestedBy: { name: 'polled' }, push: { pusher: 'polled', polled: true } });
    await eventually(async () => ((await deployments())[0]?.status === 'DEPLOYED' ? true : null), 120_000, 'DEPLOYED');
    expect(await httpText(`http://127.0.0.1:${port}/`)).toEqual({ status: 200, text: `${app} v2\n` });
    expect((await seen())?.main).toBe(v2);
    const environment = (await (await hoist.api(`/apps/${app}/environments/staging`)).json()) as { autoDeploy: boolean };
    expect(environment.autoDeploy).toBe(true);
    expect((await deployments()).map((d) => d.env)).toEqual(['staging']);
  });
});
