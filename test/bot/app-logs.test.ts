import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatAnswer } from '../../src/bot/conversation.ts';
import { interpret } from '../../src/bot/interpret.ts';
import { carryOutOperation } from '../../src/bot/operations.ts';
import { renderAppLogs } from '../../src/bot/render/app-logs.ts';
import { limitViolations } from '../../src/bot/render/limits.ts';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';
import { createImageRegistry } from '../../src/engine/build/image-registry.ts';
import { createGitSource } from '../../src/engine/source/git-source.ts';
import type { HoistService } from '../../src/service/contract.ts';
import { createHoistService } from '../../src/service/hoist-service.ts';
import { createNoopTarget, type NoopTarget } from '../fakes/noop-target.ts';
import { openTestStore } from '../support/databases.ts';

/* `logs <app>/<service> in <env>` in a chat: the running service's replicas, through the real service over the no-op target. */

const SECRET = 'ultra-secret-value';

describe('`logs shop/web in staging` in a chat', () => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  let cacheDir: string;
  let api: HoistService;
  let noop: NoopTarget;

  beforeAll(async () => {
    store = await openTestStore('pglite');
    cacheDir = mkdtempSync(join(tmpdir(), 'hoist-app-logs-'));
    const config = parseHoistConfig(
      `
targets: { engine: { kind: docker } }
apps:
  shop:
    repo: /srv/none
    services:
      web: { type: container, image: "busybox:1", port: 8080, env: { API_KEY: ${SECRET} } }
      worker: { type: container, image: "busybox:1" }
    environments:
      staging: { target: engine }
`,
      join(tmpdir(), 'app-logs-chat.yaml'),
    );
    noop = createNoopTarget();
    api = createHoistService({ db: store.db, config, source: createGitSource({ cacheDir }), registry: createImageRegistry(), kick: async () => {}, notify: () => {}, targetFor: () => noop.target });
    for (let i = 1; i <= 40; i++) noop.write('staging', 'web', i % 2 === 0 ? 'hoist-shop-staging-web-7' : 'hoist-shop-staging-web-7-1', `line ${i}`);
    noop.write('staging', 'web', 'hoist-shop-staging-web-7', `using ${SECRET} and token=abcdef123456`);
  });

  afterAll(async () => {
    await store?.cleanup();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  async function say(text: string, prefix = ''): Promise<ChatAnswer> {
    const plan = interpret(text, { api, origin: { kind: 'shell' }, prefix });
    if (plan.kind === 'answer') return { text: plan.text, plain: plan.text, rejected: plan.rejected };
    if (plan.kind !== 'operate') throw new Error(`\`${text}\` became a ${plan.kind} plan`);
    return carryOutOperation(api, plan.command, { requester: { id: 'shell:alice', name: 'alice' }, origin: { kind: 'shell' }, prefix, now: new Date(), mention: (id) => `@${id}` });
  }

  it('shows the last 30 lines of every replica, each after its replica’s name, secrets masked', async () => {
    const answer = await say('logs shop/web in staging');
    expect(answer.rejected).toBe(false);
    const lines = answer.plain!.split('\n');
    expect(lines[0]).toBe('logs of shop/web in staging · the last 30 lines from 2 replicas:');
    // 41 lines written: the newest 30 are lines 12 to 40 and the last one.
    expect(lines[1]).toBe('  hoist-shop-staging-web-7   | line 12');
    expect(lines[2]).toBe('  hoist-shop-staging-web-7-1 | line 13');
    expect(lines.at(-2)).toMatch(/^ {2}hoist-shop-staging-web-7 {3}\| using ••••[0-9a-f]{8} and token=\[redacted\]$/);
    expect(lines.at(-1)).toBe('follow them: GET /api/v1/apps/shop/environments/staging/services/web/logs?follow=1');
    expect(lines).toHaveLength(32);
    expect(JSON.stringify(answer)).not.toContain(SECRET);
    expect(limitViolations({ text: answer.text, blocks: answer.blocks! })).toEqual([]);
  });

  it('says so when no replica wrote anything', async () => {
    expect(await say('logs shop/worker in staging')).toMatchObject({
      plain: 'shop/worker in staging has no output: no replica of it runs, or none has written anything yet',
      rejected: false,
    });
  });

  it('refuses an unknown service with a did-you-mean and the usage line', async () => {
    const answer = await say('logs shop/wbe in staging', '/hoist ');
    expect(answer.rejected).toBe(true);
    expect(answer.text).toContain('app shop has no service "wbe"; its services: web, worker');
    expect(answer.text).toContain('Did you mean `web`?');
  });

  it('keeps a Slack answer within Block Kit’s limits for long lines', () => {
    const lines = Array.from({ length: 30 }, (_, i) => ({ replica: `api-${i % 2}`, line: `x`.repeat(2500) }));
    const message = renderAppLogs({ app: 'shop', env: 'staging', service: 'api', lines, earlier: true });
    expect(limitViolations(message)).toEqual([]);
    expect(message.text).toBe('*Logs of shop/api in staging* · the last 30 lines from 2 replicas');
  });
});
