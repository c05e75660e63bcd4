import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendLogLines, logLines } from '../../src/store/deployment-logs.ts';
import { getDeployment, insertDeployment, setDeploymentStatus, setServiceStatus, environmentsWithActiveDeployments } from '../../src/store/deployments.ts';
import { deliveredUpTo, pendingEvents, pendingNotices } from '../support/event-log.ts';
import { unfinishedDeployments } from '../../src/store/waiting-deployments.ts';
import { putServiceState, serviceStates } from '../../src/store/service-state.ts';
import { createCardStore } from '../../src/store/chat-cards.ts';
import { currentLock, recordNotice, takeLock } from '../../src/store/locks.ts';
import type { NewDeployment } from '../../src/store/deployments.ts';
import { openTestStore, type StoreKind } from '../support/databases.ts';

const request = (over: Partial<NewDeployment> = {}): NewDeployment => ({
  app: 'shop',
  env: 'staging',
  action: 'deploy',
  ref: 'main',
  sha: 'a'.repeat(40),
  scope: null,
  requestedBy: { id: 'U1', name: 'alice' },
  trigger: 'chat',
  chat: { kind: 'slack', channel: 'C1', userId: 'U1', reply: null },
  requestKey: null,
  services: [
    { name: 'db', type: 'database', version: 'postgres:16', previousVersion: null },
    { name: 'api', type: 'application', version: 'a'.repeat(40), previousVersion: 'b'.repeat(40) },
  ],
  deploymentSet: { services: ['db', 'api'] },
  ...over,
});

