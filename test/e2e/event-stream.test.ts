import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { removeAppContainers } from '../support/containers.ts';
import { BASE_IMAGE, containerAppYaml, DOCKER_HOST, eventually, randomName, REGISTRY, startTestHoist, type TestHoist } from '../support/hoist-harness.ts';

const KINDS = ['requested', 'status', 'failure', 'summary', 'queue', 'supersedes', 'approval', 'notice', 'lock'];

interface Received {
  id: number;
  kind: string;
  data: { id: number; kind: string; app: string; env: string; deploymentId: number | null; status?: string; service?: string | null; [key: string]: unknown };
}

/**
 * A real EventSource client on Hoist's event stream, with the harness's token (and a
 * `Last-Event-ID` to resume from, sent as a browser would after a reconnect).
 */
function listen(hoist: TestHoist, query: string, lastEventId?: number, token = hoist.apiToken) {
  const received: Received[] = [];
  const source = new EventSource(`${hoist.baseUrl}/api/v1/events${query}`, {
    fetch: (input, init) => {
      const headers = new Headers(init?.headers);
      if (token !== null) headers.set('authorization', `Bearer ${token}`);
      if (lastEventId !== undefined && !headers.has('last-event-id')) headers.set('last-event-id', String(lastEventId));
      return fetch(input, { ...init, headers });
    },
  });
  const opened = new Promise<void>((resolve, reject) => {
    source.onopen = () => resolve();
    source.onerror = (error) => reject(new Error(`event stream failed: ${error.message ?? error.code}`));
  });
  for (const kind of KINDS) {
    source.addEventListener(kind, (message) => {
      received.push({ id: Number(message.lastEventId), kind: message.type, data: JSON.parse(message.data) as Received['data'] });
    });
  }
  return { source, received, opened };
}

/** A token that may read environment `one` only. */
const READER = `hoist_${'r'.repeat(32)}`;

const finalOf = (deploymentId: number) => (r: Received) => r.kind === 'status' && r.data.deploymentId === deploymentId && r.data.service === null && ['DEPLOYED', 'FAILED'].includes(r.data.status ?? '');

describe('live events over Server-Sent Events', () => {
  const app = randomName('evs');
  let repo: GitFixture;
  let hoist: TestHoist;
  const actor = { requester: { id: 'U0ALICE', name: 'alice' }, origin: { kind: 'none' as const } };

  beforeAll(async () => {
    repo = createGitFixture('hoist-events');
    repo.commit('first', { README: 'events\n' });
    hoist = await startTestHoist({
      env: { HOIST_API_TOKENS: `reader:read:envs=one:${READER}` },
      yaml: containerAppYaml({ app, repo: repo.dir, environments: '      one: { target: engine }\n      two: { target: engine }\n' }),
    });
  }, 60_000);
  afterAll(async () => {
    await hoist?.stop();
    await removeAppContainers(app);
    repo?.remove();
  });

  async function deploy(env: string): Promise<number> {
    const result = await hoist.hoist.api.request({ verb: 'deploy', scope: { app, services: null }, env, ref: null }, { ...actor, trigger: 'chat' });
    if (!result.ok) throw new Error(`deploy refused: ${result.reason}`);
    return result.deployment.id;
  }

  it('streams a deployment’s status changes in order, filtered by app and environment, with lock events', async () => {
    const one = listen(hoist, `?app=${app}&env=one`);
    const all = listen(hoist, '');
    const scoped = listen(hoist, '', undefined, READER);
    await Promise.all([one.opened, all.opened, scoped.opened]);
    const lock = await hoist.hoist.api.lockEnvironment({ app, env: 'two', reason: 'db migration password=hunter2', ttlMs: null }, actor);
    expect(lock.ok).toBe(true);
    const id = await deploy('one');
    await eventually(() => one.received.find(finalOf(id)), 60_000, 'the deployment to finish on the stream');
    await eventually(() => scoped.received.find(finalOf(id)), 10_000, 'the deployment to finish on the scoped stream');
    one.source.close();
    all.source.close();
    scoped.source.close();

    const mine = one.received.filter((r) => r.data.deploymentId === id);
    // Its status changes in the order they happened: the service's, then the deployment's.
    expect(mine.map((r) => (r.kind === 'status' ? `${r.data.service ?? '*'}:${r.data.status}` : r.kind))).toEqual(['requested', 'web:DEPLOYING', 'web:DEPLOYED', '*:DEPLOYED']);
    expect(mine.at(-1)).toMatchObject({ kind: 'status', data: { status: 'DEPLOYED', service: null, app, env: 'one' } });
    const positions = one.received.map((r) => r.id);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(new Set(positions).size).toBe(positions.length);
    expect(one.received.every((r) => r.data.app === app && r.data.env === 'one' && r.data.id === r.id)).toBe(true);
    // The unfiltered stream also saw the lock taken in the other environment, its secret masked.
    const taken = all.received.find((r) => r.kind === 'lock' && r.data.env === 'two');
    expect(taken?.data).toMatchObject({ action: 'taken', lock: { owner: { id: 'U0ALICE' }, reason: 'db migration password=[redacted]' } });
    expect(JSON.stringify(all.received)).not.toContain('hunter2');
    // A token for environment one only: without filters it gets that environment's events, and a 403 for another.
    expect(scoped.received.length).toBeGreaterThan(0);
    expect(scoped.received.every((r) => r.data.env === 'one')).toBe(true);
    const refused = await fetch(`${hoist.baseUrl}/api/v1/events?env=two`, { headers: { authorization: `Bearer ${READER}` } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: { code: 'FORBIDDEN', message: 'token "reader" may not touch environment "two" (only one)' } });
    expect((await fetch(`${hoist.baseUrl}/api/v1/events`)).status).toBe(401);
  }, 90_000);

  it('a client that reconnects mid-deployment with Last-Event-ID gets exactly what it missed', async () => {
    const first = listen(hoist, `?app=${app}&env=two`);
    await first.opened;
    const id = await deploy('two');
    // Disconnect as soon as the deployment is under way.
    await eventually(() => first.received.find((r) => r.kind === 'status' && r.data.deploymentId === id), 30_000, 'a first status change');
    first.source.close();
    const last = first.received.at(-1)!.id;

    const second = listen(hoist, `?app=${app}&env=two`, last);
    await second.opened;
    await eventually(() => second.received.find(finalOf(id)), 60_000, 'the deployment to finish on the resumed stream');
    second.source.close();

    // The whole story of the environment since the first connection, read from the log.
    const replay = listen(hoist, `?app=${app}&env=two&lastEventId=${first.received[0]!.id - 1}`);
    await replay.opened;
    await eventually(() => replay.received.find(finalOf(id)), 30_000, 'the replay');
    replay.source.close();
    const upTo = second.received.at(-1)!.id;
    const seen = [...first.received, ...second.received].map((r) => r.id);
    expect(seen).toEqual(replay.received.filter((r) => r.id <= upTo).map((r) => r.id));
    expect(second.received[0]!.id).toBeGreaterThan(last);
  }, 90_000);

  it('ends open streams cleanly when Hoist stops, without holding the stop up', async () => {
    const headers = hoist.apiToken === null ? undefined : { authorization: `Bearer ${hoist.apiToken}` };
    const res = await fetch(`${hoist.baseUrl}/api/v1/events`, { headers });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toMatch(/^id: \d+\n: connected\n\n$/);
    const started = Date.now();
    await hoist.halt();
    expect(Date.now() - started).toBeLessThan(5_000);
    // The stream ended with the response, not with a broken connection.
    expect((await reader.read()).done).toBe(true);
  }, 30_000);
});

