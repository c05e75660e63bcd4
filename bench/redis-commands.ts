import { Redis } from 'ioredis';

/**
 * What a Redis server has done so far (every client's, the bench's few included): the commands
 * it ran, by name (`INFO commandstats`), and the reads of its clients' sockets it made (`INFO
 * stats`; each is one write of a client, however many commands it carried). With the machine's
 * other work on Redis left aside, figures that do not depend on how busy the machine is.
 */
export interface RedisCounts {
  commands: Map<string, number>;
  socketReads: number | null;
}

export async function redisCommandCounts(url: string): Promise<RedisCounts | null> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const commands = new Map<string, number>();
    for (const line of (await redis.info('commandstats')).split('\n')) {
      const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
      if (m?.[1] && m[2]) commands.set(m[1], Number(m[2]));
    }
    const reads = /^total_reads_processed:(\d+)/m.exec(await redis.info('stats'));
    return { commands, socketReads: reads?.[1] ? Number(reads[1]) : null };
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

/** Commands per deployment between two readings: the total and the most frequent; and the clients' writes (Redis' socket reads) per deployment. */
export function redisCommandsPer(
  before: RedisCounts | null,
  after: RedisCounts | null,
  deployments: number,
): { total: number; top: Record<string, number>; clientWrites: number | null } | null {
  if (before === null || after === null || deployments === 0) return null;
  const round = (n: number) => Math.round(n * 100) / 100;
  const clientWrites = after.socketReads === null || before.socketReads === null ? null : round((after.socketReads - before.socketReads) / deployments);
  const per = [...after.commands.entries()]
    .map(([name, calls]) => [name, (calls - (before.commands.get(name) ?? 0)) / deployments] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  return { total: round(per.reduce((sum, [, n]) => sum + n, 0)), top: Object.fromEntries(per.slice(0, 10).map(([name, n]) => [name, round(n)])), clientWrites };
}
