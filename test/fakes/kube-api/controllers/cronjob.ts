/**
 * CronJobs: stored and validated, but their schedule never fires by itself;
 * `triggerCronJob` stands for a scheduled run. The controller part keeps
 * status.active, lastScheduleTime and lastSuccessfulTime, and prunes finished
 * Jobs beyond the history limits.
 */
import type { Json, KubeObject } from '../types.ts';
import { clone, deepEqual, timestamp } from '../util.ts';
import { CONTROLLER_MANAGER, controlledBy, ownerReference, type ControllerContext } from './common.ts';
import { isJobFinished } from './job.ts';

const SOURCE = { component: 'cronjob-controller' };

const jobRef = (job: KubeObject) => ({
  kind: 'Job', namespace: job.metadata.namespace, name: job.metadata.name, uid: job.metadata.uid,
  apiVersion: 'batch/v1', resourceVersion: job.metadata.resourceVersion,
});

/**
 * What the CronJob controller does when the schedule fires: a Job from
 * jobTemplate named `<cronjob>-<scheduled minute>`, unless the CronJob is
 * suspended or its concurrencyPolicy forbids another run (null then).
 */
export function triggerCronJob(ctx: ControllerContext, namespace: string, name: string): KubeObject | null {
  const cj = ctx.registry.store.get('CronJob', namespace, name);
  if (!cj) throw new Error(`fake kube: no CronJob ${namespace}/${name}`);
  if (cj.spec?.suspend) return null;
  const running = controlledBy(ctx, 'Job', cj).filter((j) => !isJobFinished(j) && !j.metadata.deletionTimestamp);
  if (running.length > 0 && cj.spec?.concurrencyPolicy === 'Forbid') return null;
  if (cj.spec?.concurrencyPolicy === 'Replace') for (const job of running) ctx.deleter.deleteObject(job, 'Background');

  const nowMs = ctx.clock.now();
  let minute = Math.floor(nowMs / 60_000);
  while (ctx.registry.store.get('Job', namespace, `${name}-${minute}`)) minute++;
  const template: Json = cj.spec?.jobTemplate ?? {};
  const job = ctx.registry.createInternal({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `${name}-${minute}`,
      namespace,
      labels: clone(template.metadata?.labels ?? {}),
      annotations: { ...clone(template.metadata?.annotations ?? {}), 'batch.kubernetes.io/cronjob-scheduled-timestamp': timestamp(minute * 60_000) },
      ownerReferences: [ownerReference(cj)],
    },
    spec: clone(template.spec ?? {}),
  }, CONTROLLER_MANAGER);
  ctx.events.record(cj, 'Normal', 'SuccessfulCreate', `Created job ${job.metadata.name}`, SOURCE);
  const status = { ...clone(cj.status ?? {}), lastScheduleTime: timestamp(nowMs), active: [...(cj.status?.active ?? []), jobRef(job)] };
  ctx.registry.updateInternal({ ...clone(cj), status }, CONTROLLER_MANAGER, 'status');
  return job;
}

export function syncCronJobs(ctx: ControllerContext): void {
  for (const cj of ctx.registry.store.list('CronJob')) {
    if (!cj.metadata.deletionTimestamp) syncCronJob(ctx, cj);
  }
}

function syncCronJob(ctx: ControllerContext, cj: KubeObject): void {
  const jobs = controlledBy(ctx, 'Job', cj);
  const status: Json = clone(cj.status ?? {});
  const active = jobs.filter((j) => !isJobFinished(j));
  const wasActive = new Set((cj.status?.active ?? []).map((r: Json) => r.uid));
  for (const job of jobs) {
    const outcome = isJobFinished(job);
    if (outcome && wasActive.has(job.metadata.uid)) {
      ctx.events.record(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata.name}, condition: ${outcome}`, SOURCE);
      if (outcome === 'Complete') status.lastSuccessfulTime = job.status?.completionTime;
    }
  }
  const refs = new Map<string, Json>((cj.status?.active ?? []).map((r: Json) => [r.uid, r]));
  if (active.length > 0) status.active = active.map((j) => refs.get(j.metadata.uid) ?? jobRef(j));
  else delete status.active;
  prune(ctx, jobs, 'Complete', cj.spec?.successfulJobsHistoryLimit ?? 3);
  prune(ctx, jobs, 'Failed', cj.spec?.failedJobsHistoryLimit ?? 1);
  if (!deepEqual(status, cj.status ?? {})) ctx.registry.updateInternal({ ...clone(cj), status }, CONTROLLER_MANAGER, 'status');
}

function prune(ctx: ControllerContext, jobs: KubeObject[], outcome: string, limit: number): void {
  const done = jobs.filter((j) => isJobFinished(j) === outcome && !j.metadata.deletionTimestamp)
    .sort((a, b) => a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp) || a.metadata.name.localeCompare(b.metadata.name));
  for (const job of done.slice(0, Math.max(0, done.length - limit))) ctx.deleter.deleteObject(job, 'Background');
}
