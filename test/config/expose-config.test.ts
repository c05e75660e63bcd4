import { describe, expect, it } from 'vitest';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';
import { renderSpec } from '../../src/engine/service-spec.ts';
import { errorOf } from './config-refusal.ts';

/** A configuration with one environment on each target; `edge` and `cluster` lines are replaced per case. */
function yaml(options: { cluster?: string; dockerExpose?: string; clusterExpose?: string }): string {
  return `targets:
  edge: { kind: docker }
  cluster: ${options.cluster ?? '{ kind: kubernetes, context: prod, ingress: { className: nginx, clusterIssuer: letsencrypt } }'}
apps:
  shop:
    repo: https://github.com/acme/shop.git
    services:
      db:     { type: database, image: "postgres:16", port: 5432 }
      web:    { type: application, build: { context: . }, port: 8080 }
      admin:  { type: container, image: "nginx:1", port: 80 }
      worker: { type: container, image: "busybox:1" }
    environments:
      local:      { target: edge, expose: ${options.dockerExpose ?? '{}'} }
      production: { target: cluster, expose: ${options.clusterExpose ?? '{}'} }
`;
}

describe('expose: a host port on docker, a host name on kubernetes', () => {
  it('reads both forms and renders each service its Ingress and URL', () => {
    const config = parseHoistConfig(
      yaml({ dockerExpose: '{ web: 8080 }', clusterExpose: '{ web: { host: shop.example.com, tls: true }, admin: { host: admin.example.com } }' }),
      '/etc/hoist.yaml',
    );
    const shop = config.apps.get('shop')!;
    const local = shop.environments.get('local')!;
    const production = shop.environments.get('production')!;
    expect(local.expose).toEqual({ web: 8080 });
    expect(local.ingress).toEqual({});
    expect(production.expose).toEqual({});
    expect(production.ingress).toEqual({
      web: { host: 'shop.example.com', tls: true, className: 'nginx', clusterIssuer: 'letsencrypt' },
      admin: { host: 'admin.example.com', tls: false, className: 'nginx', clusterIssuer: null },
    });
    const spec = (env: typeof local, name: string) => renderSpec(env, env.services.find((s) => s.name === name)!, { version: 'v1', image: 'i' });
    expect(spec(local, 'web')).toMatchObject({ expose: 8080, url: 'http://127.0.0.1:8080' });
    expect(spec(local, 'web').ingress).toBeUndefined();
    expect(spec(production, 'web')).toMatchObject({ expose: null, url: 'https://shop.example.com', ingress: { host: 'shop.example.com', tls: true } });
    expect(spec(production, 'admin').url).toBe('http://admin.example.com');
    // Not exposed: neither key, so a set recorded before URLs existed reads the same.
    expect('url' in spec(production, 'db') || 'ingress' in spec(production, 'db')).toBe(false);
  });

  it('refuses a host name on a docker target, saying to write the port', () => {
    expect(errorOf(yaml({ dockerExpose: '{ web: { host: shop.example.com } }' }))).toMatch(
      /hoist\.yaml:\d+: apps\.shop\.environments\.local\.expose\.web: target "edge" is a docker engine: a host name needs a kubernetes target .*write the host port, such as `web: 8080`/,
    );
  });

  it('refuses a host port on a kubernetes target, saying to give a host name', () => {
    expect(errorOf(yaml({ clusterExpose: '{ web: 8080 }' }))).toMatch(
      /apps\.shop\.environments\.production\.expose\.web: target "cluster" is a kubernetes cluster: a host port is for a docker target; .*`web: \{ host: web\.example\.com, tls: true \}`/,
    );
  });

  it('refuses tls without a ClusterIssuer on the target, and accepts it without tls', () => {
    const noIssuer = '{ kind: kubernetes, ingress: { className: nginx } }';
    expect(errorOf(yaml({ cluster: noIssuer, clusterExpose: '{ web: { host: shop.example.com, tls: true } }' }))).toMatch(
      /production\.expose\.web\.tls: tls needs a certificate: set `ingress: \{ clusterIssuer: <name> \}` on target "cluster"/,
    );
    const config = parseHoistConfig(yaml({ cluster: '{ kind: kubernetes }', clusterExpose: '{ web: { host: shop.example.com } }' }), '/etc/hoist.yaml');
    expect(config.apps.get('shop')!.environments.get('production')!.ingress.web).toEqual({ host: 'shop.example.com', tls: false, className: null, clusterIssuer: null });
  });

  it('refuses what an Ingress cannot serve: a database, a service without a port, one host twice, a bad host name', () => {
    expect(errorOf(yaml({ clusterExpose: '{ db: { host: db.example.com } }' }))).toMatch(/expose\.db: service "db" is a database: only an application or a container is served through an Ingress/);
    expect(errorOf(yaml({ clusterExpose: '{ worker: { host: w.example.com } }' }))).toMatch(/expose\.worker: service "worker" has no `port` to expose/);
    expect(errorOf(yaml({ clusterExpose: '{ web: { host: shop.example.com }, admin: { host: shop.example.com } }' }))).toMatch(
      /expose\.admin\.host: host shop\.example\.com is already served by service "web"/,
    );
    expect(errorOf(yaml({ clusterExpose: '{ web: { host: "https://shop.example.com" } }' }))).toMatch(/expose\.web\.host: expected a host name such as shop\.example\.com/);
    expect(errorOf(yaml({ clusterExpose: '{ web: "8080" }' }))).toMatch(/expose\.web: expected a host port \(docker target\), such as 8080, or \{ host: shop\.example\.com, tls: true \} \(kubernetes target\)/);
    expect(errorOf(yaml({ cluster: '{ kind: kubernetes, ingress: { class: nginx } }' }))).toMatch(/targets\.cluster\.ingress\.class: unknown key/);
  });
});
