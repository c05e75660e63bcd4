import type { IngressSpec } from '../domain/public-url.ts';
import type { ServiceType } from '../domain/service-order.ts';
import type { EnvironmentFileConfig, TargetConfig } from './hoist-schema.ts';

type Fail = (path: readonly PropertyKey[], message: string) => never;

/** What an environment's `expose` gives its services: host ports (docker) and host names served by an Ingress (kubernetes). */
export interface Exposed {
  ports: Record<string, number>;
  ingress: Record<string, IngressSpec>;
}

/** Services that answer HTTP through a Deployment: what an Ingress can route to. */
const BEHIND_INGRESS: readonly ServiceType[] = ['application', 'container'];

/**
 * Checks each `expose` entry against the service and the environment's target: a host port
 * only on a docker target, a host name only on a kubernetes target (each refusal says which
 * form works there), `tls` only with the target's `ingress.clusterIssuer`, and a host served
 * by one service only.
 */
export function exposedOf(
  expose: EnvironmentFileConfig['expose'],
  target: TargetConfig,
  targetName: string,
  services: readonly { name: string; type: ServiceType; port: number | null }[],
  app: string,
  path: readonly PropertyKey[],
  fail: Fail,
): Exposed {
  const exposed: Exposed = { ports: {}, ingress: {} };
  const hosts = new Map<string, string>();
  for (const [key, value] of Object.entries(expose)) {
    const at = [...path, 'expose', key];
    const service = services.find((s) => s.name === key);
    if (!service) fail(at, `no service "${key}" in app ${app}`);
    if (service.port === null) fail(at, `service "${key}" has no \`port\` to expose`);
    if (typeof value === 'number') {
      if (target.kind !== 'docker') {
        fail(at, `target "${targetName}" is a kubernetes cluster: a host port is for a docker target; give the service a host name served by an Ingress, such as \`${key}: { host: ${key}.example.com, tls: true }\``);
      }
      exposed.ports[key] = value;
      continue;
    }
    if (target.kind !== 'kubernetes') {
      fail(at, `target "${targetName}" is a docker engine: a host name needs a kubernetes target (an Ingress serves it); on docker write the host port, such as \`${key}: 8080\``);
    }
    if (!BEHIND_INGRESS.includes(service.type)) {
      fail(at, `service "${key}" is a ${service.type}: only an application or a container is served through an Ingress`);
    }
    const clusterIssuer = target.ingress?.clusterIssuer ?? null;
    if (value.tls && clusterIssuer === null) {
      fail([...at, 'tls'], `tls needs a certificate: set \`ingress: { clusterIssuer: <name> }\` on target "${targetName}" (cert-manager's ClusterIssuer that issues it), or write \`tls: false\``);
    }
    const other = hosts.get(value.host);
    if (other !== undefined) fail([...at, 'host'], `host ${value.host} is already served by service "${other}"; give each service a host of its own`);
    hosts.set(value.host, key);
    exposed.ingress[key] = { host: value.host, tls: value.tls, className: target.ingress?.className ?? null, clusterIssuer: value.tls ? clusterIssuer : null };
  }
  return exposed;
}
