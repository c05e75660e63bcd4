import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentEvent } from '../../src/domain/deployment.ts';
import { createApprovalTimers } from '../../src/service/approval-timers.ts';
import { alice, asking, bob, command, openServiceFixture, type ServiceFixture } from './service-fixture.ts';

const MINUTE = 60_000;

/** A clock the test moves: approval deadlines are hours long. */
function fakeClock() {
  let at = Date.parse('2026-03-02T09:00:00Z');
  return { now: () => new Date(at), advance: (ms: number) => (at += ms) };
}

describe('approval timers: expiry and reminders', () => {
  let f: ServiceFixture;
  const clock = fakeClock();

  beforeAll(async () => {
    f = await openServiceFixture({
      environments: {
        production: '{ target: engine, approval: { required: 1, approvers: [U0BOB, "@sre"], timeout: 4h, remindEvery: 30m } }',
        quiet: '{ target: engine, approval: { required: 1, approvers: [U0BOB], timeout: 1h } }',
      },
      now: clock.now,
    });
  });
  afterAll(async () => {
    await f?.close();
  });

  const timers = () => createApprovalTimers({ db: f.db, config: f.config, notify: () => undefined, now: clock.now });
  const steps = async (id: number) => {
    const view = await f.service.approvals(id);
    if (!view.ok) throw new Error(view.reason);
    return view.history.map((h) => h.step);
  };
  const approvalEvents = async (id: number) => {
    const rows = await f.db.selectFrom('deployment_events').select('payload').where('deployment_id', '=', id).orderBy('id').execute();
    return rows.map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as DeploymentEvent).filter((e) => e.kind === 'approval');
  };

  it('reminds the approvers every remindEvery until it expires, each reminder once, missed ones once, and expires it for the requester', async () => {
    const sweep = timers();
    const d = await f.request(command.deploy('production', { ref: f.versions[0] }), asking(alice));
    expect(d.status).toBe('AWAITING_APPROVAL');
    // The first reminder is due in 30 minutes.
    expect(await sweep.sweep()).toBe(30 * MINUTE);

    clock.advance(29 * MINUTE);
    expect(await sweep.sweep()).toBe(MINUTE);
    expect(await steps(d.id)).toEqual(['requested']);

    clock.advance(MINUTE);
    expect(await sweep.sweep()).toBe(30 * MINUTE);
    expect(await sweep.sweep()).toBe(30 * MINUTE);
    expect(await steps(d.id)).toEqual(['requested', 'reminded']);

    // Two and a half hours pass without a sweeper: the reminders missed meanwhile are one, on the same beat.
    clock.advance(150 * MINUTE);
    expect(await sweep.sweep()).toBe(30 * MINUTE);
    expect(await steps(d.id)).toEqual(['requested', 'reminded', 'reminded']);
    const reminders = (await approvalEvents(d.id)).filter((e) => e.kind === 'approval' && e.step === 'reminded');
    expect(reminders[0]).toMatchObject({ actor: null, to: ['U0BOB', '@sre'], reason: 'waiting for 1 of U0BOB, @sre; it expires at 2026-03-02 13:00 UTC' });

    // 3h30: the last reminder; at 4h it expires, with no reminder beside it.
    clock.advance(30 * MINUTE);
    expect(await sweep.sweep()).toBe(30 * MINUTE);
    clock.advance(30 * MINUTE);
    expect(await sweep.sweep()).toBeNull();
    expect(await steps(d.id)).toEqual(['requested', 'reminded', 'reminded', 'reminded', 'expired']);
    const ended = await f.service.getDeployment(d.id);
    expect(ended).toMatchObject({ status: 'EXPIRED', reason: 'nobody approved or rejected it within 4h' });
    expect(ended?.services.every((s) => s.status === 'CANCELED')).toBe(true);
    expect((await approvalEvents(d.id)).at(-1)).toMatchObject({ step: 'expired', actor: null, to: ['U0ALICE'], reason: 'nobody approved or rejected it within 4h' });

    // Decided: nothing more is said, and a vote finds it ended.
    clock.advance(60 * MINUTE);
    expect(await sweep.sweep()).toBeNull();
    expect(await steps(d.id)).toHaveLength(5);
    expect(await f.service.approve(d.id, bob)).toMatchObject({ ok: false, code: 'DECIDED' });
  });

  it('without remindEvery nobody is reminded; an approved request neither expires nor is reminded', async () => {
    const sweep = timers();
    const quiet = await f.request(command.deploy('quiet', { ref: f.versions[1] }), asking(alice));
    const approved = await f.request(command.deploy('production', { ref: f.versions[2] }), asking(alice));
    expect(await f.service.approve(approved.id, bob)).toMatchObject({ ok: true, outcome: 'approved' });
    expect(await sweep.sweep()).toBe(60 * MINUTE);
    clock.advance(5 * 60 * MINUTE);
    await sweep.sweep();
    expect(await steps(quiet.id)).toEqual(['requested', 'expired']);
    expect(await steps(approved.id)).toEqual(['requested', 'voted', 'approved']);
    expect((await f.service.getDeployment(approved.id))?.status).toBe('QUEUED');
  });
});

