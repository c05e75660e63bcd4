import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/http/server.ts';
import { apiAuth } from '../support/api-auth.ts';
import { alice, asking, bob, command, openServiceFixture, type ServiceFixture } from '../service/service-fixture.ts';

describe('GET /api/v1/deployments/:id/approvals', () => {
  let f: ServiceFixture;
  let auth: Awaited<ReturnType<typeof apiAuth>>;

  beforeAll(async () => {
    f = await openServiceFixture({ environments: { production: '{ target: engine, approval: { required: 1, approvers: [U0BOB] } }' } });
    auth = await apiAuth(f.db);
  });
  afterAll(async () => {
    await f?.close();
  });

  const get = async (path: string) => {
    const res = await createHttpApp({ api: f.service, readiness: {}, logger: pino({ level: 'silent' }), authenticate: auth.authenticate }).request(path, { headers: auth.headers });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('returns the rules, their progress and the history', async () => {
    const d = await f.request(command.deploy('production'), asking(alice));
    await f.service.reject(d.id, bob, 'not now');
    const { status, body } = await get(`/api/v1/deployments/${d.id}/approvals`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      deploymentId: d.id,
      status: 'REJECTED',
      required: true,
      approved: false,
      selfApproval: false,
      expiresAt: null,
      rules: [{ approvers: ['U0BOB'], count: 1, voters: [], met: false }],
      history: [
        { step: 'requested', actor: { id: 'U0ALICE', name: 'alice' }, edge: 'slack', sha: f.firstSha },
        { step: 'rejected', actor: { id: 'U0BOB', name: 'bob' }, edge: 'slack', reason: 'not now', sha: f.firstSha },
      ],
    });
    expect(typeof (body.history as { at: unknown }[])[0]!.at).toBe('string');
  });

  it('404 for an unknown deployment, 400 for something that is not a number', async () => {
    expect(await get('/api/v1/deployments/99999/approvals')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await get('/api/v1/deployments/abc/approvals')).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
  });
});
