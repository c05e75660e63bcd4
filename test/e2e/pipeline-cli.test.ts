import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { removeAppContainers } from '../support/containers.ts';
import { appYaml, BASE_IMAGE, freePort, httpText, randomName, startTestHoist, type TestHoist, webAppFiles } from '../support/hoist-harness.ts';
import { runHoist } from '../support/worker-process.ts';

/** A pipeline's token beside the harness's admin: it may deploy and read, and holds no lock. */
const CI_TOKEN = `hoist_${'c'.repeat(40)}`;


describe('`hoist deploy …` from a pipeline against a real Hoist', () => {
  const app = randomName('cli');
  let repo: GitFixture;
  let hoist: TestHoist;
  let port: number;
  let env: Record<string, string>;

  beforeAll(async () => {
    repo = createGitFixture('hoist-cli');
    repo.commit('v1', webAppFiles(`hello from ${app}`));
    repo.git('checkout', '--quiet', '-b', 'broken');
    repo.commit('broken', { Dockerfile: `FROM ${BASE_IMAGE}\nRUN exit 7\n` });
    repo.git('checkout', '--quiet', 'main');
    port = await freePort();
    hoist = await startTestHoist({ yaml: appYaml({ app, repo: repo.dir, env: 'local', port }), env: { HOIST_API_TOKENS: `ci:deploy+read:${CI_TOKEN}` } });
    env = { HOIST_SERVER: hoist.baseUrl, HOIST_TOKEN: hoist.apiToken ?? '' };
  }, 120_000);

  afterAll(async () => {
    await hoist?.stop();
    await removeAppContainers(app);
    repo?.remove();
  });

  it('deploys, prints the thread lines the chat shows and exits 0', async () => {
    const result = await runHoist(['deploy', app, 'to', 'local', '--timeout', '3m'], env);
    // A stream that ended is resumed (and said so on standard error); nothing else goes there.
    expect(result.stderr.replace(/^hoist: the event stream (ended|broke \([^)]*\)); reconnecting\n/gm, '')).toBe('');
    expect(result.stdout).toMatch(new RegExp(`^#1 deploy ${app} to local — QUEUED\\n`));
    const said = `standard error: ${JSON.stringify(result.stderr)}`;
    expect(result.stdout, said).toContain('  #1 │ web → BUILDING\n');
    expect(result.stdout, said).toContain('  #1 │ web → DEPLOYING\n');
    expect(result.stdout).toMatch(/ {2}#1 │ #1 DEPLOYED in \d+s\n/);
    expect(result.stdout.endsWith(`#1 ${app}/local DEPLOYED\n`)).toBe(true);
    expect(result.code).toBe(0);
    expect(await httpText(`http://127.0.0.1:${port}/`)).toEqual({ status: 200, text: `hello from ${app}\n` });
  });

  it('exits 1 when the deployment fails, with the failure in the output', async () => {
    const result = await runHoist(['deploy', `${app}@broken`, 'to', 'local', '--timeout', '3m'], env);
    expect(result.stdout).toMatch(/web BUILD_ERROR in #2/);
    expect(result.stdout).toMatch(new RegExp(`#2 ${app}/local BUILD_ERROR`));
    expect(result.code).toBe(1);
  });

  it('exits 3 when refused: the environment is locked by someone else', async () => {
    const locked = await hoist.api(`/apps/${app}/environments/local/lock`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'incident 88' }),
    });
    expect(locked.status).toBe(200);
    const result = await runHoist(['redeploy', app, 'in', 'local'], { ...env, HOIST_TOKEN: CI_TOKEN });
    expect(result.stderr).toMatch(/^hoist: refused: .*incident 88/);
    expect(result.stdout).toBe('');
    expect(result.code).toBe(3);
  });
});
