import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { removeAppContainers } from '../support/containers.ts';
import { uniquePrefix } from '../support/databases.ts';
import { appYaml, BASE_IMAGE, DOCKER_HOST, freePort, httpText, randomName, REGISTRY } from '../support/hoist-harness.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

function runHoist(args: string[], options: { stdin: string; env: Record<string, string> }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/hoist.mjs'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin);
  });
}

describe('the terminal chat, piped, on the embedded defaults', () => {
  const app = randomName('shell');
  let repo: GitFixture;
  let dir: string;
  let port: number;
  let env: Record<string, string>;

  beforeAll(async () => {
    repo = createGitFixture('hoist-shell');
    repo.commit('v1', {
      Dockerfile: `FROM ${BASE_IMAGE}\nCOPY www /www\nCMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
      'www/index.html': `hello from ${app}\n`,
    });
    repo.git('checkout', '--quiet', '-b', 'broken');
    repo.commit('broken', { Dockerfile: `FROM ${BASE_IMAGE}\nRUN exit 7\n` });
    repo.git('checkout', '--quiet', 'main');
    dir = mkdtempSync(join(tmpdir(), 'hoist-shell-'));
    port = await freePort();
    writeFileSync(join(dir, 'hoist.yaml'), appYaml({ app, repo: repo.dir, env: 'local', port }));
    // No DATABASE_URL: the embedded PGlite database under the data directory.
    env = {
      HOIST_CONFIG: join(dir, 'hoist.yaml'),
      HOIST_DATA_DIR: join(dir, 'data'),
      HOIST_REDIS_PREFIX: uniquePrefix(),
      DOCKER_HOST,
      HOIST_REGISTRY_URL: REGISTRY,
      PORT: '0',
      HOST: '127.0.0.1',
    };
  });

  afterAll(async () => {
    await removeAppContainers(app);
    repo?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the piped commands, waits for the deployment, prints the outcome and exits 0', async () => {
    const result = await runHoist(['start'], { stdin: `/hoist deploy ${app} to local\n/hoist status ${app}\n`, env });
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('#1');
    expect(result.stdout).toMatch(/web → BUILDING/);
    expect(result.stdout).toMatch(/web → DEPLOYING/);
    expect(result.stdout).toMatch(new RegExp(`#1 ${app}/local DEPLOYED`));
    expect(await httpText(`http://127.0.0.1:${port}/`)).toEqual({ status: 200, text: `hello from ${app}\n` });
  });

  it('shows what runs after a restart of Hoist, and exits 1 when a deployment fails', async () => {
    const result = await runHoist(['start'], { stdin: `status ${app}\ndeploy ${app}@broken to local\n`, env });
    expect(result.stdout).toMatch(/DEPLOYED/); // status from the first run, kept in PGlite
    expect(result.stdout).toMatch(new RegExp(`#2 ${app}/local BUILD_ERROR`));
    expect(result.code).toBe(1);
    expect(await httpText(`http://127.0.0.1:${port}/`)).toEqual({ status: 200, text: `hello from ${app}\n` });
  });

  it("offers a card's buttons as numbered choices; a choice typed twice requests once", async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/hoist.mjs'), 'start'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    const seen = (pattern: RegExp, timeoutMs = 60_000) =>
      new Promise<RegExpExecArray>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${pattern} in:\n${stdout}`)), timeoutMs);
        const check = () => {
          const match = pattern.exec(stdout);
          if (match) {
            clearTimeout(timer);
            child.stdout.off('data', check);
            resolve(match);
          }
        };
        child.stdout.on('data', check);
        check();
      });
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));

    child.stdin.write(`deploy ${app} to local\n`);
    const [, id] = await seen(/#(\d+) deploy \S+ to local — \S+ DEPLOYED/);
    const [, redeploy] = await seen(new RegExp(`\\[(\\d+)\\] Redeploy \\(redeploy ${app} in local\\)`));
    const [, cancel] = /\[(\d+)\] Cancel \(cancel #\d+\)/.exec(stdout) ?? [];
    const [, logs] = new RegExp(`\\[(\\d+)\\] Logs \\(logs #${id}\\)`).exec(stdout) ?? [];
    expect(logs).toBeDefined();
    // Logs only reads: typed twice, it shows the log twice.
    child.stdin.write(`${logs}\n${logs}\n`);
    await seen(new RegExp(`(log of #${id} [^\\n]*\\n(  \\| [^\\n]*\\n)+[\\s\\S]*){2}`));
    child.stdin.write(`${redeploy}\n${redeploy}\n`);
    await seen(/already used: it requested #(\d+)/);
    // The finished deployment's old Cancel choice is not offered any more.
    if (cancel !== undefined) child.stdin.write(`${cancel}\n`);
    child.stdin.end();
    expect(await exited).toBe(cancel === undefined ? 0 : 1);
    const redeployId = Number(id) + 1;
    expect(stdout).toContain(`> redeploy ${app} in local`);
    expect(stdout.match(/> redeploy /g)).toHaveLength(2);
    expect(stdout.match(new RegExp(`> logs #${id}\n`, 'g'))).toHaveLength(2);
    // The image was built by the first test: this deployment's log is the rollout's.
    expect(stdout).toMatch(/ {2}\| \S+ is healthy on 127\.0\.0\.1:\d+\n/);
    expect(stdout).toMatch(new RegExp(`That choice was already used: it requested #${redeployId}`));
    expect(stdout).toMatch(new RegExp(`#${redeployId} ${app}/local DEPLOYED`));
    expect(stdout).not.toMatch(new RegExp(`#${redeployId + 1} `));
    if (cancel !== undefined) expect(stdout).toMatch(new RegExp(`Choice ${cancel} \\(cancel for #${id}\\) is no longer offered: #${id} is DEPLOYED`));
  });

  it('answers a bad command with the reason and the usage line', async () => {
    const result = await runHoist(['start'], { stdin: `deplyo ${app} to local\n`, env });
    expect(result.stdout + result.stderr).toMatch(/deploy/);
    expect(result.stdout).toMatch(/did you mean|Did you mean/);
    expect(result.code).toBe(1);
  });
});

describe('start-up with a broken hoist.yaml', () => {
  it('stops with the file, the line and the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoist-broken-'));
    const file = join(dir, 'hoist.yaml');
    writeFileSync(
      file,
      `targets:\n  engine: { kind: docker }\napps:\n  shop:\n    repo: .\n    services:\n      web: { type: application, build: { context: . }, port: 99999 }\n    environments:\n      prod: { target: engine }\n`,
    );
    try {
      for (const args of [['start'], ['config', 'check']]) {
        const result = await runHoist(args, { stdin: '', env: { HOIST_CONFIG: file, HOIST_DATA_DIR: join(dir, 'data'), PORT: '0' } });
        expect(result.code).toBe(2);
        expect(result.stderr).toContain(`${file}:7: apps.shop.services.web.port:`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("config check reads each kubernetes target's kubeconfig and context, and names what is wrong", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoist-check-'));
    try {
      writeFileSync(
        join(dir, 'kubeconfig'),
        `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "https://cluster.example.com:6443" } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: staging, context: { cluster: c, user: u } }]
current-context: staging
`,
      );
      const yaml = (context: string) => `targets:
  cluster: { kind: kubernetes, context: ${context} }
  in-pod: { kind: kubernetes, inCluster: true }
apps:
  shop:
    repo: .
    services:
      web: { type: container, image: "example.com/web:1" }
    environments:
      staging: { target: cluster }
      prod: { target: in-pod }
`;
      writeFileSync(join(dir, 'good.yaml'), yaml('staging'));
      writeFileSync(join(dir, 'bad.yaml'), yaml('production'));
      const env = (file: string) => ({ HOIST_CONFIG: join(dir, file), KUBECONFIG: join(dir, 'kubeconfig') });
      const good = await runHoist(['config', 'check'], { stdin: '', env: env('good.yaml') });
      expect(good.stdout).toContain(`target cluster: context "staging" of KUBECONFIG ${join(dir, 'kubeconfig')}, server https://cluster.example.com:6443`);
      expect(good.stdout).toContain('target in-pod: the in-cluster service account');
      expect(good.code).toBe(0);
      const bad = await runHoist(['config', 'check'], { stdin: '', env: env('bad.yaml') });
      expect(bad.stderr).toContain(`target cluster: cannot use KUBECONFIG ${join(dir, 'kubeconfig')} with context "production": kubeconfig has no context "production" (it has: staging)`);
      expect(bad.code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('config check accepts the bundled hoist.yaml', async () => {
    const result = await runHoist(['config', 'check'], { stdin: '', env: { HOIST_CONFIG: join(ROOT, 'hoist.yaml') } });
    expect(result.stdout).toMatch(/ok \(1 app\(s\), 1 environment\(s\), 1 target\(s\)\)/);
    expect(result.code).toBe(0);
  });
});
