import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interpret } from '../../src/bot/interpret.ts';
import type { ChatAnswer } from '../../src/bot/conversation.ts';
import { carryOutOperation } from '../../src/bot/operations.ts';
import type { Block } from '../../src/bot/render/blocks.ts';
import { LIMITS, limitViolations } from '../../src/bot/render/limits.ts';
import { renderLogs, renderLogsText, type LogView } from '../../src/bot/render/logs.ts';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';
import { createGitSource } from '../../src/engine/source/git-source.ts';
import type { HoistService } from '../../src/service/contract.ts';
import { createImageRegistry } from '../../src/engine/build/image-registry.ts';
import { createHoistService } from '../../src/service/hoist-service.ts';
import { appendLogLines } from '../../src/store/deployment-logs.ts';
import { insertDeployment, setDeploymentStatus, type NewDeployment } from '../../src/store/deployments.ts';
import { openTestStore } from '../support/databases.ts';

const view = (over: Partial<LogView> = {}): LogView => ({
  deploymentId: 12,
  app: 'shop',
  env: 'staging',
  status: 'DEPLOYED',
  service: null,
  lines: [
    { service: 'web', line: 'STEP 1/2: FROM busybox' },
    { service: 'web', line: 'STEP 2/2: COPY www /www' },
  ],
  earlier: false,
  ...over,
});

const sections = (blocks: Block[]) => blocks.filter((b): b is Extract<Block, { type: 'section' }> => b.type === 'section').map((b) => b.text.text);
const contexts = (blocks: Block[]) => blocks.flatMap((b) => (b.type === 'context' ? b.elements.map((e) => e.text) : []));

