import { Redis } from 'ioredis';

/**
 * Commands a Redis server ran, by name, from its `INFO commandstats` (every client's, the
 * bench's few included): with the machine's other work on Redis left aside, a figure that
 * does not depend on how busy the machine is.
 */
export async function redisCommandCounts(url: string): Promise<Map<string, number> | null> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const text = await redis.info('commandstats');
    const counts = new Map<string, number>();
    for (const line of text.split('\n')) {
      const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
      if (m?.[1] && m[2]) counts.set(m[1], Number(m[2]));
    }
    return counts;
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

/** Commands per deployment between two readings: the total and the most frequent. */
export function redisCommandsPer(before: Map<string, number> | null, after: Map<string, number> | null, deployments: number): { total: number; top: Record<string, number> } | null {
  if (before === null || after === null || deployments === 0) return null;
  const per = [...after.entries()]
    .map(([name, calls]) => [name, (calls - (before.get(name) ?? 0)) / deployments] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  const round = (n: number) => Math.round(n * 100) / 100;
  return { total: round(per.reduce((sum, [, n]) => sum + n, 0)), top: Object.fromEntries(per.slice(0, 10).map(([name, n]) => [name, round(n)])) };
}
