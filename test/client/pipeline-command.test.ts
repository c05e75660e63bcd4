import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/client/exit-codes.ts';
import { ACTION_VERBS } from '../../src/domain/command.ts';
import { PIPELINE_USAGE, PIPELINE_VERBS, runPipelineCommand, type PipelineIo } from '../../src/client/pipeline-command.ts';
import { fakeDeployment, startFakeHoistApi, type FakeHoistApi } from './fake-hoist-api.ts';

const DEPLOYMENTS = 'POST /apps/shop/environments/staging/deployments';
const FINISHED = { startedAt: '2026-12-04T10:00:01.000Z', finishedAt: '2026-12-04T10:00:43.000Z' };

let fake: FakeHoistApi;

beforeEach(async () => {
  fake = await startFakeHoistApi();
});

afterEach(async () => {
  await fake.close();
});

/** Runs `hoist <argv>` against the fake; `printed(pattern)` resolves once stdout has a line matching it. */
function run(argv: string[], env: PipelineIo['env'] = { server: fake.url, token: fake.token }) {
  const out: string[] = [];
  const err: string[] = [];
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const io: PipelineIo = {
    env,
    print: (text) => {
      out.push(...text.split('\n'));
      for (const w of waiters.filter((w) => out.some((line) => w.pattern.test(line)))) w.resolve();
    },
    warn: (text) => err.push(text),
    reconnectMs: 10,
  };
  const code = runPipelineCommand(argv, io);
  return {
    code,
    out,
    err,
    printed: (pattern: RegExp) => new Promise<void>((resolve) => (out.some((l) => pattern.test(l)) ? resolve() : waiters.push({ pattern, resolve }))),
  };
}

/** What the POST answers: the deployment as it was recorded. */
function requested(outcome = 'queued', fields: Partial<ReturnType<typeof fakeDeployment>> = {}) {
  const recorded = fakeDeployment(fields);
  fake.deployment = { ...recorded };
  return { status: 202, body: { deployment: recorded, outcome } };
}

/** What the POST answers, with the build starting before the answer reaches the command. */
function requestedThenBuilding() {
  const answer = requested();
  fake.emit('status', { status: 'BUILDING', service: 'web', reason: null });
  return answer;
}

