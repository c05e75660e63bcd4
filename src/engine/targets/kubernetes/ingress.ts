import type { V1Ingress, V1ObjectMeta } from '@kubernetes/client-node';
import { tlsSecretName, type IngressSpec } from '../../../domain/public-url.ts';
import type { Certificate } from './client.ts';

/** The annotation cert-manager's ingress-shim reads: which ClusterIssuer issues the Ingress's certificates. */
export const CLUSTER_ISSUER_ANNOTATION = 'cert-manager.io/cluster-issuer';

/**
 * The Ingress serving a service at its host: every path to the service's port, the class
 * named by the target, and for tls a `tls` entry whose Secret cert-manager fills (its
 * ingress-shim makes a Certificate of that name for the annotated Ingress).
 */
export function renderIngress(service: string, port: number, ingress: IngressSpec, metadata: V1ObjectMeta): V1Ingress {
  const annotations = { ...metadata.annotations, ...(ingress.tls && ingress.clusterIssuer !== null ? { [CLUSTER_ISSUER_ANNOTATION]: ingress.clusterIssuer } : {}) };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { ...metadata, annotations },
    spec: {
      ...(ingress.className === null ? {} : { ingressClassName: ingress.className }),
      ...(ingress.tls ? { tls: [{ hosts: [ingress.host], secretName: tlsSecretName(service) }] } : {}),
      rules: [
        {
          host: ingress.host,
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: port } } } }] },
        },
      ],
    },
  };
}

/** The address the load balancer gave the Ingress (an IP or a host name); null until it has one. */
export function ingressAddress(ingress: V1Ingress | undefined): string | null {
  return ingressAddresses(ingress)[0] ?? null;
}

/** Every address in the Ingress's status (IPs and host names). */
export function ingressAddresses(ingress: V1Ingress | undefined): string[] {
  return (ingress?.status?.loadBalancer?.ingress ?? []).flatMap((entry) => {
    const address = entry.ip ?? entry.hostname;
    return address ? [address] : [];
  });
}

export type CertificateState = { ready: true } | { ready: false; said: string };

/**
 * Whether cert-manager's Certificate for the host is Ready for what was applied: it names the
 * host, and its Ready condition is True for its current generation (a changed host makes
 * cert-manager issue again, and a Ready of the old one does not count).
 */
export function certificateState(certificate: Certificate | undefined, host: string): CertificateState {
  if (certificate === undefined) return { ready: false, said: 'no Certificate yet (is cert-manager installed?)' };
  if (!(certificate.spec?.dnsNames ?? []).includes(host)) return { ready: false, said: `the Certificate does not name ${host} yet` };
  const ready = (certificate.status?.conditions ?? []).find((c) => c.type === 'Ready');
  if (ready === undefined) return { ready: false, said: 'the Certificate has no Ready condition yet' };
  const generation = certificate.metadata?.generation ?? 0;
  const current = ready.observedGeneration === undefined || ready.observedGeneration >= generation;
  if (ready.status === 'True' && current) return { ready: true };
  const why = [ready.reason, ready.message].filter(Boolean).join(': ');
  return { ready: false, said: `Certificate not Ready${why ? ` (${why})` : ''}` };
}
