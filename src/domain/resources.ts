/**
 * CPU and memory for a service, as Kubernetes writes them: `cpu: 500m` or `1.5`,
 * `memory: 256Mi` or `1G`. Requests are what the scheduler reserves; limits are
 * where the runtime stops a container (memory: OOMKilled; CPU: throttled).
 */
export interface ResourceAmounts {
  cpu: string | null;
  memory: string | null;
}

export interface Resources {
  requests: ResourceAmounts;
  limits: ResourceAmounts;
}

export const CPU_QUANTITY = /^(\d+m|\d+(\.\d{1,3})?)$/;
/** The number, then the unit (none: bytes). */
export const MEMORY_QUANTITY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/;

const MEMORY_UNITS: Record<string, number> = {
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

/** `500m` → 0.5, `2` → 2 (CPUs); null for anything else. */
export function cpuCores(quantity: string): number | null {
  if (!CPU_QUANTITY.test(quantity)) return null;
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

/** `256Mi` → 268435456, `1G` → 1e9 (bytes); null for anything else. */
export function memoryBytes(quantity: string): number | null {
  const match = MEMORY_QUANTITY.exec(quantity);
  if (!match) return null;
  return Math.round(Number(match[1]) * (MEMORY_UNITS[match[2] ?? ''] ?? 1));
}

/** A request above its limit: the reason, or null when they fit (Kubernetes refuses such a pod). */
export function resourceConflict(resources: Resources): string | null {
  const { requests, limits } = resources;
  if (requests.cpu && limits.cpu && (cpuCores(requests.cpu) ?? 0) > (cpuCores(limits.cpu) ?? Infinity)) {
    return `the cpu request ${requests.cpu} is above its limit ${limits.cpu}`;
  }
  if (requests.memory && limits.memory && (memoryBytes(requests.memory) ?? 0) > (memoryBytes(limits.memory) ?? Infinity)) {
    return `the memory request ${requests.memory} is above its limit ${limits.memory}`;
  }
  return null;
}
