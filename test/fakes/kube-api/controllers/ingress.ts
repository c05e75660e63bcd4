/**
 * An ingress controller (ingress-nginx, say) and cert-manager, as far as a deployer sees them.
 *
 * The ingress controller serves the IngressClasses it is given (the first is the cluster's
 * default, used by an Ingress without `ingressClassName`): `addressSeconds` of fake time after
 * an Ingress of its class appears, it writes the load balancer's address into
 * status.loadBalancer.ingress. An Ingress of a class nobody serves never gets one; one moved to
 * such a class keeps the address the old controller wrote (a controller writes the status of
 * its own class's Ingresses only, as ingress-nginx does), and one moved to another served class
 * gets that class's address.
 *
 * cert-manager's ingress-shim makes, for an Ingress annotated `cert-manager.io/cluster-issuer`,
 * a Certificate per tls entry named after its secretName (the Ingress's labels, owned by it,
 * dnsNames = the entry's hosts, issuerRef = the ClusterIssuer), and brings it up to date when the
 * Ingress changes. Its certificates controller marks a Certificate Ready (and writes the tls
 * Secret) `certificateSeconds` after its generation appeared, unless a host of it is held
 * (`hold`): then it stays Ready=False, reason DoesNotExist, as an issuer that cannot solve its
 * challenge leaves it.
 */
import type { Json, KubeObject } from '../types.ts';
import { clone, deepEqual, timestamp } from '../util.ts';
import { ownerReference, setCondition, type ControllerContext } from './common.ts';

const INGRESS_MANAGER = 'ingress-controller';
const SHIM_MANAGER = 'cert-manager-ingress-shim';
const CERTIFICATES_MANAGER = 'cert-manager-certificates';
const ISSUER_ANNOTATION = 'cert-manager.io/cluster-issuer';

export interface IngressOptions {
  /** IngressClasses served; the first is the default class (default ['nginx']). */
  classes?: string[];
  /** Fake seconds from an Ingress's creation to its address (default 1). */
  addressSeconds?: number;
  /** Fake seconds from a Certificate's generation to Ready (default 2). */
  certificateSeconds?: number;
}

export class IngressControllers {
  private readonly classes: string[];
  private readonly addressSeconds: number;
  private readonly certificateSeconds: number;
  private readonly held: (string | RegExp)[] = [];
  /** When each Certificate generation was first seen (`uid/generation` → fake ms). */
  private readonly seen = new Map<string, number>();
  private nextAddress = 10;
  /** Which class wrote each Ingress's address (uid → class). */
  private readonly addressedBy = new Map<string, string>();

  constructor(private readonly ctx: ControllerContext, options: IngressOptions = {}) {
    this.classes = options.classes ?? ['nginx'];
    this.addressSeconds = options.addressSeconds ?? 1;
    this.certificateSeconds = options.certificateSeconds ?? 2;
  }

  /** Certificates naming a matching host stay not Ready (an issuer that cannot issue them). */
  hold(host: string | RegExp): void {
    this.held.push(host);
  }

  tick(): void {
    for (const ingress of this.ctx.registry.store.list('Ingress')) {
      if (ingress.metadata.deletionTimestamp) continue;
      this.assignAddress(ingress);
      this.shim(ingress);
    }
    for (const certificate of this.ctx.registry.store.list('Certificate')) {
      if (!certificate.metadata.deletionTimestamp) this.issue(certificate);
    }
  }

  private assignAddress(ingress: KubeObject): void {
    const className = ingress.spec?.ingressClassName ?? this.classes[0];
    // Nobody serves its class: nobody writes its status (an old controller's address stays).
    if (!this.classes.includes(className)) return;
    const hasAddress = (ingress.status?.loadBalancer?.ingress ?? []).length > 0;
    if (hasAddress && this.addressedBy.get(ingress.metadata.uid) === className) return;
    if (this.ctx.clock.secondsSince(Date.parse(ingress.metadata.creationTimestamp)) < this.addressSeconds) return;
    this.addressedBy.set(ingress.metadata.uid, className);
    const address = `203.0.113.${this.nextAddress++}`;
    this.ctx.registry.updateInternal({ ...clone(ingress), status: { loadBalancer: { ingress: [{ ip: address }] } } }, INGRESS_MANAGER, 'status');
    this.ctx.events.record(ingress, 'Normal', 'Sync', 'Scheduled for sync', { component: INGRESS_MANAGER });
  }

