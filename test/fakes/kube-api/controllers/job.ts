/**
 * The Job controller: runs pods until `completions` succeed, replaces failed
 * ones after a back-off (10 s doubling, up to 6 min), and fails the Job when
 * failures pass `backoffLimit` (BackoffLimitExceeded) or it runs past
 * `activeDeadlineSeconds` (DeadlineExceeded). Conditions as Kubernetes 1.31
 * writes them: SuccessCriteriaMet then Complete, FailureTarget then Failed.
 * `ttlSecondsAfterFinished` deletes a finished Job and its pods.
 */
import type { Json, KubeObject } from '../types.ts';
import { clone, deepEqual, omitZero, timestamp } from '../util.ts';
import {
  CONTROLLER_MANAGER, controlledBy, generatedPodName, isPodReady, podFromTemplate, setCondition, type ControllerContext,
} from './common.ts';

const SOURCE = { component: 'job-controller' };
const MAX_BACKOFF_MS = 6 * 60 * 1000;

export function isJobFinished(job: KubeObject): string | undefined {
  const done = (job.status?.conditions ?? []).find((c: Json) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  return done?.type;
}

function restartsOf(pod: KubeObject): number {
  return (pod.status?.containerStatuses ?? []).reduce((n: number, c: Json) => n + (c.restartCount ?? 0), 0);
}

export function syncJobs(ctx: ControllerContext): void {
  for (const job of ctx.registry.store.list('Job')) {
    if (job.metadata.deletionTimestamp) continue;
    if (isJobFinished(job)) expire(ctx, job);
    else syncJob(ctx, job);
  }
}

function expire(ctx: ControllerContext, job: KubeObject): void {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  const finishedAt = job.status?.completionTime ?? (job.status?.conditions ?? []).find((c: Json) => c.type === 'Failed')?.lastTransitionTime;
  if (ttl === undefined || ttl === null || !finishedAt) return;
  if (Date.parse(finishedAt) + ttl * 1000 <= ctx.clock.now()) ctx.deleter.deleteObject(job, 'Background');
}

function syncJob(ctx: ControllerContext, job: KubeObject): void {
  const nowMs = ctx.clock.now();
  const now = timestamp(nowMs);
  const spec = job.spec ?? {};
  const pods = controlledBy(ctx, 'Pod', job);
  const active = pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded').length;
  const failedPods = pods.filter((p) => p.status?.phase === 'Failed');
  const failed = Math.max(job.status?.failed ?? 0, failedPods.length);
  const status: Json = { ...clone(job.status ?? {}), conditions: clone(job.status?.conditions ?? []) };
  if (spec.suspend) return;
  status.startTime ??= now;

  const completions: number = spec.completions ?? 1;
  const backoffLimit: number = spec.backoffLimit ?? 6;
  const onFailureRestarts = spec.template?.spec?.restartPolicy === 'OnFailure' ? active.reduce((n, p) => n + restartsOf(p), 0) : 0;
  const deadline = spec.activeDeadlineSeconds !== undefined && Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000 <= nowMs;
  const failure = failed > backoffLimit || (onFailureRestarts > 0 && onFailureRestarts >= backoffLimit)
    ? { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }
    : deadline ? { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' } : undefined;

  let activeCount = active.length;
  let failedCount = failed;
  if (failure) {
    for (const pod of active) ctx.deleter.deleteObject(pod, 'Background', 0);
    failedCount += active.length;
    activeCount = 0;
    status.conditions = setCondition(status.conditions, { type: 'FailureTarget', status: 'True', ...failure }, now, false);
    status.conditions = setCondition(status.conditions, { type: 'Failed', status: 'True', ...failure }, now, false);
    ctx.events.record(job, 'Warning', failure.reason, failure.message, SOURCE);
  } else if (succeeded >= completions) {
    const done = { reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };
    status.conditions = setCondition(status.conditions, { type: 'SuccessCriteriaMet', status: 'True', ...done }, now, false);
    status.conditions = setCondition(status.conditions, { type: 'Complete', status: 'True', ...done }, now, false);
    status.completionTime = now;
    ctx.events.record(job, 'Normal', 'Completed', 'Job completed', SOURCE);
  } else {
    const wanted = Math.min(spec.parallelism ?? 1, completions - succeeded);
    const lastFailure = Math.max(0, ...failedPods.map((p) => Date.parse(lastFinish(p))));
    const backoff = failed > 0 ? Math.min(10_000 * 2 ** (failed - 1), MAX_BACKOFF_MS) : 0;
    if (nowMs >= lastFailure + backoff) {
      for (; activeCount < wanted; activeCount++) {
        const pod = ctx.registry.createInternal(podFromTemplate(spec.template, job, generatedPodName(ctx, job), true), CONTROLLER_MANAGER);
        ctx.events.record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, SOURCE);
      }
    }
  }
  status.active = activeCount;
  status.succeeded = succeeded;
  status.failed = failedCount;
  status.ready = failure ? 0 : active.filter(isPodReady).length;
  status.terminating = pods.filter((p) => p.metadata.deletionTimestamp).length;
  status.uncountedTerminatedPods = {};
  if (status.conditions.length === 0) delete status.conditions;
  omitZero(status, ['active', 'succeeded', 'failed']);
  if (!deepEqual(status, job.status)) ctx.registry.updateInternal({ ...clone(job), status }, CONTROLLER_MANAGER, 'status');
}

function lastFinish(pod: KubeObject): string {
  const times = (pod.status?.containerStatuses ?? []).map((c: Json) => c.state?.terminated?.finishedAt).filter(Boolean);
  return times.sort().at(-1) ?? pod.metadata.creationTimestamp;
}