describe('live events on the embedded database (PGlite)', () => {
  it('streams lock events and resumes from Last-Event-ID', async () => {
    const app = randomName('evp');
    const hoist = await startTestHoist({
      // No DATABASE_URL: Hoist's embedded default.
      env: { DATABASE_URL: '' },
      yaml: `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
  ${app}:
    repo: https://example.invalid/${app}.git
    services:
      web: { type: container, image: "${BASE_IMAGE}" }
    environments:
      one: { target: engine }
`,
    });
    try {
      const actor = { requester: { id: 'U0ALICE', name: 'alice' }, origin: { kind: 'none' as const } };
      const first = listen(hoist, `?app=${app}`);
      await first.opened;
      expect((await hoist.hoist.api.lockEnvironment({ app, env: 'one', reason: 'first', ttlMs: null }, actor)).ok).toBe(true);
      await eventually(() => first.received.find((r) => r.kind === 'lock'), 10_000, 'the lock event');
      first.source.close();
      expect((await hoist.hoist.api.unlockEnvironment({ app, env: 'one', force: false }, actor)).ok).toBe(true);
      const resumed = listen(hoist, `?app=${app}`, first.received.at(-1)!.id);
      await resumed.opened;
      const released = await eventually(() => resumed.received.find((r) => r.kind === 'lock'), 10_000, 'the missed unlock');
      resumed.source.close();
      expect(released.data).toMatchObject({ action: 'released', env: 'one' });
      expect(resumed.received.map((r) => r.data.action)).toEqual(['released']);

      // The sweeper looks for due locks only now and then on the embedded database: the
      // write that took this lock woke it, so the lock lapses on time all the same.
      const lapsing = listen(hoist, `?app=${app}`, resumed.received.at(-1)!.id);
      await lapsing.opened;
      const taken = Date.now();
      expect((await hoist.hoist.api.lockEnvironment({ app, env: 'one', reason: 'short', ttlMs: 2_000 }, actor)).ok).toBe(true);
      await eventually(() => lapsing.received.find((r) => r.data.action === 'expired'), 10_000, 'the lock lapsing');
      lapsing.source.close();
      expect(Date.now() - taken).toBeLessThan(6_000);
    } finally {
      await hoist.stop();
    }
  }, 60_000);
});