  private shim(ingress: KubeObject): void {
    const issuer = ingress.metadata.annotations?.[ISSUER_ANNOTATION];
    if (!issuer) return;
    for (const tls of (ingress.spec?.tls ?? []) as Json[]) {
      if (!tls.secretName || !(tls.hosts ?? []).length) continue;
      const namespace = ingress.metadata.namespace as string;
      const spec = {
        dnsNames: [...tls.hosts],
        secretName: tls.secretName,
        issuerRef: { name: issuer, kind: 'ClusterIssuer', group: 'cert-manager.io' },
        usages: ['digital signature', 'key encipherment'],
      };
      const labels = clone(ingress.metadata.labels ?? {});
      const existing = this.ctx.registry.store.get('Certificate', namespace, tls.secretName);
      if (!existing) {
        const made = this.ctx.registry.createInternal({
          apiVersion: 'cert-manager.io/v1',
          kind: 'Certificate',
          metadata: { name: tls.secretName, namespace, labels, ownerReferences: [ownerReference(ingress)] },
          spec,
        }, SHIM_MANAGER);
        this.ctx.events.record(ingress, 'Normal', 'CreateCertificate', `Successfully created Certificate "${made.metadata.name}"`, { component: SHIM_MANAGER });
        continue;
      }
      const owned = (existing.metadata.ownerReferences ?? []).some((r) => r.uid === ingress.metadata.uid && r.controller);
      if (!owned || (deepEqual(existing.spec, spec) && deepEqual(existing.metadata.labels ?? {}, labels))) continue;
      this.ctx.registry.updateInternal({ ...clone(existing), metadata: { ...clone(existing.metadata), labels }, spec }, SHIM_MANAGER);
      this.ctx.events.record(ingress, 'Normal', 'UpdateCertificate', `Successfully updated Certificate "${existing.metadata.name}"`, { component: SHIM_MANAGER });
    }
  }

  private issue(certificate: KubeObject): void {
    const generation = certificate.metadata.generation ?? 1;
    const conditions: Json[] = certificate.status?.conditions ?? [];
    const ready = conditions.find((c) => c.type === 'Ready');
    if (ready?.status === 'True' && ready.observedGeneration === generation) return;
    const key = `${certificate.metadata.uid}/${generation}`;
    const nowMs = this.ctx.clock.now();
    const since = this.seen.get(key) ?? nowMs;
    this.seen.set(key, since);
    const hosts: string[] = certificate.spec?.dnsNames ?? [];
    const held = hosts.some((host) => this.held.some((h) => (typeof h === 'string' ? host === h : h.test(host))));
    const now = timestamp(nowMs);
    let status: Json;
    if (held || (nowMs - since) / 1000 < this.certificateSeconds) {
      const message = 'Issuing certificate as Secret does not exist';
      const next = setCondition(conditions, { type: 'Ready', status: 'False', reason: 'DoesNotExist', message }, now, false)
        .map((c) => (c.type === 'Ready' ? { ...c, observedGeneration: generation } : c));
      status = { ...clone(certificate.status ?? {}), conditions: next };
    } else {
      this.writeSecret(certificate);
      const next = setCondition(conditions, { type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired' }, now, false)
        .map((c) => (c.type === 'Ready' ? { ...c, observedGeneration: generation } : c));
      status = { conditions: next, notBefore: now, notAfter: timestamp(nowMs + 90 * 86_400_000), renewalTime: timestamp(nowMs + 60 * 86_400_000), revision: (certificate.status?.revision ?? 0) + 1 };
      this.ctx.events.record(certificate, 'Normal', 'Issuing', 'The certificate has been successfully issued', { component: CERTIFICATES_MANAGER });
    }
    if (!deepEqual(status, certificate.status ?? {})) this.ctx.registry.updateInternal({ ...clone(certificate), status }, CERTIFICATES_MANAGER, 'status');
  }

  private writeSecret(certificate: KubeObject): void {
    const namespace = certificate.metadata.namespace as string;
    const name = certificate.spec?.secretName as string;
    if (this.ctx.registry.store.get('Secret', namespace, name)) return;
    const pem = (what: string) => Buffer.from(`-----BEGIN ${what}-----\nfake\n-----END ${what}-----\n`).toString('base64');
    this.ctx.registry.createInternal({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name, namespace, annotations: { 'cert-manager.io/certificate-name': certificate.metadata.name } },
      data: { 'tls.crt': pem('CERTIFICATE'), 'tls.key': pem('PRIVATE KEY') },
    }, CERTIFICATES_MANAGER);
  }
}