describe('hoist <action> through the API, followed over the event stream', () => {
  it('deploys, prints the thread lines (even those sent before the POST answered) and exits 0', async () => {
    fake.routes.set(DEPLOYMENTS, () => {
      const answer = requested();
      fake.emit('requested', {});
      fake.emit('status', { status: 'BUILDING', service: 'web', reason: null });
      fake.emit('status', { status: 'DEPLOYED', service: 'web', reason: null });
      fake.deployment = { ...fake.deployment, status: 'DEPLOYED', ...FINISHED };
      fake.emit('status', { status: 'DEPLOYED', service: null, reason: null });
      return answer;
    });
    const t = run(['deploy', 'shop@v1.2', 'to', 'staging']);
    expect(await t.code).toBe(EXIT.ok);
    expect(t.out).toEqual([
      '#12 deploy shop to staging — QUEUED',
      '  #12 │ web → BUILDING',
      '  #12 │ web → DEPLOYED',
      '  #12 │ #12 DEPLOYED in 42s',
      '#12 shop/staging DEPLOYED',
    ]);
    const post = fake.requests.find((r) => r.method === 'POST')!;
    expect(post.body).toEqual({ action: 'deploy', ref: 'v1.2' });
    expect(post.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    // The stream was open before the request was sent.
    expect(fake.requests.map((r) => r.method)).toEqual(['GET', 'POST', 'GET']);
    expect(fake.requests[0]!.path).toBe('/api/v1/events?app=shop&env=staging');
  });

  it('exits 1 when the deployment fails, with the failure and the end of its log', async () => {
    fake.routes.set(DEPLOYMENTS, () => {
      const answer = requested('queued', { action: 'redeploy' });
      fake.emit('failure', { service: 'web', status: 'DEPLOYMENT_ERROR', reason: 'health check failed', logTail: ['listening on 8080', 'panic: no database'] });
      fake.deployment = { ...fake.deployment, status: 'DEPLOYMENT_ERROR', reason: 'web: health check failed', ...FINISHED };
      fake.emit('status', { status: 'DEPLOYMENT_ERROR', service: null, reason: 'web: health check failed' });
      return answer;
    });
    const t = run(['redeploy', 'shop/web', 'in', 'staging']);
    expect(await t.code).toBe(EXIT.failed);
    expect(t.out).toContain('  #12 │   | panic: no database');
    expect(t.out.some((l) => /web DEPLOYMENT_ERROR in #12 .*health check failed/.test(l))).toBe(true);
    expect(t.out.at(-1)).toBe('#12 shop/staging DEPLOYMENT_ERROR — web: health check failed');
    expect(fake.requests.find((r) => r.method === 'POST')!.body).toEqual({ action: 'redeploy', services: ['web'] });
  });

  it('destroys with the confirm the command names, and exits 0 once DESTROYED', async () => {
    fake.routes.set(DEPLOYMENTS, () => {
      const answer = requested('queued', { action: 'destroy' });
      fake.deployment = { ...fake.deployment, status: 'DESTROYED', ...FINISHED };
      fake.emit('status', { status: 'DESTROYED', service: null, reason: null });
      return answer;
    });
    const t = run(['destroy', 'shop/db', 'in', 'staging', '--confirm', 'shop/db']);
    expect(await t.code).toBe(EXIT.ok);
    expect(t.out.at(-1)).toBe('#12 shop/staging DESTROYED');
    expect(fake.requests.find((r) => r.method === 'POST')!.body).toEqual({ action: 'destroy', services: ['db'], confirm: 'shop/db' });
  });

  it('exits 3 with the reason when the request is refused (locked: 409)', async () => {
    fake.routes.set(DEPLOYMENTS, () => ({ status: 409, body: { error: { code: 'LOCKED', message: 'shop/staging is locked by @alice: incident 88' } } }));
    const t = run(['deploy', 'shop', 'to', 'staging']);
    expect(await t.code).toBe(EXIT.refused);
    expect(t.err).toEqual(['hoist: refused: shop/staging is locked by @alice: incident 88']);
    expect(t.out).toEqual([]);
  });

  it('exits 3 when the token is refused', async () => {
    const t = run(['deploy', 'shop', 'to', 'staging'], { server: fake.url, token: 'wrong' });
    expect(await t.code).toBe(EXIT.refused);
    expect(t.err.join('\n')).toContain('a valid API token is needed');
  });

  it('exits 4 when --timeout runs out; the deployment goes on', async () => {
    fake.routes.set(DEPLOYMENTS, () => requested());
    const t = run(['deploy', 'shop', 'to', 'staging', '--timeout', '1s']);
    expect(await t.code).toBe(EXIT.timeout);
    expect(t.err.at(-1)).toBe('hoist: gave up after 1s (--timeout): #12 is still QUEUED (it goes on)');
  });

  it('reconnects from the last event it saw when the stream drops, without missing or repeating a line', async () => {
    fake.routes.set(DEPLOYMENTS, requestedThenBuilding);
    const t = run(['deploy', 'shop', 'to', 'staging']);
    await t.printed(/web → BUILDING/);
    fake.dropStreams();
    await fake.streamOpened(2);
    fake.emit('status', { status: 'DEPLOYED', service: 'web', reason: null });
    fake.deployment = { ...fake.deployment, status: 'DEPLOYED', ...FINISHED };
    fake.emit('status', { status: 'DEPLOYED', service: null, reason: null });
    expect(await t.code).toBe(EXIT.ok);
    expect(t.out.filter((l) => l.includes('web → BUILDING'))).toHaveLength(1);
    expect(t.out).toContain('  #12 │ web → DEPLOYED');
    const streams = fake.requests.filter((r) => r.path.startsWith('/api/v1/events'));
    expect(streams.map((r) => r.lastEventId)).toEqual([null, '1']);
  });

  it('resumes from where its first stream started when that stream drops before any event', async () => {
    fake.emit('notice', {});
    fake.routes.set(DEPLOYMENTS, () => requested());
    const t = run(['deploy', 'shop', 'to', 'staging']);
    await t.printed(/QUEUED/);
    fake.dropStreams();
    await fake.streamOpened(2);
    // The first stream started after event 1: that position, not nothing (which would start at
    // whatever the log holds by the reconnect, skipping what came in between), is resumed from.
    const streams = fake.requests.filter((r) => r.path.startsWith('/api/v1/events'));
    expect(streams.map((r) => r.lastEventId)).toEqual([null, '1']);
    fake.deployment = { ...fake.deployment, status: 'DEPLOYED', ...FINISHED };
    fake.emit('status', { status: 'DEPLOYED', service: null, reason: null });
    expect(await t.code).toBe(EXIT.ok);
  });

  it('opens its stream again before it sends the request when the first one ends before it says where it starts', { timeout: 10_000 }, async () => {
    fake.emit('notice', {});
    fake.endStreamsAtOnce(1);
    // What the request causes at once, before the command reads its stream.
    fake.routes.set(DEPLOYMENTS, requestedThenBuilding);
    const t = run(['deploy', 'shop', 'to', 'staging']);
    await t.printed(/web → BUILDING/);
    fake.deployment = { ...fake.deployment, status: 'DEPLOYED', ...FINISHED };
    fake.emit('status', { status: 'DEPLOYED', service: null, reason: null });
    expect(await t.code).toBe(EXIT.ok);
    expect(fake.requests.map((r) => `${r.method} ${r.path.replace(/\?.*/, '')}`).slice(0, 3)).toEqual(['GET /api/v1/events', 'GET /api/v1/events', `POST /api/v1${DEPLOYMENTS.replace(/^POST /, '')}`]);
    expect(t.err).toEqual(['hoist: the event stream ended before it said where it starts; reconnecting']);
  });

  it('prints what a deployment said while no stream was open, even when it ended meanwhile', async () => {
    fake.routes.set(DEPLOYMENTS, () => requested());
    const t = run(['deploy', 'shop', 'to', 'staging']);
    await t.printed(/QUEUED/);
    fake.dropStreams();
    fake.emit('failure', { service: 'web', status: 'BUILD_ERROR', reason: 'the build failed', logTail: ['step 2: exit 7'] });
    fake.deployment = { ...fake.deployment, status: 'BUILD_ERROR', reason: 'web: the build failed', ...FINISHED };
    fake.emit('status', { status: 'BUILD_ERROR', service: null, reason: 'web: the build failed' });
    expect(await t.code).toBe(EXIT.failed);
    expect(t.out.some((l) => /web BUILD_ERROR in #12/.test(l))).toBe(true);
    expect(t.out.at(-1)).toBe('#12 shop/staging BUILD_ERROR — web: the build failed');
    expect(t.out.filter((l) => l.startsWith('#12 shop/staging'))).toHaveLength(1);
  });

  it('reads the deployment again on reconnecting, so an end it did not hear of still counts', async () => {
    fake.routes.set(DEPLOYMENTS, requestedThenBuilding);
    const t = run(['deploy', 'shop', 'to', 'staging']);
    await t.printed(/web → BUILDING/);
    fake.deployment = { ...fake.deployment, status: 'BUILD_ERROR', reason: 'web: the build failed', ...FINISHED };
    fake.dropStreams();
    expect(await t.code).toBe(EXIT.failed);
    expect(t.out.at(-1)).toBe('#12 shop/staging BUILD_ERROR — web: the build failed');
  });

  it('says who may approve while it waits, and follows it once approved', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    fake.routes.set(DEPLOYMENTS, () => {
      const answer = requested('awaiting-approval', { status: 'AWAITING_APPROVAL' });
      return { ...answer, body: { ...answer.body, approval: { rules: [{ approvers: ['@release', 'U0ALICE'], count: 1, voters: [], met: false }], expiresAt } } };
    });
    const t = run(['deploy', 'shop', 'to', 'staging']);
    await t.printed(/waits for approval/);
    expect(t.out[1]).toMatch(/^#12 waits for approval by 1 of @release, @U0ALICE; it expires in (59m \d\ds|1h 00m); waiting up to 30m 00s$/);
    fake.emit('approval', { step: 'voted', actor: { id: 'U0ALICE', name: 'alice' }, reason: null });
    fake.emit('approval', { step: 'approved', actor: null, reason: null });
    fake.deployment = { ...fake.deployment, status: 'DEPLOYED', ...FINISHED };
    fake.emit('status', { status: 'DEPLOYED', service: null, reason: null });
    expect(await t.code).toBe(EXIT.ok);
    expect(t.out).toContain('  #12 │ @alice approved');
    expect(t.out).toContain('  #12 │ approved: every rule holds');
  });

  it('exits 1 when the deployment is rejected', async () => {
    fake.routes.set(DEPLOYMENTS, () => requested('awaiting-approval', { status: 'AWAITING_APPROVAL' }));
    fake.approvals = { rules: [{ approvers: ['U0BOB'], count: 1, voters: [], met: false }], expiresAt: null };
    const t = run(['deploy', 'shop', 'to', 'staging']);
    await t.printed(/waits for approval by 1 of @U0BOB/);
    fake.deployment = { ...fake.deployment, status: 'REJECTED', reason: 'rejected by @bob: not during the freeze', ...FINISHED };
    fake.emit('approval', { step: 'rejected', actor: { id: 'U0BOB', name: 'bob' }, reason: 'not during the freeze' });
    expect(await t.code).toBe(EXIT.failed);
    expect(t.out).toContain('  #12 │ @bob rejected — not during the freeze');
    expect(t.out.at(-1)).toBe('#12 shop/staging REJECTED — rejected by @bob: not during the freeze');
  });
});

describe('hoist <command> answered at once', () => {
  it('approve, lock and unlock send what the API takes and print its answer', async () => {
    fake.routes.set('POST /deployments/12/approvals', () => ({ status: 200, body: { deployment: fakeDeployment(), outcome: 'approved' } }));
    fake.routes.set('PUT /apps/shop/environments/staging/lock', () => ({
      status: 200,
      body: { lock: { kind: 'manual', owner: { id: 'token:ci', name: 'ci' }, reason: 'release', since: '2026-12-04T10:00:00Z', expiresAt: null }, renewed: false },
    }));
    fake.routes.set('DELETE /apps/shop/environments/staging/lock', () => ({ status: 200, body: { released: {}, forced: true } }));
    const approve = run(['approve', '#12']);
    expect(await approve.code).toBe(EXIT.ok);
    expect(approve.out).toEqual(['#12 approved: every rule holds, it goes ahead']);
    const lock = run(['lock', 'shop', 'in', 'staging', '--reason', 'release', '--ttl', '2h']);
    expect(await lock.code).toBe(EXIT.ok);
    expect(lock.out).toEqual(['shop/staging locked until unlocked']);
    const unlock = run(['unlock', 'shop', 'in', 'staging', '--force']);
    expect(await unlock.code).toBe(EXIT.ok);
    const bodies = fake.requests.filter((r) => r.method !== 'GET').map((r) => [r.method, r.path, r.body]);
    expect(bodies).toEqual([
      ['POST', '/api/v1/deployments/12/approvals', { decision: 'approve' }],
      ['PUT', '/api/v1/apps/shop/environments/staging/lock', { reason: 'release', ttl: '7200s' }],
      ['DELETE', '/api/v1/apps/shop/environments/staging/lock?force=true', null],
    ]);
  });

  it('status prints each environment on a line', async () => {
    fake.routes.set('GET /apps/shop/environments', () => ({
      status: 200,
      body: {
        items: [
          { app: 'shop', env: 'staging', status: 'DEPLOYED', services: [{ name: 'web', status: 'DEPLOYED', version: 'a1b2c3d4e5f6a7b8' }], queue: [{ id: 13, action: 'deploy', position: 1 }], lock: null },
          { app: 'shop', env: 'production', status: 'NEVER_DEPLOYED', services: [], queue: [], lock: { owner: { id: 'U0ALICE', name: 'alice' }, reason: 'freeze' } },
        ],
      },
    }));
    const t = run(['status', 'shop']);
    expect(await t.code).toBe(EXIT.ok);
    expect(t.out).toEqual(['shop/staging DEPLOYED — web DEPLOYED a1b2c3d4e5f6 — queue: #13 deploy (1)', 'shop/production NEVER_DEPLOYED — locked by @alice: freeze']);
  });

  it('cancel of an environment cancels what runs there', async () => {
    fake.routes.set('GET /apps/shop/environments/staging', () => ({ status: 200, body: { app: 'shop', env: 'staging', queue: [{ id: 12, position: null }, { id: 13, position: 1 }] } }));
    fake.routes.set('POST /deployments/12/cancel', () => ({ status: 200, body: { deployment: fakeDeployment({ status: 'CANCELING' }), outcome: 'canceling' } }));
    const t = run(['cancel', 'shop', 'in', 'staging']);
    expect(await t.code).toBe(EXIT.ok);
    expect(t.out).toEqual(['#12 is canceling: it was told to stop']);
  });
});

describe('the commands the command line sends', () => {
  it('takes every action a deployment can be, and cancel, as a command of its own, and names them in its usage', () => {
    const verbs = PIPELINE_USAGE.trim().split(' ')[0]?.split('|');
    for (const verb of [...ACTION_VERBS, 'cancel']) {
      expect(PIPELINE_VERBS.has(verb)).toBe(true);
      expect(verbs).toContain(verb);
    }
    expect(verbs).toEqual([...PIPELINE_VERBS]);
  });
});

describe('usage and configuration mistakes exit 2 and send nothing', () => {
  it.each([
    [['deploy', 'shop', 'to', 'staging'], {}, 'Set HOIST_SERVER (or --server)'],
    [['deploy', 'shop', 'to', 'staging'], { server: 'http://h:1' }, 'set HOIST_TOKEN (or --token)'],
    [['deploy', 'shop', 'to', 'staging'], { server: 'ftp://h', token: 't' }, 'not an http:// or https:// address'],
    [['deploy', 'shop', 'to', 'staging', '--timeout', 'soon'], { server: 'http://h:1', token: 't' }, '--timeout "soon" is not a duration'],
    [['deploy', 'shop'], { server: 'http://h:1', token: 't' }, 'hoist deploy: '],
    [['logs', '#12'], { server: 'http://h:1', token: 't' }, 'not available from the command line'],
  ])('%j with %j', async (argv, env, message) => {
    const t = run(argv, env);
    expect(await t.code).toBe(EXIT.usage);
    expect(t.err.join('\n')).toContain(message);
    expect(fake.requests).toEqual([]);
  });

  it('--server and --token on the command line; an unreachable server is a configuration mistake', async () => {
    const closed = fake.url;
    await fake.close();
    const t = run(['deploy', 'shop', 'to', 'staging', `--server=${closed}`, '--token', 't'], {});
    expect(await t.code).toBe(EXIT.usage);
    expect(t.err.join('\n')).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    fake = await startFakeHoistApi();
  });
});