describe('renderLogs', () => {
  it('shows the lines as code under a headline, and where the whole log is', () => {
    const message = renderLogs(view());
    expect(sections(message.blocks)).toEqual([
      '*Log of #12* (shop in staging) `DEPLOYED` · all 2 lines',
      '```\nSTEP 1/2: FROM busybox\nSTEP 2/2: COPY www /www\n```',
    ]);
    expect(contexts(message.blocks)).toEqual(['The whole log: `GET /api/v1/deployments/12/logs`']);
    expect(renderLogs(view({ earlier: true, service: 'web' })).text).toBe('*Log of #12* (shop in staging) `DEPLOYED` · the last 2 lines of web');
  });

  it('prefixes each line with its service when the lines come from several', () => {
    const message = renderLogs(
      view({
        lines: [
          { service: 'db', line: 'ready' },
          { service: 'worker', line: 'started' },
          { service: null, line: 'rolled back' },
        ],
      }),
    );
    expect(sections(message.blocks)[1]).toBe('```\ndb      | ready\nworker  | started\n(hoist) | rolled back\n```');
  });

  it('redacts secrets, escapes mrkdwn and keeps a fence in a line from closing the block', () => {
    const message = renderLogs(
      view({
        lines: [
          { service: 'web', line: 'DB_PASSWORD=hunter2 token xoxb-1234-abcd' },
          { service: 'web', line: 'echo "<b>" && ```' },
        ],
      }),
    );
    const code = sections(message.blocks)[1]!;
    expect(code).not.toContain('hunter2');
    expect(code).not.toContain('xoxb-1234');
    expect(code).toContain('DB_PASSWORD=[redacted]');
    expect(code).toContain('&lt;b&gt;" &amp;&amp;');
    expect(code.split('```')).toHaveLength(3);
  });

  it('stays within Block Kit limits, keeping the newest lines and saying how many earlier ones it cut', () => {
    const lines = Array.from({ length: 500 }, (_, i) => ({ service: 'web', line: `line ${i + 1} ${'x'.repeat(1500)}` }));
    const message = renderLogs(view({ lines }));
    expect(limitViolations(message)).toEqual([]);
    expect(message.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
    const code = sections(message.blocks).slice(1);
    for (const text of code) expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    const note = /^```\n… (\d+) earlier lines\n/.exec(code[0]!);
    expect(note).not.toBeNull();
    const shown = code.join('\n').match(/^line \d+ /gm)!;
    expect(Number(note![1]) + shown.length).toBe(500);
    expect(shown.at(-1)).toBe('line 500 ');
    expect(shown[0]).toBe(`line ${Number(note![1]) + 1} `);
    expect(contexts(message.blocks)).toEqual(['The whole log: `GET /api/v1/deployments/12/logs`']);
  });

  it('says when there are no lines, and whether more may come', () => {
    expect(renderLogs(view({ status: 'QUEUED', lines: [] })).text).toBe('#12 has no log lines yet (QUEUED)');
    expect(renderLogsText(view({ status: 'BUILDING', service: 'web', lines: [] }))).toBe('#12 has no log lines of web yet (BUILDING)');
    expect(renderLogsText(view({ status: 'CANCELED', lines: [] }))).toBe('#12 has no log lines (CANCELED)');
  });

  it("points at the whole log of the service asked for", () => {
    expect(renderLogsText(view({ service: 'web' })).split('\n').at(-1)).toBe('the whole log: GET /api/v1/deployments/12/logs?service=web');
    expect(contexts(renderLogs(view({ service: 'web' })).blocks)).toEqual(['The whole log: `GET /api/v1/deployments/12/logs?service=web`']);
  });

  it('prints the lines whole in a terminal', () => {
    expect(renderLogsText(view({ earlier: true })).split('\n')).toEqual([
      'log of #12 (shop in staging) DEPLOYED · the last 2 lines:',
      '  | STEP 1/2: FROM busybox',
      '  | STEP 2/2: COPY www /www',
      'the whole log: GET /api/v1/deployments/12/logs',
    ]);
    const mixed = renderLogsText(view({ lines: [{ service: 'db', line: 'ready' }, { service: 'web', line: 'up' }] }));
    expect(mixed.split('\n').slice(1, 3)).toEqual(['  db  | ready', '  web | up']);
  });
});

const request = (over: Partial<NewDeployment> = {}): NewDeployment => ({
  app: 'shop',
  env: 'staging',
  action: 'deploy',
  ref: null,
  sha: 'a'.repeat(40),
  scope: null,
  requestedBy: { id: 'U1', name: 'alice' },
  trigger: 'chat',
  chat: { kind: 'none' },
  requestKey: null,
  services: [
    { name: 'web', type: 'application', version: 'a'.repeat(40), previousVersion: null },
    { name: 'worker', type: 'application', version: 'a'.repeat(40), previousVersion: null },
  ],
  deploymentSet: null,
  ...over,
});

describe('`logs #N [service]` in a chat, against the real service', () => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  let cacheDir: string;
  let api: HoistService;
  let logged: number;
  let quiet: number;

  beforeAll(async () => {
    store = await openTestStore('pglite');
    cacheDir = mkdtempSync(join(tmpdir(), 'hoist-logs-chat-'));
    const config = parseHoistConfig(
      `
targets: { engine: { kind: docker } }
apps:
  shop:
    repo: /srv/none
    services:
      web: { type: container, image: "busybox:1", port: 8080 }
      worker: { type: container, image: "busybox:1" }
    environments:
      staging: { target: engine }
`,
      join(tmpdir(), 'logs-chat.yaml'),
    );
    api = createHoistService({ db: store.db, config, source: createGitSource({ cacheDir }), registry: createImageRegistry(), kick: async () => {}, notify: () => {} });
    logged = (await insertDeployment(store.db, request())).id;
    await setDeploymentStatus(store.db, logged, { status: 'DEPLOYED', started: true, finished: true });
    await appendLogLines(store.db, logged, Array.from({ length: 40 }, (_, i) => ({ service: i % 2 === 0 ? 'web' : 'worker', line: `line ${i + 1}` })));
    quiet = (await insertDeployment(store.db, request())).id;
  });

  afterAll(async () => {
    await store?.cleanup();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  async function say(text: string, prefix = ''): Promise<ChatAnswer> {
    const plan = interpret(text, { api, origin: { kind: 'shell' }, prefix });
    if (plan.kind === 'answer') return { text: plan.text, plain: plan.text, rejected: plan.rejected };
    if (plan.kind !== 'operate') throw new Error(`\`${text}\` became a ${plan.kind} plan`);
    return carryOutOperation(api, plan.command, {
      requester: { id: 'shell:alice', name: 'alice' },
      origin: { kind: 'shell' },
      prefix,
      now: new Date(),
      mention: (id) => `@${id}`,
    });
  }

  it('shows the last 30 lines, each with its service, and where the rest is', async () => {
    const answer = await say(`logs #${logged}`);
    expect(answer.rejected).toBe(false);
    const lines = answer.plain!.split('\n');
    expect(lines[0]).toBe(`log of #${logged} (shop in staging) DEPLOYED · the last 30 lines:`);
    expect(lines.slice(1, -1)).toEqual(Array.from({ length: 30 }, (_, i) => `  ${i % 2 === 0 ? 'web   ' : 'worker'} | line ${i + 11}`));
    expect(lines.at(-1)).toBe(`the whole log: GET /api/v1/deployments/${logged}/logs`);
    expect(limitViolations({ text: answer.text, blocks: answer.blocks! })).toEqual([]);
    expect(JSON.stringify(answer.blocks)).toContain('worker | line 40');
  });

  it("shows one service's lines without a prefix", async () => {
    const answer = await say(`logs #${logged} web`);
    const lines = answer.plain!.split('\n');
    expect(lines[0]).toBe(`log of #${logged} (shop in staging) DEPLOYED · all 20 lines of web:`);
    expect(lines[1]).toBe('  | line 1');
    expect(lines.at(-2)).toBe('  | line 39');
  });

  it('says so when the deployment has logged nothing yet', async () => {
    expect(await say(`logs #${quiet}`)).toMatchObject({ plain: `#${quiet} has no log lines yet (QUEUED)`, rejected: false });
  });

  it('refuses a service the deployment does not have with a did-you-mean and the usage line', async () => {
    const answer = await say(`logs #${logged} wokrer`, '/hoist ');
    expect(answer.rejected).toBe(true);
    expect(answer.text.split('\n')).toEqual([
      `#${logged} has no service "wokrer"; its services: web, worker.`,
      'Did you mean `worker`?',
      'Usage: `/hoist logs #<deployment> [<service>] | logs <app>/<service> in <environment>`',
    ]);
  });

  it('refuses an unknown deployment, saying how to find one', async () => {
    expect(await say('logs #999999', '/hoist ')).toMatchObject({
      text: "there is no deployment #999999; `/hoist history <app>` lists an app's deployments.",
      rejected: true,
    });
  });

  it('refuses what is not a deployment number with the usage line', async () => {
    const bare = await say('logs');
    expect(bare).toMatchObject({ rejected: true });
    expect(bare.text).toContain('expected `#<deployment>` or `<app>/<service> in <environment>` after `logs`');
    expect(bare.text).toContain('Usage: `logs #<deployment> [<service>] | logs <app>/<service> in <environment>`');
    expect((await say('logs #abc')).text).toContain('`#abc` is not a deployment number');
  });
});
