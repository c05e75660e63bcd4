import type { ReplicaUsage } from '../ports.ts';

/** The part of the engine's `GET /containers/{id}/stats?stream=false` answer usage is read from. */
export interface StatsSample {
  read: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
}

/**
 * Docker fills `precpu_stats` with the sample one second before, so one answer holds a CPU
 * rate; Podman leaves it empty, and then a second sample is needed.
 */
export function hasPreviousSample(sample: StatsSample): boolean {
  return (sample.precpu_stats?.system_cpu_usage ?? 0) > 0;
}

/**
 * CPU (cores) and memory of one container from its stats, as `docker stats` computes them:
 * the CPU time used between two samples over the time between them, and the memory in use
 * less the page cache the kernel can take back (`inactive_file`). `later`: a second sample,
 * for an engine that gives no previous one (Podman).
 */
export function usageOfStats(replica: string, sample: StatsSample, later: StatsSample | null): ReplicaUsage {
  return { replica, cpuCores: cpuCores(sample, later), ...memory(later ?? sample) };
}

function cpuCores(sample: StatsSample, later: StatsSample | null): number | null {
  if (later !== null) {
    const used = (later.cpu_stats?.cpu_usage?.total_usage ?? NaN) - (sample.cpu_stats?.cpu_usage?.total_usage ?? NaN);
    const elapsedNs = (Date.parse(later.read) - Date.parse(sample.read)) * 1e6;
    return Number.isFinite(used) && elapsedNs > 0 ? round(Math.max(0, used) / elapsedNs) : null;
  }
  if (!hasPreviousSample(sample)) return null;
  const used = (sample.cpu_stats?.cpu_usage?.total_usage ?? 0) - (sample.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const system = (sample.cpu_stats?.system_cpu_usage ?? 0) - (sample.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = sample.cpu_stats?.online_cpus ?? 1;
  return system > 0 ? round((Math.max(0, used) / system) * cpus) : null;
}

function memory(sample: StatsSample): Pick<ReplicaUsage, 'memoryBytes' | 'memoryLimitBytes'> {
  const m = sample.memory_stats;
  const usage = m?.usage;
  // cgroup v2 names it inactive_file, v1 total_inactive_file; Podman sends neither.
  const cache = m?.stats?.inactive_file ?? m?.stats?.total_inactive_file ?? 0;
  return {
    memoryBytes: usage === undefined ? null : Math.max(0, usage - (cache < usage ? cache : 0)),
    memoryLimitBytes: m?.limit !== undefined && m.limit > 0 ? m.limit : null,
  };
}

/** Millionths of a core: finer than any engine measures. */
const round = (cores: number) => Math.round(cores * 1e6) / 1e6;