describe.each<StoreKind>(['postgres', 'pglite'])('store on %s', (kind) => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  beforeAll(async () => {
    store = await openTestStore(kind);
  });
  afterAll(async () => {
    await store.cleanup();
  });

  it('records a deployment with its services and a requested event', async () => {
    const { id, duplicate } = await insertDeployment(store.db, request());
    expect(duplicate).toBe(false);
    const d = await getDeployment(store.db, id);
    expect(d).toMatchObject({
      id,
      app: 'shop',
      env: 'staging',
      action: 'deploy',
      status: 'QUEUED',
      sha: 'a'.repeat(40),
      requestedBy: { id: 'U1', name: 'alice' },
      chat: { kind: 'slack', channel: 'C1' },
      startedAt: null,
      finishedAt: null,
    });
    expect(d?.requestedAt).toBeInstanceOf(Date);
    expect(d?.services.map((s) => [s.name, s.status, s.previousVersion])).toEqual([
      ['db', 'QUEUED', null],
      ['api', 'QUEUED', 'b'.repeat(40)],
    ]);
    const events = await pendingEvents(store.db);
    expect(events.filter((e) => e.deploymentId === id).map((e) => e.event.kind)).toEqual(['requested']);
  });

  it('returns a deployment recorded in one statement as getDeployment reads it, with its environment\'s queue, itself last', async () => {
    const env = 'queue-back';
    const first = await insertDeployment(store.db, request({ env }));
    const second = await insertDeployment(store.db, request({ env, ref: 'v2', sha: 'c'.repeat(40) }));
    expect(first.recorded?.deployment).toEqual(await getDeployment(store.db, first.id));
    expect(second.recorded?.deployment).toEqual(await getDeployment(store.db, second.id));
    expect([first.recorded?.queue, second.recorded?.queue]).toEqual([[first.id], [first.id, second.id]]);
    await setDeploymentStatus(store.db, first.id, { status: 'DEPLOYED', finished: true });
    const third = await insertDeployment(store.db, request({ env, ref: 'v3', sha: 'd'.repeat(40) }));
    expect(third.recorded?.queue).toEqual([second.id, third.id]);
    // The same request again is the deployment recorded before: read, not returned as recorded.
    const again = await insertDeployment(store.db, request({ env, ref: 'v3', sha: 'd'.repeat(40), requestKey: 'k-queue-back' }));
    const repeated = await insertDeployment(store.db, request({ env, ref: 'v3', sha: 'd'.repeat(40), requestKey: 'k-queue-back' }));
    expect([repeated.id, repeated.duplicate, repeated.recorded]).toEqual([again.id, true, undefined]);
  });

  it('returns the same deployment for a repeated request key, also under concurrency', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => insertDeployment(store.db, request({ requestKey: 'trigger-123' }))));
    const ids = new Set(results.map((r) => r.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
  });

  it('tracks status changes, timestamps and the outbox in order', async () => {
    const { id } = await insertDeployment(store.db, request({ env: 'prod' }));
    await setDeploymentStatus(store.db, id, { status: 'BUILDING', started: true });
    await setServiceStatus(store.db, id, 'api', { status: 'BUILDING' });
    await setServiceStatus(store.db, id, 'api', { status: 'DEPLOYED', image: 'reg/shop-api:aaa' });
    await setDeploymentStatus(store.db, id, { status: 'DEPLOYED', finished: true, announce: true });
    const d = await getDeployment(store.db, id);
    expect(d?.status).toBe('DEPLOYED');
    expect(d?.startedAt).toBeInstanceOf(Date);
    expect(d?.finishedAt?.getTime()).toBeGreaterThanOrEqual(d?.startedAt?.getTime() ?? Infinity);
    expect(d?.services.find((s) => s.name === 'api')).toMatchObject({ status: 'DEPLOYED', image: 'reg/shop-api:aaa' });
    const mine = (await pendingEvents(store.db)).filter((e) => e.deploymentId === id);
    expect(mine.map((e) => (e.event.kind === 'status' ? `${e.event.service ?? '*'}:${e.event.status}` : e.event.kind))).toEqual([
      'requested',
      'api:BUILDING',
      'api:DEPLOYED',
      '*:DEPLOYED',
    ]);
    expect(mine.map((e) => e.id)).toEqual([...mine.map((e) => e.id)].sort((a, b) => a - b));
    await deliveredUpTo(store.db, Math.max(...mine.map((e) => e.position)));
    expect((await pendingEvents(store.db)).filter((e) => e.deploymentId === id)).toEqual([]);
  });

  it('lists unfinished deployments per environment, oldest first', async () => {
    const a = await insertDeployment(store.db, request({ env: 'qa' }));
    const b = await insertDeployment(store.db, request({ env: 'qa' }));
    await setDeploymentStatus(store.db, a.id, { status: 'DEPLOYED', finished: true });
    expect((await unfinishedDeployments(store.db, 'shop', 'qa')).map((d) => d.id)).toEqual([b.id]);
    expect(await environmentsWithActiveDeployments(store.db)).toContainEqual({ app: 'shop', env: 'qa' });
  });

  it('keeps log lines in order and the current service state', async () => {
    const { id } = await insertDeployment(store.db, request({ env: 'logs' }));
    await appendLogLines(store.db, id, [
      { service: 'api', line: 'step 1' },
      { service: 'api', line: 'step 2' },
    ]);
    expect((await logLines(store.db, id)).map((l) => l.line)).toEqual(['step 1', 'step 2']);
    await putServiceState(store.db, { app: 'shop', env: 'logs', service: 'api' }, { status: 'DEPLOYING', deploymentId: id });
    await putServiceState(store.db, { app: 'shop', env: 'logs', service: 'api' }, { status: 'DEPLOYED', version: 'v1', image: 'img:v1', deploymentId: id });
    await putServiceState(store.db, { app: 'shop', env: 'logs', service: 'api' }, { status: 'DEPLOYMENT_ERROR', deploymentId: id });
    expect(await serviceStates(store.db, 'shop', 'logs')).toMatchObject([{ service: 'api', status: 'DEPLOYMENT_ERROR', version: 'v1', image: 'img:v1' }]);
  });

  it('stores chat card references', async () => {
    const { id } = await insertDeployment(store.db, request({ env: 'cards' }));
    const cards = createCardStore(store.db);
    expect(await cards.get(id)).toBeNull();
    await cards.save(id, { channel: 'C1', ts: '1.2' });
    await cards.save(id, { channel: 'C1', ts: '1.3' });
    expect(await cards.get(id)).toEqual({ channel: 'C1', ts: '1.3' });
  });

  it('reads chat origins stored before the reply handle, when the Slack response URL had a field of its own', async () => {
    const old = { kind: 'slack', channel: 'C1', userId: 'U1', responseUrl: 'https://hooks.slack.test/response/1' };
    const expected = { kind: 'slack', channel: 'C1', userId: 'U1', reply: 'https://hooks.slack.test/response/1' };
    const { id } = await insertDeployment(store.db, request({ env: 'old-origin' }));
    await store.db.updateTable('deployments').set({ chat: JSON.stringify(old) }).where('id', '=', id).execute();
    expect((await getDeployment(store.db, id))?.chat).toEqual(expected);

    const taken = await takeLock(store.db, {
      app: 'shop',
      env: 'old-origin',
      kind: 'manual',
      owner: { id: 'U1', name: 'alice' },
      reason: null,
      ttlMs: null,
      chat: { kind: 'shell' },
    });
    if (!taken.ok) throw new Error('lock not taken');
    await store.db.updateTable('environment_locks').set({ chat: JSON.stringify(old) }).where('env', '=', 'old-origin').execute();
    expect((await currentLock(store.db, 'shop', 'old-origin'))?.chat).toEqual(expected);

    await recordNotice(store.db, { kind: 'lock-expired', lock: { ...taken.lock, chat: old as never } });
    const notices = await pendingNotices(store.db);
    expect(notices.at(-1)?.notice.lock.chat).toEqual(expected);
  });
});
