import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig, type EnvironmentConfig } from '../../../src/config/hoist-config.ts';
import type { Outcome, Target } from '../../../src/engine/ports.ts';
import { placementOf } from '../../../src/engine/service-spec.ts';
import { createKubernetesTarget } from '../../../src/engine/targets/kubernetes/index.ts';
import { startFakeKube, type FakeKube } from '../../fakes/kube-api/index.ts';
import { serviceSpec } from '../target-spec.ts';

/*
 * A service exposed by host name on the Kubernetes target, against the fake API server and its
 * ingress controller and cert-manager: the Ingress applied once the Deployment is ready, its
 * address and certificate waited for, and put back when that fails.
 */

const config = parseHoistConfig(
  `
targets:
  k8s: { kind: kubernetes, context: fake, ingress: { className: nginx, clusterIssuer: letsencrypt } }
apps:
  shop:
    repo: https://git.example.com/shop.git
    services:
      web: { type: application, build: { context: . }, port: 8080 }
    environments:
      tls: { target: k8s, expose: { web: { host: shop.example.com, tls: true } } }
      held: { target: k8s, expose: { web: { host: held.example.com, tls: true } } }
      plain: { target: k8s, expose: { web: { host: plain.example.com } } }
`,
  '/virtual/hoist.yaml',
);
const env = (name: string, namespace = `shop-${name}`): EnvironmentConfig => ({ ...config.apps.get('shop')!.environments.get(name)!, namespace });

let fake: FakeKube;
let target: Target;
let workdir: string;
let nextId = 500;

beforeAll(async () => {
  fake = await startFakeKube({ timeScale: 10, tickMs: 10, podReadySeconds: 1, ingress: { addressSeconds: 1, certificateSeconds: 3 } });
  fake.faults.holdCertificates('held.example.com');
  workdir = mkdtempSync(join(tmpdir(), 'hoist-ingress-'));
  writeFileSync(join(workdir, 'kubeconfig'), fake.kubeconfig({ context: 'fake' }));
  target = createKubernetesTarget({
    kubeconfigPath: join(workdir, 'kubeconfig'),
    context: 'fake',
    timing: { progressDeadlineSeconds: 10, rolloutTimeoutMs: 20_000, undoTimeoutMs: 20_000, ingressTimeoutMs: 2_000, retry: { tries: 6, budgetMs: 8_000, baseDelayMs: 20 } },
  });
});

