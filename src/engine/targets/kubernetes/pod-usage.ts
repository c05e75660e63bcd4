import type { ReplicaUsage } from '../../ports.ts';

export const METRICS_NOT_INSTALLED =
  'metrics-server not installed: the cluster does not serve metrics.k8s.io, so it measures no pod CPU or memory (install metrics-server to see them)';

/** Suffixes of a Kubernetes quantity and their factors: CPU comes as nanocores (`n`), memory as `Ki`. */
const FACTORS: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

const QUANTITY = /^(\d+(?:\.\d+)?)(n|u|m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;

/** `12345678n` → 0.012345678, `512Ki` → 524288; null for what is no quantity. */
export function quantity(text: string): number | null {
  const match = QUANTITY.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * (FACTORS[match[2] ?? ''] ?? 1);
}

/** One container's usage from its PodMetrics entry (null: metrics-server has not sampled it yet). */
export function containerUsage(replica: string, usage: { cpu: string; memory: string } | null, memoryLimit: string | null): ReplicaUsage {
  const cpu = usage === null ? null : quantity(usage.cpu);
  const memory = usage === null ? null : quantity(usage.memory);
  const limit = memoryLimit === null ? null : quantity(memoryLimit);
  return {
    replica,
    cpuCores: cpu === null ? null : Math.round(cpu * 1e6) / 1e6,
    memoryBytes: memory === null ? null : Math.round(memory),
    memoryLimitBytes: limit === null ? null : Math.round(limit),
  };
}
