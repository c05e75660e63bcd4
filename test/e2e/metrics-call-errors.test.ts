import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '../fakes/kube-api/index.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { eventually, randomName, REGISTRY, startTestHoist, type TestHoist } from '../support/hoist-harness.ts';
import { scrape, seriesOf } from '../support/prometheus-text.ts';

const TOKEN = 'xoxb-metrics-calls';
const CHANNEL = 'C0METRICS';

/**
 * Failed calls to Slack and to a Kubernetes API server, made to fail on purpose by the fakes,
 * counted in `hoist_call_errors_total` by peer and kind: each attempt of a retried call.
 */
describe('metrics: failed calls to Slack and Kubernetes, by kind', () => {
  const app = randomName('mcalls');
  let kube: FakeKube;
  let slack: FakeSlack;
  let hoist: TestHoist;
  let dir: string;

  beforeAll(async () => {
    kube = await startFakeKube({ tickMs: 20 });
    dir = mkdtempSync(join(tmpdir(), 'hoist-metrics-calls-'));
    writeFileSync(join(dir, 'kubeconfig'), kube.kubeconfig({ context: 'fake' }));
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    hoist = await startTestHoist({
      yaml: `targets:
  cluster: { kind: kubernetes, context: fake }
registry: { url: ${REGISTRY} }
apps:
  ${app}:
    repo: .
    channels: [${CHANNEL}]
    services:
      web: { type: container, image: "example.com/web:1", port: 8080 }
    environments:
      staging: { target: cluster }
`,
      slack: { apiUrl: slack.url, token: TOKEN, signingSecret: 'metrics-calls-secret' },
      env: { KUBECONFIG: join(dir, 'kubeconfig') },
    });
  });

  afterAll(async () => {
    await hoist?.stop();
    await slack?.close();
    await kube?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const callErrors = async () => {
    const all = seriesOf((await scrape(`${hoist.baseUrl}/metrics`)).families, 'hoist_call_errors_total');
    return Object.fromEntries(Object.entries(all).filter(([, n]) => n > 0));
  };

  it('counts throttled and failed applies, and Slack refusing a card, exactly as often as the peers answered so', async () => {
    expect(await callErrors()).toEqual({});
    // The first two applies of the Deployment are throttled, the third fails; the fourth goes through.
    kube.faults.failNext(2, 429, { method: 'PATCH', path: /\/deployments\// });
    kube.faults.failNext(1, 503, { method: 'PATCH', path: /\/deployments\// });
    // Slack refuses the card once; the chat tries again and it is posted.
    slack.failNext('chat.postMessage', 'channel_not_found');

    const res = await hoist.api(`/apps/${app}/environments/staging/deployments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'deploy' }) });
    expect(res.status).toBe(202);
    const id = ((await res.json()) as { deployment: { id: number } }).deployment.id;
    await eventually(async () => ((await (await hoist.api(`/deployments/${id}`)).json()) as { status: string }).status === 'DEPLOYED', 60_000, `#${id} deployed`);
    await slack.waitFor((s) => s.messages.find((m) => m.channel === CHANNEL && m.threadTs === null && m.text.includes(`#${id}`)), 20_000);

    const refused = slack.calls.filter((c) => c.response.ok === false).length;
    expect(refused).toBe(1);
    const throttled = kube.requests.filter((r) => r.status === 429).length;
    const failed = kube.requests.filter((r) => r.status === 503).length;
    expect([throttled, failed]).toEqual([2, 1]);
    expect(await callErrors()).toEqual({
      'kind=rate_limited,system=kubernetes': 2,
      'kind=server_error,system=kubernetes': 1,
      'kind=rejected,system=slack': 1,
    });
  });
});
