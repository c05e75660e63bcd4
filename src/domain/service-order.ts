export const SERVICE_TYPES = ['database', 'lifecycle-job', 'cronjob', 'container', 'application'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

/** Environment-wide order: databases → lifecycle jobs → cronjobs → containers → applications. */
export function orderServices<T extends { name: string; type: ServiceType }>(
  services: readonly T[],
  direction: 'start' | 'stop' = 'start',
): T[] {
  const rank = (s: T) => SERVICE_TYPES.indexOf(s.type);
  const sorted = [...services].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  return direction === 'start' ? sorted : sorted.reverse();
}
