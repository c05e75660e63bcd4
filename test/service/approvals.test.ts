import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VoteResult } from '../../src/service/contract.ts';
import { alice, asking, bob, carol, command, openServiceFixture, person, type ServiceFixture } from './service-fixture.ts';

const dave = person('U0DAVE', 'dave');
const erin = person('U0ERIN', 'erin');
const frank = person('U0FRANK', 'frank');

/** Five possible approvers: carol is in both groups, frank in neither. */
const groups = { U0BOB: ['sre'], U0CAROL: ['sre', 'product'], U0DAVE: ['product'], U0ERIN: ['sre'], U0FRANK: [] };

const outcome = (result: VoteResult) => (result.ok ? result.outcome : `${result.code}: ${result.reason}`);

describe('approvals in the service', () => {
  let f: ServiceFixture;

  beforeAll(async () => {
    f = await openServiceFixture({
      environments: {
        staging: '{ target: engine }',
        production: '{ target: engine, approval: { rules: [{ approvers: ["@sre"], count: 2 }, { approvers: ["@product"], count: 1 }] } }',
        // Only deploys wait; the other actions run as they come.
        edge: '{ target: engine, approval: { required: 1, approvers: [U0BOB], actions: [deploy] } }',
      },
      groups,
    });
  });
  afterAll(async () => {
    await f?.close();
  });

  it('a deploy waits for approval outside the queue: not handed over, and the requester is told who may approve', async () => {
    const kicks = f.kicks.length;
    const result = await f.service.request(command.deploy('production', { ref: f.versions[0] }), asking(alice));
    if (!result.ok) throw new Error(result.reason);
    expect(result.deployment.status).toBe('AWAITING_APPROVAL');
    expect(result.awaitingApproval).toMatchObject({
      required: true,
      approved: false,
      rules: [{ approvers: ['@sre'], count: 2, voters: [], met: false }, { approvers: ['@product'], count: 1, voters: [], met: false }],
    });
    expect(result.awaitingApproval?.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    expect(f.kicks.length).toBe(kicks);
    expect((await f.view('production')).queue).toEqual([]);
  });

  it('refuses a vote on an unknown deployment, from the requester, and from someone no rule names — recording none as a vote', async () => {
    const d = await f.request(command.deploy('production', { ref: f.versions[1] }), asking(alice));
    expect(await f.service.approve(999_999, bob)).toMatchObject({ ok: false, code: 'NOT_FOUND', reason: 'there is no deployment #999999' });
    expect(await f.service.approve(d.id, alice)).toEqual({
      ok: false,
      code: 'OWN_DEPLOYMENT',
      reason: `you may not approve or reject #${d.id}: you requested it, and someone else must approve it: 2 of @sre and 1 of @product`,
    });
    expect(await f.service.approve(d.id, frank)).toEqual({
      ok: false,
      code: 'NOT_APPROVER',
      reason: `you may not approve or reject #${d.id}: only approvers may approve it: 2 of @sre and 1 of @product`,
    });
    expect(await f.service.reject(d.id, frank, 'no')).toMatchObject({ ok: false, code: 'NOT_APPROVER' });
    const approvals = await f.service.approvals(d.id);
    if (!approvals.ok) throw new Error(approvals.reason);
    expect(approvals.rules.flatMap((r) => r.voters)).toEqual([]);
    expect(approvals.history.map((h) => [h.step, h.actor?.name, h.edge])).toEqual([
      ['requested', 'alice', 'slack'],
      ['refused', 'alice', 'slack'],
      ['refused', 'frank', 'slack'],
      ['refused', 'frank', 'slack'],
    ]);
    expect(approvals.history[1]?.reason).toBe('you requested it, and someone else must approve it: 2 of @sre and 1 of @product');
    expect(approvals.history[0]?.sha).toBe(d.sha);
    // Each refusal is recorded for the SHA and the set the request was about.
    expect(approvals.history[0]?.setKey).toEqual(expect.any(String));
    expect(approvals.history.map((h) => [h.sha, h.setKey])).toEqual(approvals.history.map(() => [d.sha, approvals.history[0]?.setKey]));
  });

  it('counts a person once, whatever they click, and starts exactly when both rules hold', async () => {
    const d = await f.request(command.deploy('production', { ref: f.versions[2] }), asking(alice));
    expect(outcome(await f.service.approve(d.id, carol))).toBe('counted');
    expect(outcome(await f.service.approve(d.id, carol))).toBe('already-counted');
    const kicks = f.kicks.length;
    const second = await f.service.approve(d.id, bob);
    if (!second.ok) throw new Error(second.reason);
    // carol is in both groups and counts once: with bob, @sre could be met, but then @product is not.
    expect(second.outcome).toBe('counted');
    expect(second.approval.rules.map((r) => [r.voters.map((v) => v.name), r.met])).toEqual([[['carol', 'bob'], true], [[], false]]);
    expect(second.deployment.status).toBe('AWAITING_APPROVAL');
    expect(f.kicks.length).toBe(kicks);
    const last = await f.service.approve(d.id, dave);
    if (!last.ok) throw new Error(last.reason);
    expect(last.outcome).toBe('approved');
    expect(last.deployment.status).toBe('QUEUED');
    expect(last.deployment.reason).toBe('approved by @carol, @bob, @dave');
    expect(last.approval.rules.map((r) => r.voters.map((v) => v.name))).toEqual([['carol', 'bob'], ['dave']]);
    expect(f.kicks.slice(kicks)).toEqual(['shop/production']);
    // A click after it completed is the same vote; someone else's is too late.
    expect(outcome(await f.service.approve(d.id, dave))).toBe('already-counted');
    expect(await f.service.approve(d.id, erin)).toMatchObject({ ok: false, code: 'DECIDED' });
    const done = await f.run(d.id);
    expect(done.status).toBe('DEPLOYED');
  });

  it('a rejection needs a reason, ends the deployment REJECTED with who and why, and is final', async () => {
    const d = await f.request(command.deploy('production', { ref: f.versions[3] }), asking(alice));
    expect(await f.service.reject(d.id, bob, '  ')).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    const rejected = await f.service.reject(d.id, bob, 'breaks checkout');
    if (!rejected.ok) throw new Error(rejected.reason);
    expect(rejected.deployment).toMatchObject({ status: 'REJECTED', reason: 'rejected by @bob: breaks checkout' });
    expect(rejected.deployment.finishedAt).not.toBeNull();
    expect(await f.service.approve(d.id, carol)).toMatchObject({ ok: false, code: 'DECIDED' });
    expect(await f.service.reject(d.id, carol, 'me too')).toMatchObject({ ok: false, code: 'DECIDED' });
    const approvals = await f.service.approvals(d.id);
    expect(approvals.ok && approvals.history.at(-1)).toMatchObject({ step: 'rejected', actor: { name: 'bob' }, reason: 'breaks checkout' });
  });

  it('an automatic deploy has no person who asked: every approver may approve', async () => {
    const d = await f.request(command.deploy('production'), asking(carol, { trigger: 'webhook' }));
    expect(outcome(await f.service.approve(d.id, carol))).toBe('counted');
    await f.service.cancel({ kind: 'deployment', id: d.id }, carol);
  });

  it('cancel while awaiting approval: by the requester, like a queued one; votes after it are refused', async () => {
    const d = await f.request(command.deploy('production', { ref: f.versions[0] }), asking(erin));
    expect(await f.service.cancel({ kind: 'deployment', id: d.id }, erin)).toMatchObject({ ok: true, outcome: 'removed' });
    const canceled = await f.service.getDeployment(d.id);
    expect(canceled).toMatchObject({ status: 'CANCELED', reason: 'canceled by @erin' });
    expect(await f.service.approve(d.id, bob)).toMatchObject({ ok: false, code: 'DECIDED' });
  });

  it('other actions run while a deploy awaits approval, and an approved deploy joins the queue behind what already waits', async () => {
    const first = await f.request(command.deploy('edge'), asking(alice));
    expect(first.status).toBe('AWAITING_APPROVAL');
    expect(outcome(await f.service.approve(first.id, bob))).toBe('approved');
    expect((await f.run(first.id)).status).toBe('DEPLOYED');

    const awaiting = await f.request(command.deploy('edge', { ref: f.versions[1] }), asking(alice));
    const redeploy = await f.request(command.redeploy('edge', ['web']), asking(alice));
    const stop = await f.request(command.stop('edge', ['db']), asking(alice));
    expect([awaiting.status, redeploy.status, stop.status]).toEqual(['AWAITING_APPROVAL', 'QUEUED', 'QUEUED']);
    expect((await f.view('edge')).queue.map((q) => [q.id, q.position])).toEqual([[redeploy.id, 1], [stop.id, 2]]);
    // The environment is not held by the deployment that waits: the redeploy runs.
    expect((await f.run(redeploy.id)).status).toBe('DEPLOYED');

    expect(outcome(await f.service.approve(awaiting.id, bob))).toBe('approved');
    expect((await f.view('edge')).queue.map((q) => [q.id, q.position])).toEqual([[stop.id, 1], [awaiting.id, 2]]);
    expect((await f.run(stop.id)).status).toBe('STOPPED');
    expect((await f.run(awaiting.id)).status).toBe('DEPLOYED');
  });

  it('an environment without approval: nothing waits, and its deployments have no approval', async () => {
    const d = await f.request(command.deploy('staging'), asking(alice));
    expect(d.status).toBe('QUEUED');
    expect(await f.service.approvals(d.id)).toMatchObject({ ok: true, required: false, rules: [], history: [] });
    expect(await f.service.approve(d.id, bob)).toMatchObject({ ok: false, code: 'DECIDED' });
  });
});

describe('approvals arriving at the same instant (Postgres)', () => {
  let f: ServiceFixture;

  beforeAll(async () => {
    f = await openServiceFixture({
      environments: { production: '{ target: engine, approval: { required: 2, approvers: [U0BOB, U0CAROL, U0DAVE] } }' },
      store: 'postgres',
    });
  });
  afterAll(async () => {
    await f?.close();
  });

  /** The deployment's status events that put it in the queue. */
  const enqueued = async (id: number) => {
    const rows = await f.db.selectFrom('deployment_events').select('payload').where('deployment_id', '=', id).execute();
    return rows.map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload)).filter((e) => e.kind === 'status' && e.status === 'QUEUED');
  };

  it('20 concurrent approvals by the last needed approver enqueue the deployment once', async () => {
    const d = await f.request(command.deploy('production', { ref: f.versions[0] }), asking(alice));
    expect(outcome(await f.service.approve(d.id, carol))).toBe('counted');
    const kicks = f.kicks.length;
    const results = await Promise.all(Array.from({ length: 20 }, () => f.service.approve(d.id, bob)));
    expect(results.map(outcome).sort()).toEqual([...Array(19).fill('already-counted'), 'approved']);
    expect(await enqueued(d.id)).toHaveLength(1);
    expect(f.kicks.length - kicks).toBe(1);
    expect((await f.view('production')).queue.map((q) => q.id)).toEqual([d.id]);
  });

  it('two approvers casting the final vote at once: one enqueues it, the other is told it is decided', async () => {
    const d = await f.request(command.deploy('production', { ref: f.versions[1] }), asking(alice));
    expect(outcome(await f.service.approve(d.id, bob))).toBe('counted');
    const results = await Promise.all([f.service.approve(d.id, carol), f.service.approve(d.id, dave)]);
    expect(results.map((r) => (r.ok ? r.outcome : r.code)).sort()).toEqual(['DECIDED', 'approved']);
    expect(await enqueued(d.id)).toHaveLength(1);
    const approvals = await f.service.approvals(d.id);
    expect(approvals.ok && approvals.rules[0]!.voters).toHaveLength(2);
  });
});
