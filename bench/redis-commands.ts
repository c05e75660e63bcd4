import { Redis } from 'ioredis';

/** The reads of its clients' sockets a Redis server made (`INFO stats`): each is one write of a client, however many commands it carried. */
export const SOCKET_READS = 'socket reads';

/**
 * Commands a Redis server ran, by name, from its `INFO commandstats` (every client's, the
 * bench's few included), and under SOCKET_READS the reads of its clients' sockets it made:
 * with the machine's other work on Redis left aside, figures that do not depend on how busy
 * the machine is.
 */
export async function redisCommandCounts(url: string): Promise<Map<string, number> | null> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const text = `${await redis.info('commandstats')}\n${await redis.info('stats')}`;
    const counts = new Map<string, number>();
    for (const line of text.split('\n')) {
      const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
      if (m?.[1] && m[2]) counts.set(m[1], Number(m[2]));
      const reads = /^total_reads_processed:(\d+)/.exec(line.trim());
      if (reads?.[1]) counts.set(SOCKET_READS, Number(reads[1]));
    }
    return counts;
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

/** Commands per deployment between two readings: the total and the most frequent; and the clients' writes (Redis' socket reads) per deployment. */
export function redisCommandsPer(
  before: Map<string, number> | null,
  after: Map<string, number> | null,
  deployments: number,
): { total: number; top: Record<string, number>; clientWrites: number | null } | null {
  if (before === null || after === null || deployments === 0) return null;
  const round = (n: number) => Math.round(n * 100) / 100;
  const readsAfter = after.get(SOCKET_READS);
  const readsBefore = before.get(SOCKET_READS);
  const clientWrites = readsAfter === undefined || readsBefore === undefined ? null : round((readsAfter - readsBefore) / deployments);
  const per = [...after.entries()]
    .filter(([name]) => name !== SOCKET_READS)
    .map(([name, calls]) => [name, (calls - (before.get(name) ?? 0)) / deployments] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  return { total: round(per.reduce((sum, [, n]) => sum + n, 0)), top: Object.fromEntries(per.slice(0, 10).map(([name, n]) => [name, round(n)])), clientWrites };
}