afterAll(async () => {
  expect(fake?.errors ?? []).toEqual([]);
  await fake?.close();
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

async function roll(e: EnvironmentConfig, tag: string): Promise<{ outcome: Outcome<{ manifests?: unknown[] }>; lines: string[] }> {
  const image = `reg.test/shop-web:${tag}`;
  const lines: string[] = [];
  const outcome = await target.rollout({
    deploymentId: nextId++,
    placement: placementOf(e),
    service: serviceSpec(e, 'web', { version: tag, image }),
    image,
    version: tag,
    signal: new AbortController().signal,
    log: (line) => lines.push(line),
  });
  return { outcome, lines };
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the fake's objects are plain JSON */
describe('a service exposed by host name', () => {
  it('gets an Ingress with its class, issuer and tls Secret, waited for until it has an address and its Certificate is Ready', async () => {
    const { outcome, lines } = await roll(env('tls'), 'v1');
    expect(outcome, lines.join('\n')).toMatchObject({ ok: true });
    const ingress = fake.get('Ingress', 'shop-tls', 'web');
    expect(ingress.spec).toMatchObject({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['shop.example.com'], secretName: 'web-tls' }],
      rules: [{ host: 'shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 8080 } } } }] } }],
    });
    expect(ingress.metadata.annotations['cert-manager.io/cluster-issuer']).toBe('letsencrypt');
    expect(ingress.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/managed-by': 'hoist' });
    const address = ingress.status.loadBalancer.ingress[0].ip as string;
    expect(address).toMatch(/^203\.0\.113\.\d+$/);
    const certificate = fake.get('Certificate', 'shop-tls', 'web-tls');
    expect(certificate.spec).toMatchObject({ dnsNames: ['shop.example.com'], secretName: 'web-tls', issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer' } });
    expect(certificate.status.conditions.find((c: any) => c.type === 'Ready').status).toBe('True');
    expect(fake.get('Secret', 'shop-tls', 'web-tls')?.type).toBe('kubernetes.io/tls');
    // Waited for, and said: first the address, then the certificate, which takes longer.
    expect(lines).toContain(`ingress web has address ${address}; certificate web-tls: Certificate not Ready (DoesNotExist: Issuing certificate as Secret does not exist)`);
    expect(lines.at(-1)).toBe(`ingress web serves shop.example.com at ${address}; certificate web-tls is Ready`);
    // Recorded with the service's other manifests, applied after the Deployment.
    const kinds = (outcome as { manifests: { kind: string }[] }).manifests.map((m) => m.kind);
    expect(kinds).toEqual(['Service', 'Deployment', 'Ingress']);
    const applies = fake.requests.filter((r) => r.method === 'PATCH' && r.path.startsWith('/apis/') && r.path.includes('/namespaces/shop-tls/')).map((r) => r.path);
    expect(applies.at(-1)).toBe('/apis/networking.k8s.io/v1/namespaces/shop-tls/ingresses/web');
  });

  it('serves a host without tls: no annotation, no Certificate, done at the address', async () => {
    const { outcome, lines } = await roll(env('plain'), 'v1');
    expect(outcome, lines.join('\n')).toMatchObject({ ok: true });
    const ingress = fake.get('Ingress', 'shop-plain', 'web');
    expect(ingress.spec.tls).toBeUndefined();
    expect(ingress.metadata.annotations['cert-manager.io/cluster-issuer']).toBeUndefined();
    expect(fake.list('Certificate', 'shop-plain')).toEqual([]);
    expect(lines.at(-1)).toMatch(/^ingress web serves plain\.example\.com at 203\.0\.113\.\d+$/);
  });

  it('fails with the reason when the certificate is never Ready, and a first rollout leaves nothing behind', async () => {
    const { outcome, lines } = await roll(env('held'), 'v1');
    expect(outcome.ok, lines.join('\n')).toBe(false);
    expect((outcome as { reason: string }).reason).toMatch(
      /^ingress "web" for held\.example\.com was not ready within 2 s \(ingress web has address 203\.0\.113\.\d+; certificate web-tls: Certificate not Ready \(DoesNotExist: Issuing certificate as Secret does not exist\)\)$/,
    );
    expect(lines).toContain('removed ingress shop-held/web: it did not exist before');
    await fake.waitFor(() => fake.get('Ingress', 'shop-held', 'web') === undefined && fake.get('Deployment', 'shop-held', 'web') === undefined);
  });

  it('fails when no ingress controller serves its class, and puts the Ingress that was there back', async () => {
    // The same namespace served first by a class that works, then moved to one nobody serves.
    const first = await roll(env('plain', 'shop-moved'), 'v1');
    expect(first.outcome, first.lines.join('\n')).toMatchObject({ ok: true });
    const moved = env('plain', 'shop-moved');
    const { outcome, lines } = await roll({ ...moved, ingress: { web: { host: 'unserved.example.com', tls: false, className: 'traefik', clusterIssuer: null } } }, 'v2');
    expect((outcome as { reason: string }).reason).toBe(
      'ingress "web" for unserved.example.com was not ready within 2 s (ingress web: waiting for the load balancer to give it an address)',
    );
    expect(lines).toContain('restored ingress shop-moved/web as it was before');
    const restored = fake.get('Ingress', 'shop-moved', 'web');
    expect(restored.spec.ingressClassName).toBe('nginx');
    expect(restored.spec.rules[0].host).toBe('plain.example.com');
    expect(fake.get('Deployment', 'shop-moved', 'web').spec.template.spec.containers[0].image).toBe('reg.test/shop-web:v1');
  });

  it('deletes its Ingress once the service is no longer exposed, and `remove` deletes it too', async () => {
    const exposed = await roll(env('plain', 'shop-unexposed'), 'v1');
    expect(exposed.outcome).toMatchObject({ ok: true });
    const { outcome, lines } = await roll({ ...env('plain', 'shop-unexposed'), ingress: {} }, 'v2');
    expect(outcome).toMatchObject({ ok: true });
    expect(lines).toContain('deleted ingress shop-unexposed/web: the service is no longer exposed by host name');
    expect(fake.get('Ingress', 'shop-unexposed', 'web')).toBeUndefined();

    await roll(env('plain', 'shop-removed'), 'v1');
    expect(fake.get('Ingress', 'shop-removed', 'web')).toBeDefined();
    const removed = await target.remove({ deploymentId: nextId++, placement: placementOf(env('plain', 'shop-removed')), service: serviceSpec(env('plain'), 'web'), signal: new AbortController().signal, log: () => undefined });
    expect(removed).toMatchObject({ ok: true });
    expect(fake.get('Ingress', 'shop-removed', 'web')).toBeUndefined();
  });

  it('`destroy` deletes the Ingress first, then the workload and its Service', async () => {
    await roll(env('plain', 'shop-destroyed'), 'v1');
    expect(fake.get('Ingress', 'shop-destroyed', 'web')).toBeDefined();
    const lines: string[] = [];
    const request = { deploymentId: nextId++, placement: placementOf(env('plain', 'shop-destroyed')), service: serviceSpec(env('plain'), 'web'), signal: new AbortController().signal };
    const destroyed = await target.destroy({ ...request, log: (line) => lines.push(line) });
    expect(destroyed).toEqual({ ok: true, removed: ['ingress web', 'deployment web', 'service web'] });
    expect(lines[0]).toBe('deleted ingress shop-destroyed/web');
    expect(fake.get('Ingress', 'shop-destroyed', 'web')).toBeUndefined();
  });
});
