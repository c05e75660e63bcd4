import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitFixture, type GitFixture } from '../engine/git-fixture.ts';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github-api/index.ts';
import { startFakeKube, type FakeKube } from '../fakes/kube-api/index.ts';
import { startFakeSlack, type FakeMessage, type FakeSlack } from '../fakes/slack-api.ts';
import { signSlackRequest, slashCommandBody } from '../fakes/slack-sign.ts';
import { BASE_IMAGE, REGISTRY, eventually, randomName, startTestHoist, type TestHoist } from '../support/hoist-harness.ts';

const TOKEN = 'xoxb-urls';
const SECRET = 'urls-secret';
const CHANNEL = 'C0URLS';
const GH_TOKEN = 'ghp_publicurls000000000000000000000000000';

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON read from the fakes and the API */

describe('a public URL from Slack to the cluster: the Ingress, its address and certificate, the URL on the card, in status and the API', () => {
  const shop = randomName('ushop');
  const namespace = `${shop}-production`;
  let kube: FakeKube;
  let slack: FakeSlack;
  let hoist: TestHoist;
  let dir: string;
  let gh: FakeGitHub;
  let repo: GitFixture;

  beforeAll(async () => {
    repo = createGitFixture('hoist-urls-repo');
    repo.commit('v1', { Dockerfile: `FROM ${BASE_IMAGE}\nCMD ["/bin/busybox", "httpd", "-f", "-p", "8080"]\n` });
    gh = await startFakeGitHub({ token: GH_TOKEN });
    gh.addRepo(`acme/${shop}`, repo.dir);
    kube = await startFakeKube({ tickMs: 20, ingress: { addressSeconds: 1, certificateSeconds: 2 } });
    dir = mkdtempSync(join(tmpdir(), 'hoist-urls-'));
    writeFileSync(join(dir, 'kubeconfig'), kube.kubeconfig({ context: 'fake-cluster' }));
    slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
    hoist = await startTestHoist({
      yaml: `targets:
  cluster: { kind: kubernetes, context: fake-cluster, ingress: { className: nginx, clusterIssuer: letsencrypt } }
registry: { url: ${REGISTRY} }
apps:
  ${shop}:
    repo: ${repo.dir}
    github: acme/${shop}
    services:
      web:    { type: application, build: { context: . }, port: 8080 }
      worker: { type: container, image: "reg.example.com/shop-worker:1" }
    environments:
      production: { target: cluster, namespace: ${namespace}, expose: { web: { host: ${shop}.example.com, tls: true } } }
`,
      slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SECRET },
      env: { KUBECONFIG: join(dir, 'kubeconfig'), GITHUB_TOKEN: GH_TOKEN, GITHUB_API_URL: gh.url },
    });
  });

  afterAll(async () => {
    await hoist?.stop();
    await slack?.close();
    if (kube) expect(kube.errors).toEqual([]);
    await kube?.close();
    await gh?.close();
    repo?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function command(text: string, responseId: string): Promise<void> {
    const body = slashCommandBody({ command: '/hoist', text, userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl(responseId, { channel: CHANNEL, userId: 'U0ALICE' }) });
    const res = await fetch(`${hoist.baseUrl}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(body, SECRET) },
      body,
    });
    expect(res.status).toBe(200);
  }

  const cards = (s: FakeSlack) => s.messages.filter((m) => m.channel === CHANNEL && m.threadTs === null && /· #\d+/.test(m.text));
  const blocksOf = (m: FakeMessage) => JSON.stringify(m.blocks ?? []);

  it('deploys the service behind an Ingress, waits for its address and certificate, and shows https://<host> everywhere', async () => {
    const url = `https://${shop}.example.com`;
    await command(`deploy ${shop} to production`, 'deploy');
    const card = await slack.waitFor((s) => {
      const c = cards(s)[0];
      return c && c.text.endsWith(': DEPLOYED') ? c : null;
    }, 60_000);
    const id = Number(/#(\d+)/.exec(card.text)![1]);

    // On the cluster: the Ingress with its class, issuer and tls Secret; an address; the Certificate Ready.
    const ingress = kube.get('Ingress', namespace, 'web');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.metadata.annotations['cert-manager.io/cluster-issuer']).toBe('letsencrypt');
    expect(ingress.spec.tls).toEqual([{ hosts: [`${shop}.example.com`], secretName: 'web-tls' }]);
    const address = ingress.status.loadBalancer.ingress[0].ip;
    expect(address).toMatch(/^203\.0\.113\.\d+$/);
    expect(kube.get('Certificate', namespace, 'web-tls').status.conditions.find((c: any) => c.type === 'Ready').status).toBe('True');
    // Nothing exposes the worker (no port, no host).
    expect(kube.get('Ingress', namespace, 'worker')).toBeUndefined();

    // The card: the URL beside the service it belongs to, linked by its host.
    expect(blocksOf(card)).toContain(`<${url}|${shop}.example.com>`);
    expect(blocksOf(card)).toMatch(/\*web\* · Deployed · [^"]*<https:\/\/[^|]+\|[^>]+>/);
    // The worker's line ends at its version: nothing exposes it.
    expect(blocksOf(card)).toContain('*worker* · Deployed · `reg.example.com/shop-worker:1`\\n');

    // The deployment log says what was waited for.
    const logs = await (await hoist.api(`/deployments/${id}/logs`)).text();
    expect(logs).toContain(`ingress web serves ${shop}.example.com at ${address}; certificate web-tls is Ready`);

    // The API: the environment's service and the deployment's, and the Ingress in the set's manifests.
    const environment = (await (await hoist.api(`/apps/${shop}/environments/production`)).json()) as any;
    expect(environment.services.find((s: any) => s.name === 'web').url).toBe(url);
    expect(environment.services.find((s: any) => s.name === 'worker').url).toBeNull();
    const deployment = (await (await hoist.api(`/deployments/${id}`)).json()) as any;
    expect(Object.fromEntries(deployment.services.map((s: any) => [s.name, s.url]))).toEqual({ web: url, worker: null });
    const manifests = (await (await hoist.api(`/deployments/${id}/manifests`)).json()) as any;
    const web = manifests.set.services.find((s: any) => s.name === 'web');
    expect(web.url).toBe(url);
    expect(web.manifests.map((m: any) => m.kind)).toEqual(['Service', 'Deployment', 'Ingress']);

    // The OpenAPI document describes the field.
    const openapi = (await (await hoist.api('/openapi.json')).json()) as any;
    expect(openapi.components.schemas.Environment.properties.services.items.properties.url.description).toMatch(/Where the version it runs answers publicly/);

    // GitHub's Deployment: its success status carries the URL as environment_url.
    const mirror = await eventually(() => {
      const found = gh.deployments.find((d) => (d.payload as { hoist?: { deploymentId?: number } } | null)?.hoist?.deploymentId === id);
      return found?.statuses.at(-1)?.state === 'success' ? found : null;
    }, 30_000, 'the GitHub Deployment succeeded');
    expect(mirror.statuses.at(-1)).toMatchObject({ state: 'success', environment_url: url });

    // `/hoist status`: the URL beside the service.
    await command(`status ${shop}`, 'status');
    const answer = await slack.waitFor((s) => s.responses.find((r) => r.id === 'status'), 10_000);
    expect(JSON.stringify(answer.body)).toContain(`<${url}|${shop}.example.com>`);
  });
});
