import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { Outcome } from '../../ports.ts';
import { ownedBy, reflect, stopAll, type RolloutScope, type TargetContext } from './context.ts';
import { diagnose, type LogSource } from './diagnostics.ts';
import { selectorString } from './labels.ts';
import { podFailure } from './pod-failure.ts';
import { waitUntil } from './watch.ts';
import { podFailed, type Watched } from './workload-rollout.ts';

export interface JobRollout {
  name: string;
  manifest: V1Job;
  selector: Record<string, string>;
}

function condition(job: V1Job, type: 'Complete' | 'Failed') {
  return (job.status?.conditions ?? []).find((c) => c.type === type && c.status === 'True');
}

/** The pod whose logs explain a failed Job: a failed one (the newest), else any. */
function failedPodLogs(job: V1Job, pods: readonly V1Pod[]): LogSource | null {
  const sorted = [...pods].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  const pod = sorted.filter((p) => p.status?.phase === 'Failed').pop() ?? sorted.pop();
  const container = pod?.spec?.containers[0]?.name ?? job.spec?.template.spec?.containers[0]?.name;
  if (!pod?.metadata?.name || !container) return null;
  return { pod: pod.metadata.name, container, previous: false };
}

/**
 * A lifecycle job: a Job per deployment, waited for until Complete (success) or Failed (with
 * its pod's logs). A pod that cannot start (no image, broken config) fails it at once, and the
 * Job is deleted so it stops trying; a cancel deletes it too.
 */
export async function rolloutJob(ctx: TargetContext, scope: RolloutScope, rollout: JobRollout): Promise<Outcome> {
  const { api } = ctx;
  const { namespace, log, signal } = scope;
  const { name } = rollout;
  const selector = selectorString(rollout.selector);
  await api.apply('Job', namespace, rollout.manifest);
  log(`applied job ${namespace}/${name}`);
  const jobs = reflect(ctx, 'Job', namespace, selector);
  const pods = reflect(ctx, 'Pod', namespace, selector);
  let watched: Watched;
  try {
    let mine: V1Pod[] = [];
    const involved = (list: readonly V1Pod[]) => [{ kind: 'Job', name }, ...list.map((p) => ({ kind: 'Pod', name: p.metadata?.name ?? '' }))];
    const end = await waitUntil(
      [jobs, pods],
      (): Watched | null => {
        const job = jobs.items.get(name);
        if (!job) return null;
        mine = ownedBy(pods.values, { kind: 'Job', name, uid: job.metadata?.uid });
        if (condition(job, 'Complete')) return { kind: 'done' };
        const failed = condition(job, 'Failed');
        if (failed) {
          const why = [failed.reason, failed.message].filter(Boolean).join(' — ');
          return { kind: 'failed', reason: `job "${name}" failed${why ? `: ${why}` : ''}`, logs: failedPodLogs(job, mine), objects: involved(mine) };
        }
        const failure = podFailure(mine);
        return failure ? podFailed(failure, mine, involved) : null;
      },
      { signal, timeoutMs: ((rollout.manifest.spec?.activeDeadlineSeconds ?? ctx.timing.jobDeadlineSeconds) + 60) * 1000 },
    );
    watched =
      end.kind === 'done'
        ? end.value
        : end.kind === 'canceled'
          ? end
          : { kind: 'failed', reason: `job "${name}" did not finish in time`, logs: null, objects: involved(mine) };
  } finally {
    stopAll([jobs, pods]);
  }
  if (watched.kind === 'done') {
    log(`job ${namespace}/${name} completed`);
    return { ok: true };
  }
  if (watched.kind === 'canceled') {
    await api.delete('Job', namespace, name);
    log(`job ${namespace}/${name} deleted: the rollout was canceled`);
    return { ok: false, reason: 'rollout canceled', logTail: [] };
  }
  log(`job failed: ${watched.reason}`);
  const logTail = await diagnose(ctx, namespace, { logs: watched.logs, objects: watched.objects });
  // A Job that failed by itself stays (its TTL removes it) so its pod's logs can be read;
  // one whose pod cannot start would keep trying: it goes.
  const finished = (await api.list('Job', namespace, { labelSelector: selector })).items.find((j) => j.metadata?.name === name);
  if (finished && !condition(finished, 'Failed')) await api.delete('Job', namespace, name);
  return { ok: false, reason: watched.reason, logTail };
}