describe('approval timers across processes', () => {
  let f: ServiceFixture;
  const clock = fakeClock();

  beforeAll(async () => {
    f = await openServiceFixture({
      environments: { production: '{ target: engine, approval: { required: 1, approvers: [U0BOB], timeout: 1h, remindEvery: 20m } }' },
      store: 'postgres',
      now: clock.now,
    });
  });
  afterAll(async () => {
    await f?.close();
  });

  it('concurrent sweeps claim each reminder and each expiry exactly once', async () => {
    const refs = [null, ...f.versions];
    const ids: number[] = [];
    for (const ref of refs) ids.push((await f.request(command.deploy('production', { ref }), asking(alice))).id);
    const sweepers = Array.from({ length: 4 }, () => createApprovalTimers({ db: f.db, config: f.config, notify: () => undefined, now: clock.now }));
    const count = async (step: string) =>
      Number((await f.db.selectFrom('approval_history').select((eb) => eb.fn.countAll().as('n')).where('step', '=', step).executeTakeFirstOrThrow()).n);
    const allEvents = async () => (await f.db.selectFrom('deployment_events').select(['deployment_id', 'payload']).execute()).map((r) => ({ id: Number(r.deployment_id), event: r.payload as DeploymentEvent }));
    const events = async () => (await allEvents()).filter(({ event }) => event.kind === 'approval' && event.step === 'reminded').length;

    clock.advance(20 * 60_000);
    await Promise.all(sweepers.flatMap((s) => [s.sweep(), s.sweep()]));
    expect(await count('reminded')).toBe(ids.length);
    expect(await events()).toBe(ids.length);

    clock.advance(20 * 60_000);
    await Promise.all(sweepers.flatMap((s) => [s.sweep(), s.sweep()]));
    expect(await count('reminded')).toBe(2 * ids.length);
    expect(await count('expired')).toBe(0);

    // At the hour it expires; the third beat would be at the hour itself, where the expiry is the last word.
    clock.advance(20 * 60_000);
    await Promise.all(sweepers.flatMap((s) => [s.sweep(), s.sweep()]));
    expect(await count('reminded')).toBe(2 * ids.length);
    expect(await count('expired')).toBe(ids.length);
    const statuses = await f.db.selectFrom('deployments').select('status').where('id', 'in', ids).execute();
    expect(statuses.map((s) => s.status)).toEqual(ids.map(() => 'EXPIRED'));
    const expiredLines = (await allEvents()).filter(({ event }) => event.kind === 'status' && event.status === 'EXPIRED');
    expect(expiredLines.map((e) => e.id).sort((a, b) => a - b)).toEqual(ids);
  });
});
