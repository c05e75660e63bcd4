import { compileErrors, validate } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { removeAppContainers } from '../support/containers.ts';
import { appYaml, eventually, freePort, randomName, startTestHoist, webAppFiles, type TestHoist } from '../support/hoist-harness.ts';
import { expectMatchesDocument, servedDocument } from '../support/openapi-check.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

const SECRET = 'e2e-webhook-s3cret';
/** May read every app: not redeliver. */
const READER = `hoist_${'r3'.repeat(18)}`;
/** May deploy, but only another app. */
const OTHER = `hoist_${'07'.repeat(18)}`;

/** A whole Hoist deploying to the container engine tells a webhook receiver, which checks every request as a real one would. */
describe('webhooks end to end', () => {
  const app = randomName('hook');
  let hoist: TestHoist;
  let repo: GitFixture;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let doc: unknown;
  /** Hoist's log lines, as written. */
  const logged: string[] = [];

  beforeAll(async () => {
    repo = createGitFixture('hoist-webhooks');
    repo.commit('v1', webAppFiles('hooked v1'));
    // The first `started` is answered 500: the retry (a second later) gets through.
    receiver = await startWebhookReceiver({ '/hook': { secret: SECRET, answer: (n) => ({ status: n === 1 ? 500 : 200 }) } });
    const yaml = appYaml({ app, repo: repo.dir, port: await freePort() }).replace(
      '    services:\n',
      `    webhooks:\n      - { url: "${receiver.url('/hook')}", events: [started, succeeded, failed], secretEnv: HOOK_SECRET }\n    services:\n`,
    );
    hoist = await startTestHoist({
      yaml,
      logger: createLogger('info', { write: (line: string) => void logged.push(line) }),
      env: { HOOK_SECRET: SECRET, HOIST_PUBLIC_URL: 'https://hoist.example.com/', HOIST_API_TOKENS: `reader:read:${READER},other:read+deploy:apps=elsewhere:${OTHER}` },
    });
    doc = await servedDocument(hoist);
  });

  afterAll(async () => {
    await hoist?.stop();
    await receiver?.close();
    await removeAppContainers(app);
    repo?.remove();
  });

  it('tells the receiver `started` then `succeeded`, signed, retried with the same delivery id; the attempts are listed and one is sent again', async () => {
    const res = await hoist.api(`/apps/${app}/environments/e2e/deployments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'deploy' }) });
    expect(res.status).toBe(202);
    const id = ((await res.json()) as { deployment: { id: number } }).deployment.id;
    await receiver.waitFor((all) => all.some((r) => r.event === 'succeeded'), 'succeeded', 120_000);

    expect(receiver.received.map((r) => [r.event, r.answered])).toEqual([['started', 500], ['started', 200], ['succeeded', 200]]);
    expect(receiver.received.every((r) => r.signed)).toBe(true);
    const [first, retry, end] = receiver.received;
    expect(retry!.deliveryId).toBe(first!.deliveryId);
    expect(end!.body.deployment).toMatchObject({ id, app, env: 'e2e', status: 'DEPLOYED' });
    expect(end!.body).toMatchObject({ deployment: { url: `https://hoist.example.com/dashboard/deployments/${id}` } });
    // The body is what the document says a receiver gets.
    const ajv = new Ajv2020({ strict: false });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    const components = (doc as { components: { schemas: Record<string, object> } }).components;
    const validPayload = ajv.compile({ $ref: '#/components/schemas/WebhookPayload', components });
    expect(receiver.received.map((r) => validPayload(r.body))).toEqual([true, true, true]);
    expect((doc as { webhooks: Record<string, unknown> }).webhooks).toHaveProperty('deploymentEvent.post');
    const checked = await validate(structuredClone(doc) as never);
    expect(checked.valid ? 'valid' : compileErrors(checked)).toBe('valid');

    type Listed = { deliveries: { id: string; event: string; state: string; url: string; attempts: { statusCode: number; outcome: string }[] }[] };
    // The receiver has answered; Hoist records the attempt right after.
    const body = await eventually(async () => {
      const listed = await hoist.api(`/deployments/${id}/webhooks`);
      const json = (await listed.json()) as Listed;
      expectMatchesDocument(doc, 'GET', '/api/v1/deployments/{id}/webhooks', listed.status, json);
      return json.deliveries.every((d) => d.state !== 'pending') ? json : null;
    }, 10_000, 'the deliveries to be recorded');
    expect(body.deliveries.map((d) => [d.event, d.state, d.attempts.map((a) => [a.statusCode, a.outcome])])).toEqual([
      ['started', 'delivered', [[500, 'retry'], [200, 'delivered']]],
      ['succeeded', 'delivered', [[200, 'delivered']]],
    ]);
    expect(body.deliveries[0]!.id).toBe(first!.deliveryId);

    const redeliver = (delivery: string) => hoist.api(`/deployments/${id}/webhooks/${delivery}/redeliver`, { method: 'POST' });
    const again = await redeliver(end!.deliveryId!);
    const answer = await again.json();
    expectMatchesDocument(doc, 'POST', '/api/v1/deployments/{id}/webhooks/{delivery}/redeliver', again.status, answer);
    expect(answer).toMatchObject({ outcome: 'delivered', attempt: { statusCode: 200, redelivery: true }, delivery: { id: end!.deliveryId } });
    expect(receiver.received.at(-1)).toMatchObject({ event: 'succeeded', deliveryId: end!.deliveryId, signed: true });

    // A repeat with the same key sends nothing again.
    const keyed = (key: string) => hoist.api(`/deployments/${id}/webhooks/${end!.deliveryId}/redeliver`, { method: 'POST', headers: { 'idempotency-key': key } });
    expect(((await (await keyed('redo-1')).json()) as { outcome: string }).outcome).toBe('delivered');
    const sent = receiver.received.length;
    expect(((await (await keyed('redo-1')).json()) as { outcome: string }).outcome).toBe('duplicate');
    expect(receiver.received).toHaveLength(sent);

    // Reading takes `read` on the app; sending again takes `deploy`.
    const as = (secret: string, path: string, method = 'GET') => fetch(`${hoist.baseUrl}/api/v1${path}`, { method, headers: { authorization: `Bearer ${secret}` } });
    expect((await as(READER, `/deployments/${id}/webhooks`)).status).toBe(200);
    expect((await as(OTHER, `/deployments/${id}/webhooks`)).status).toBe(403);
    const lacking = await as(READER, `/deployments/${id}/webhooks/${end!.deliveryId}/redeliver`, 'POST');
    expect([lacking.status, ((await lacking.json()) as { error: { message: string } }).error.message]).toEqual([403, 'token "reader" lacks the "deploy" scope (it has read)']);
    expect(receiver.received).toHaveLength(sent);

    // The failed first attempt is logged (the receiver masked as the API shows it); the secret never is.
    expect(logged.some((line) => line.includes('event delivery failed; will retry') && line.includes('the receiver answered 500'))).toBe(true);
    expect(logged.filter((line) => line.includes(SECRET))).toEqual([]);

    const unknown = await redeliver('not-a-delivery');
    const refusal = (await unknown.json()) as { error: { code: string; message: string } };
    expectMatchesDocument(doc, 'POST', '/api/v1/deployments/{id}/webhooks/{delivery}/redeliver', unknown.status, refusal);
    expect([unknown.status, refusal.error.code]).toEqual([404, 'NOT_FOUND']);
    expect(refusal.error.message).toContain('has no webhook delivery not-a-delivery');
  }, 180_000);

  it('refuses to start without the secret a webhook names', async () => {
    const yaml = appYaml({ app: 'nosecret', repo: repo.dir, port: await freePort() }).replace(
      '    services:\n',
      '    webhooks:\n      - { url: "https://user:pw@ci.example.com/in", events: [failed], secretEnv: MISSING_HOOK_SECRET }\n    services:\n',
    );
    await expect(startTestHoist({ yaml })).rejects.toThrow(
      /apps\.nosecret\.webhooks\.0\.secretEnv: MISSING_HOOK_SECRET is not set \(or is empty\): the webhook of app nosecret to https:\/\/\[redacted\]@ci\.example\.com\/in/,
    );
  });
});
