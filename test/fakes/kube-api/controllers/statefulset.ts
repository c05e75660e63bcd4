/**
 * The StatefulSet controller: pods `<name>-0..n-1` created in order (each waits
 * for the one before to be Running and Ready, unless podManagementPolicy is
 * Parallel), a PVC per volumeClaimTemplate and ordinal (`<template>-<name>-<i>`,
 * kept on scale-down and on delete under the default Retain policy), scale-down
 * from the highest ordinal, and rolling updates that replace pods from the
 * highest ordinal down to the partition, one at a time.
 */
import type { Json, KubeObject } from '../types.ts';
import { clone, deepEqual, hashOf, omitZero } from '../util.ts';
import {
  CONTROLLER_MANAGER, controlledBy, isPodAvailable, isPodReady, ownerReference, podFromTemplate, type ControllerContext,
} from './common.ts';

const REVISION_LABEL = 'controller-revision-hash';
const SOURCE = { component: 'statefulset-controller' };

const ordinalOf = (sts: KubeObject, pod: KubeObject) => Number(pod.metadata.name.slice(sts.metadata.name.length + 1));
const finished = (pod: KubeObject) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
const runningAndReady = (pod: KubeObject) => pod.status?.phase === 'Running' && isPodReady(pod) && !pod.metadata.deletionTimestamp;

export class StatefulSetController {
  /** Templates by revision, as ControllerRevisions keep them: pods below the partition stay at the old one. */
  private readonly templates = new Map<string, Json>();

  constructor(private readonly ctx: ControllerContext) {}

  tick(): void {
    for (const sts of this.ctx.registry.store.list('StatefulSet')) {
      if (!sts.metadata.deletionTimestamp) this.sync(sts);
    }
  }

  private sync(sts: KubeObject): void {
    const replicas: number = sts.spec?.replicas ?? 1;
    const updateRevision = `${sts.metadata.name}-${hashOf(sts.spec.template)}`;
    this.templates.set(updateRevision, clone(sts.spec.template));
    const currentRevision: string = sts.status?.currentRevision ?? updateRevision;
    const ordered = sts.spec?.podManagementPolicy !== 'Parallel';
    const rolling = sts.spec?.updateStrategy?.type !== 'OnDelete';
    const partition: number = rolling ? sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0 : replicas;
    const pods = controlledBy(this.ctx, 'Pod', sts);
    const byOrdinal = new Map(pods.map((p) => [ordinalOf(sts, p), p]));

    let blocked = false;
    for (let i = 0; i < replicas && !(ordered && blocked); i++) {
      const pod = byOrdinal.get(i);
      if (!pod) {
        const revision = i < partition && this.templates.has(currentRevision) ? currentRevision : updateRevision;
        this.createPod(sts, i, revision);
        blocked = true;
      } else if (pod.metadata.deletionTimestamp) {
        blocked = true;
      } else if (finished(pod)) {
        this.deletePod(sts, pod);
        blocked = true;
      } else if (!runningAndReady(pod)) {
        blocked = true;
      }
    }

    const condemned = pods.filter((p) => ordinalOf(sts, p) >= replicas).sort((a, b) => ordinalOf(sts, b) - ordinalOf(sts, a));
    if (!(ordered && blocked) && !condemned.some((p) => p.metadata.deletionTimestamp)) {
      for (const pod of condemned) {
        this.deletePod(sts, pod);
        if (ordered) break;
      }
    }

    const settled = !blocked && condemned.length === 0;
    if (rolling && settled) {
      for (let i = replicas - 1; i >= partition; i--) {
        const pod = byOrdinal.get(i);
        if (pod && pod.metadata.labels?.[REVISION_LABEL] !== updateRevision) {
          this.deletePod(sts, pod);
          break;
        }
      }
    }
    this.writeStatus(sts, pods, currentRevision, updateRevision, rolling);
  }

  private createPod(sts: KubeObject, ordinal: number, revision: string): void {
    const name = `${sts.metadata.name}-${ordinal}`;
    const template = this.templates.get(revision) ?? sts.spec.template;
    const pod = podFromTemplate(template, sts, name, false, {
      [REVISION_LABEL]: revision,
      'statefulset.kubernetes.io/pod-name': name,
      'apps.kubernetes.io/pod-index': String(ordinal),
    });
    pod.spec.hostname = name;
    if (sts.spec.serviceName) pod.spec.subdomain = sts.spec.serviceName;
    const claims: Json[] = sts.spec.volumeClaimTemplates ?? [];
    const claimed = new Set(claims.map((t) => t.metadata?.name));
    pod.spec.volumes = [
      ...(pod.spec.volumes ?? []).filter((v: Json) => !claimed.has(v.name)),
      ...claims.map((t) => ({ name: t.metadata?.name, persistentVolumeClaim: { claimName: `${t.metadata?.name}-${name}` } })),
    ];
    for (const t of claims) this.ensureClaim(sts, t, name);
    this.ctx.registry.createInternal(pod, CONTROLLER_MANAGER);
    this.ctx.events.record(sts, 'Normal', 'SuccessfulCreate', `create Pod ${name} in StatefulSet ${sts.metadata.name} successful`, SOURCE);
  }

  private ensureClaim(sts: KubeObject, template: Json, podName: string): void {
    const name = `${template.metadata?.name}-${podName}`;
    if (this.ctx.registry.store.get('PersistentVolumeClaim', sts.metadata.namespace, name)) return;
    const deleteWithSet = sts.spec.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete';
    this.ctx.registry.createInternal({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name, namespace: sts.metadata.namespace,
        labels: { ...template.metadata?.labels, ...sts.spec.selector?.matchLabels },
        ...(template.metadata?.annotations ? { annotations: clone(template.metadata.annotations) } : {}),
        finalizers: ['kubernetes.io/pvc-protection'],
        ...(deleteWithSet ? { ownerReferences: [ownerReference(sts)] } : {}),
      },
      spec: clone(template.spec ?? {}),
    }, CONTROLLER_MANAGER);
    this.ctx.events.record(sts, 'Normal', 'SuccessfulCreate', `create Claim ${name} Pod ${podName} in StatefulSet ${sts.metadata.name} success`, SOURCE);
  }

  private deletePod(sts: KubeObject, pod: KubeObject): void {
    this.ctx.deleter.deleteObject(pod, 'Background');
    this.ctx.events.record(sts, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${sts.metadata.name} successful`, SOURCE);
  }

  private writeStatus(sts: KubeObject, pods: KubeObject[], currentRevision: string, updateRevision: string, rolling: boolean): void {
    const counted = pods.filter((p) => !finished(p));
    const now = this.ctx.clock.now();
    const at = (revision: string) => counted.filter((p) => p.metadata.labels?.[REVISION_LABEL] === revision).length;
    const status: Json = {
      observedGeneration: sts.metadata.generation,
      replicas: counted.length,
      readyReplicas: counted.filter(isPodReady).length,
      currentReplicas: at(currentRevision),
      updatedReplicas: at(updateRevision),
      currentRevision,
      updateRevision,
      collisionCount: 0,
      availableReplicas: counted.filter((p) => isPodAvailable(p, sts.spec?.minReadySeconds ?? 0, now)).length,
    };
    if (rolling && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
      status.currentReplicas = status.updatedReplicas;
      status.currentRevision = updateRevision;
    }
    omitZero(status, ['readyReplicas', 'currentReplicas', 'updatedReplicas']);
    if (!deepEqual(status, sts.status)) this.ctx.registry.updateInternal({ ...clone(sts), status }, CONTROLLER_MANAGER, 'status');
  }
}
