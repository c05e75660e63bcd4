import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCardText } from '../../src/bot/render/deployment-card.ts';
import type { Deployment } from '../../src/domain/deployment.ts';
import { alice, asking, bob, command, openServiceFixture, shopConfig, type ServiceFixture } from './service-fixture.ts';

const DIGEST_1 = `sha256:${'1'.repeat(64)}`;
const DIGEST_2 = `sha256:${'2'.repeat(64)}`;
const DIGEST_3 = `sha256:${'3'.repeat(64)}`;

const ENVIRONMENTS = {
  production: '{ target: engine, approval: { required: 1, approvers: [U0BOB] } }',
  staging: '{ target: engine }',
};

/** An approval of an image service is for the digest its tag named when it was asked (SPEC §5). */
describe('approvals bound to the digests of image services', () => {
  let f: ServiceFixture;
  beforeAll(async () => {
    f = await openServiceFixture({ environments: ENVIRONMENTS, imageDigests: { 'postgres:16': DIGEST_1 } });
  });
  afterAll(async () => {
    await f?.close();
  });

  const card = async (d: Deployment) => {
    const approval = await f.service.approvals(d.id);
    if (!approval.ok) throw new Error(approval.reason);
    return renderCardText((await f.service.getDeployment(d.id))!, { now: new Date(), mention: (id) => id, approval });
  };
  const approvedDb = async () => {
    const d = await f.request(command.deploy('production', { services: ['db'] }), asking(alice));
    expect(await f.service.approve(d.id, bob)).toMatchObject({ ok: true, outcome: 'approved' });
    return d;
  };
  const rolledOut = (id: number) => f.target.rollouts.filter((r) => r.deploymentId === id).map((r) => r.image);

  it('records the digest the tag names when the deploy waits for approval, and the card shows it; a deploy without approval asks nothing', async () => {
    const asked = f.images.asked.length;
    const staging = await f.request(command.deploy('staging', { services: ['db'] }));
    expect(f.images.asked).toHaveLength(asked);
    expect(staging.deploymentSet?.services[0]).toMatchObject({ image: 'postgres:16' });

    const d = await f.request(command.deploy('production', { services: ['db'] }), asking(alice));
    expect(d.status).toBe('AWAITING_APPROVAL');
    expect(f.images.asked.slice(asked)).toEqual(['postgres:16']);
    expect(d.deploymentSet?.services[0]).toMatchObject({ version: 'postgres:16', image: `postgres:16@${DIGEST_1}`, imageCheck: { status: 'resolved', digest: DIGEST_1 } });
    expect(await card(d)).toContain(`Images: db postgres:16 → sha256:${'1'.repeat(12)}`);
    await f.service.cancel({ kind: 'deployment', id: d.id }, alice);
  });

  it('the tag moved between approval and start: the votes reset saying which digest, and it runs the one approved again', async () => {
    const d = await approvedDb();
    f.images.tags.set('postgres:16', DIGEST_2);
    expect(await f.approvalHolds(d.id)).toBe(false);
    expect(await f.service.getDeployment(d.id)).toMatchObject({ status: 'AWAITING_APPROVAL', startedAt: null });
    const approval = await f.service.approvals(d.id);
    expect(approval).toMatchObject({ ok: true, approved: false, rules: [{ voters: [], met: false }] });
    const reason = `what it would run changed since it was approved: db: image postgres:16 now sha256:${'2'.repeat(12)} (was sha256:${'1'.repeat(12)})`;
    expect(approval.ok && approval.history.at(-1)).toMatchObject({ step: 'reset', actor: null, reason });
    expect(await card(d)).toContain(`Votes reset: ${reason}`);

    // Approved again for the digest the tag names now, it runs by that digest, even if the tag moves once more.
    expect(await f.service.approve(d.id, bob)).toMatchObject({ ok: true, outcome: 'approved' });
    expect(await f.approvalHolds(d.id)).toBe(true);
    f.images.tags.set('postgres:16', DIGEST_1);
    expect(await f.run(d.id)).toMatchObject({ status: 'DEPLOYED', services: [{ name: 'db', status: 'DEPLOYED', version: 'postgres:16' }] });
    expect(rolledOut(d.id)).toEqual([`postgres:16@${DIGEST_2}`]);
  });

  it('the tag names the same digest at start: it starts as approved, by that digest', async () => {
    f.images.tags.set('postgres:16', DIGEST_1);
    const d = await approvedDb();
    expect(await f.approvalHolds(d.id)).toBe(true);
    expect(await f.service.approvals(d.id)).toMatchObject({ ok: true, approved: true });
    expect(await f.run(d.id)).toMatchObject({ status: 'DEPLOYED' });
    expect(rolledOut(d.id)).toEqual([`postgres:16@${DIGEST_1}`]);
  });

  it('another image in hoist.yaml by the start: the reset names the version, and the new image is bound to its own digest', async () => {
    f.images.tags.set('postgres:16', DIGEST_1);
    f.images.tags.set('postgres:17', DIGEST_3);
    const d = await approvedDb();
    const changed = shopConfig(f.repo.dir, ENVIRONMENTS, { db: '{ type: database, image: postgres:17 }' });
    expect(await f.approvalHolds(d.id, changed)).toBe(false);
    const approval = await f.service.approvals(d.id);
    const reason = approval.ok ? approval.history.at(-1)?.reason : null;
    expect(reason).toContain('services[db].version: "postgres:16" → "postgres:17"');
    expect(reason).not.toContain('(was sha256:');
    expect((await f.service.getDeployment(d.id))?.deploymentSet?.services[0]).toMatchObject({ image: `postgres:17@${DIGEST_3}`, imageCheck: { status: 'resolved', digest: DIGEST_3 } });
    await f.service.cancel({ kind: 'deployment', id: d.id }, alice);
  });

  it('a registry that cannot be asked: the card says the image was not checked, and nothing resets for it at start', async () => {
    f.images.unreachable = 'registry-1.docker.io could not be asked: ENOTFOUND';
    const unchecked = await f.request(command.deploy('production', { services: ['db'] }), asking(alice));
    expect(unchecked.deploymentSet?.services[0]).toMatchObject({ image: 'postgres:16', imageCheck: { status: 'unchecked', reason: 'registry-1.docker.io could not be asked: ENOTFOUND' } });
    expect(await card(unchecked)).toContain('Images: db postgres:16 (image not checked: registry-1.docker.io could not be asked: ENOTFOUND)');
    expect(await f.service.approve(unchecked.id, bob)).toMatchObject({ outcome: 'approved' });
    // Approved unchecked, it runs the tag as approved, whatever the registry answers by then.
    f.images.unreachable = null;
    expect(await f.approvalHolds(unchecked.id)).toBe(true);
    expect(await f.run(unchecked.id)).toMatchObject({ status: 'DEPLOYED' });
    expect(rolledOut(unchecked.id)).toEqual(['postgres:16']);

    // Checked at request time and not at start: it runs by the digest approved.
    const checked = await approvedDb();
    f.images.unreachable = 'registry-1.docker.io could not be asked: ENOTFOUND';
    expect(await f.approvalHolds(checked.id)).toBe(true);
    expect(await f.run(checked.id)).toMatchObject({ status: 'DEPLOYED' });
    expect(rolledOut(checked.id)).toEqual([`postgres:16@${DIGEST_1}`]);
    f.images.unreachable = null;
  });
});
