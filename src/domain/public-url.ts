/**
 * Where a service answers from outside: on a `docker` target the host port it is published
 * on (`expose: { web: 8080 }`), on a `kubernetes` target a host name served by an Ingress
 * (`expose: { web: { host: shop.example.com, tls: true } }`), its certificate issued by
 * cert-manager's ClusterIssuer when `tls`.
 */

/** What an Ingress for a service is rendered from: its host, and the target's ingress class and issuer. */
export interface IngressSpec {
  host: string;
  tls: boolean;
  /** `spec.ingressClassName`; null: the cluster's default class. */
  className: string | null;
  /** cert-manager's ClusterIssuer (the `cert-manager.io/cluster-issuer` annotation); null without tls. */
  clusterIssuer: string | null;
}

/** A host name as an Ingress rule takes it: a lowercase DNS name with at least one dot, no port, no wildcard. */
export const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;

/** The Secret cert-manager writes the host's certificate into (and names its Certificate after). */
export function tlsSecretName(service: string): string {
  return `${service}-tls`;
}

export function ingressUrl(ingress: Pick<IngressSpec, 'host' | 'tls'>): string {
  return `${ingress.tls ? 'https' : 'http'}://${ingress.host}`;
}

/**
 * The URL of a host port on a `docker` target: the target publishes on the engine's loopback,
 * so it is known only when the engine is local (no host, or a unix socket); null otherwise.
 */
export function hostPortUrl(target: { kind: string; host?: string | undefined }, port: number): string | null {
  if (target.kind !== 'docker') return null;
  if (target.host !== undefined && target.host !== '' && !target.host.startsWith('unix://')) return null;
  return `http://127.0.0.1:${port}`;
}

/** A service's public URL from what its spec exposes; null when it exposes nothing (or the address is not Hoist's to know). */
export function serviceUrl(target: { kind: string; host?: string | undefined }, exposed: { expose: number | null; ingress?: IngressSpec | null }): string | null {
  if (exposed.ingress) return ingressUrl(exposed.ingress);
  return exposed.expose === null ? null : hostPortUrl(target, exposed.expose);
}
