import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startFakeSlack } from '../fakes/slack-api.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'hoist-config-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('hoist config check answers an alias bomb with the file and line, not a stack trace', async () => {
  const file = join(dir, 'hoist.yaml');
  const laughs = Array.from({ length: 9 }, (_, level) =>
    level === 0 ? '  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]' : `  a${level}: &a${level} [${Array(9).fill(`*a${level - 1}`).join(', ')}]`,
  );
  writeFileSync(file, ['targets:', '  edge: { kind: docker }', 'laughs:', ...laughs, 'apps: {}', ''].join('\n'));
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [join(ROOT, 'bin/hoist.mjs'), 'config', 'check'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', HOIST_CONFIG: file },
    }, (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }));
  });
  // Like every other configuration error: one line naming the file, the line and the path, and exit code 2.
  expect(result.stderr).toBe(
    `hoist: ${file}:7: laughs.a3.0: the alias *a2 repeats its anchor more than 100 times over (an alias bomb); write the values out or repeat less\n`,
  );
  expect(result.code).toBe(2);
});

it('hoist config check reads HOIST_API_TOKENS and names a bad entry by its place, never its secret', async () => {
  const file = join(dir, 'tokens.yaml');
  writeFileSync(file, 'targets:\n  edge: { kind: docker }\napps: {}\n');
  const check = (tokens: string) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [join(ROOT, 'bin/hoist.mjs'), 'config', 'check'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', HOIST_CONFIG: file, HOIST_API_TOKENS: tokens },
      }, (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }));
    });
  const secret = `hoist_${'0123456789abcdef'.repeat(3)}`;
  const good = await check(`ci:read+deploy:${secret},nightly:read:apps=shop:${secret}x`);
  expect(good).toMatchObject({ code: 0, stdout: expect.stringContaining('HOIST_API_TOKENS: ok (2 token(s))') });
  const bad = await check(`ci:read:${secret},nightly:reed:${secret}x`);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toBe('hoist: HOIST_API_TOKENS entry 2 ("nightly"): unknown scope "reed"; scopes: read, deploy, cancel, approve, lock, admin\n');
});

it('hoist config check refuses a webhook whose secret variable is not set, and names where the secrets come from when they are', async () => {
  const file = join(dir, 'webhooks.yaml');
  writeFileSync(
    file,
    'targets:\n  edge: { kind: docker }\napps:\n  shop:\n    repo: /srv/shop\n    services: { web: { type: container, image: "nginx:1" } }\n    environments:\n      production:\n        target: edge\n        webhooks: [{ url: "https://ci.example.com/in", events: [failed], secretEnv: SHOP_HOOK_SECRET }]\n',
  );
  const check = (vars: Record<string, string>) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [join(ROOT, 'bin/hoist.mjs'), 'config', 'check'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', HOIST_CONFIG: file, ...vars },
      }, (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }));
    });
  const missing = await check({});
  expect(missing.code).toBe(2);
  expect(missing.stderr).toBe(
    `hoist: ${file}:10: apps.shop.environments.production.webhooks.0.secretEnv: SHOP_HOOK_SECRET is not set (or is empty): the webhook of shop in production to https://ci.example.com/in signs its deliveries with that variable's value; set SHOP_HOOK_SECRET in Hoist's environment\n`,
  );
  const set = await check({ SHOP_HOOK_SECRET: 'hook-secret-value' });
  expect(set).toMatchObject({ code: 0, stdout: expect.stringContaining('webhooks: ok (1 webhook(s), secrets set in SHOP_HOOK_SECRET)') });
  expect(set.stdout).not.toContain('hook-secret-value');
});

it('hoist config check with a Slack token refuses an approval rule its user groups can never meet, naming file, line and path', async () => {
  const slack = await startFakeSlack({ token: 'xoxb-config-check', userGroups: [{ id: 'S0SRE', handle: 'sre', users: ['U0CAROL', 'U0DAVE'] }, { id: 'S0PRODUCT', handle: 'product', users: ['U0DAVE'] }] });
  const yaml = (rules: string) =>
    ['targets:', '  edge: { kind: docker }', 'apps:', '  shop:', '    repo: .', '    services:', '      web: { type: container, image: "example.com/web:1" }', '    environments:', '      production:', '        target: edge', '        approval:', '          rules:', rules, ''].join('\n');
  const check = (name: string, rules: string, slackVars: Record<string, string>) => {
    const file = join(dir, name);
    writeFileSync(file, yaml(rules));
    return new Promise<{ code: number | null; stdout: string; stderr: string; file: string }>((resolve) => {
      const child = execFile(process.execPath, [join(ROOT, 'bin/hoist.mjs'), 'config', 'check'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', HOIST_CONFIG: file, ...slackVars },
      }, (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr, file }));
    });
  };
  const withSlack = { SLACK_BOT_TOKEN: 'xoxb-config-check', SLACK_SIGNING_SECRET: 'config-check-secret', SLACK_API_URL: slack.url };
  try {
    const met = await check('groups-met.yaml', '            - { approvers: ["@sre"], count: 2 }\n            - { approvers: ["@product"], count: 1 }', withSlack);
    expect(met).toMatchObject({ code: 0, stdout: expect.stringContaining('approval groups: ok (@sre, @product as Slack has them now)') });
    // dave is in both groups: three votes can never come from the two people they are.
    const never = await check('groups-never.yaml', '            - { approvers: ["@sre"], count: 1 }\n            - { approvers: ["@sre", "@product"], count: 3 }', withSlack);
    expect(never.code).toBe(1);
    expect(never.stderr).toContain(`${never.file}:14: apps.shop.environments.production.approval.rules.1.count: 3 approvals can never come from @sre, @product: 2 people in all`);
    // Without Slack the groups are not known: the rule is taken, and the check says it was not checked.
    const unknown = await check('groups-unknown.yaml', '            - { approvers: ["@sre", "@product"], count: 3 }', {});
    expect(unknown).toMatchObject({ code: 0, stdout: expect.stringContaining('approval groups: not checked (@sre, @product): no Slack bot token set') });
  } finally {
    await slack.close();
  }
});

it('hoist config check refuses what a Docker target cannot run: replicas behind a fixed host port, a cronjob', async () => {
  const check = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [join(ROOT, 'bin/hoist.mjs'), 'config', 'check'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', HOIST_CONFIG: file },
      }, (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }));
    }).then((result) => ({ ...result, file }));
  };
  const head = 'targets:\n  edge: { kind: docker }\napps:\n  shop:\n    repo: /srv/shop\n    services:\n';
  const exposed = await check('replicas.yaml', `${head}      web: { type: container, image: "web:1", port: 8080, replicas: 2 }\n    environments:\n      local: { target: edge, expose: { web: 8080 } }\n`);
  expect(exposed.code).toBe(2);
  expect(exposed.stderr).toBe(
    `hoist: ${exposed.file}:9: apps.shop.environments.local.expose.web: web runs 2 replicas, but a fixed host port (8080) can serve only one container on a Docker target, which has no proxy in front: set \`replicas: 1\` or remove it from \`expose\`\n`,
  );
  const cron = await check('cron.yaml', `${head}      report: { type: cronjob, image: "report:1", schedule: "0 3 * * *" }\n    environments:\n      local: { target: edge }\n`);
  expect(cron.code).toBe(2);
  expect(cron.stderr).toContain(`hoist: ${cron.file}:9: apps.shop.environments.local.target: target "edge" is a Docker target, which cannot run cronjob report: a cronjob needs a Kubernetes target`);
});
