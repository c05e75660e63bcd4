/**
 * Redis as teams run it (`--scenarios redis`):
 *
 *   - throughput on one Redis node and on a three-master Redis Cluster: environments ×
 *     deployments each, all requested at once, no-op target, one process — the same load on
 *     each, in the same run;
 *   - Sentinel failover: the master killed → the next deployment requested at that moment
 *     starting (its rollout on the no-op target), a few rounds, the killed node rejoining as
 *     a replica between rounds.
 *
 * Both Redis topologies are started by the bench on loopback ports of their own.
 */
import os from 'node:os';
import { createNoopTarget } from '../test/fakes/noop-target.ts';
import { ownRedisCluster, ownRedisSentinels } from '../test/support/redis-topologies.ts';
import { epochMs } from './open-loop.ts';
import { startScenarioHoist, type ScenarioHoist } from './orchestration-hoist.ts';
import type { Result } from './result.ts';
import { summarize } from './stats.ts';

export interface RedisTopologySettings {
  envs: number;
  perEnv: number;
  concurrency: number;
  failovers: number;
  drainTimeoutSeconds: number;
  logFile: string;
  logLevel: string;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
const envName = (i: number): string => `r${String(i).padStart(3, '0')}`;

async function throughputOn(name: string, redis: Parameters<typeof startScenarioHoist>[0]['redis'], settings: RedisTopologySettings): Promise<{ result: Result; line: string }> {
  const envs = Array.from({ length: settings.envs }, (_, i) => envName(i));
  const h = await startScenarioHoist({
    app: `redis${Date.now().toString(36)}`,
    envs,
    mode: 'start',
    concurrency: settings.concurrency,
    versions: settings.perEnv,
    targetFor: () => createNoopTarget().target,
    logFile: settings.logFile,
    logLevel: settings.logLevel,
    ...(redis ? { redis } : {}),
  });
  try {
    const loadavg = round1(os.loadavg()[0] ?? 0);
    const t0 = epochMs();
    const ids = await Promise.all(Array.from({ length: settings.perEnv }).flatMap(() => envs.map((env) => h.request(env))));
    const drained = await h.drained(settings.drainTimeoutSeconds * 1000, 100);
    const rows = await h.rows({ ids });
    const latencies = rows.filter((r) => r.finished_at !== null).map((r) => (r.finished_at as Date).getTime() - t0);
    const last = Math.max(0, ...latencies);
    const deployed = rows.filter((r) => r.status === 'DEPLOYED').length;
    const perSecond = last > 0 ? round1(deployed / (last / 1000)) : null;
    const id = `redis-throughput-${name.split(' ')[0]?.toLowerCase() ?? 'x'}`;
    const result: Result = {
      id,
      scenario: `throughput, ${name}`,
      app: 'hoist',
      measure: 'final',
      load: `${settings.envs} environments × ${settings.perEnv} deployments at once; no-op target; one process (concurrency ${settings.concurrency})`,
      ...summarize(latencies, ids.length - latencies.length),
      notes: { deploymentsPerSecond: perSecond, deployed, drained, loadavg1mAtStart: loadavg },
    };
    return { result, line: `throughput on ${name}: ${deployed}/${ids.length} DEPLOYED in ${(last / 1000).toFixed(1)} s = ${String(perSecond)} deployments/s` };
  } finally {
    await h.stop();
  }
}

async function failovers(settings: RedisTopologySettings, say: (line: string) => void): Promise<{ result: Result; line: string }> {
  const sentinels = await ownRedisSentinels(17_420);
  const noop = createNoopTarget();
  let h: ScenarioHoist | null = null;
  try {
    h = await startScenarioHoist({
      app: `sentinel${Date.now().toString(36)}`,
      envs: ['s'],
      mode: 'start',
      concurrency: settings.concurrency,
      versions: settings.failovers + 2,
      targetFor: () => noop.target,
      logFile: settings.logFile,
      logLevel: settings.logLevel,
      redis: { vars: { REDIS_URL: '', REDIS_SENTINELS: sentinels.sentinels, REDIS_SENTINEL_MASTER: sentinels.master }, hashTagged: false },
    });
    await h.request('s');
    await h.drained(60_000);
    const gaps: number[] = [];
    let lost = 0;
    for (let round = 0; round < settings.failovers; round += 1) {
      const killedAt = epochMs();
      const failing = sentinels.failover();
      const id = await h.request('s');
      const { killed } = await failing;
      const started = await waitStarted(noop, id, 60_000);
      if (started === null) lost += 1;
      else gaps.push(started - killedAt);
      await h.drained(60_000);
      await sentinels.rejoin(killed);
      say(`… sentinel failover ${round + 1}/${settings.failovers}: ${started === null ? 'no start within 60 s' : `next deployment started ${Math.round(started - killedAt)} ms after the master died`}`);
    }
    const result: Result = {
      id: 'redis-sentinel-failover',
      scenario: 'Sentinel failover → next deployment start',
      app: 'hoist',
      measure: 'start',
      load: `${settings.failovers} failovers (master SIGKILLed; Sentinels: down after 1 s, quorum 2), a deployment requested as the master dies; no-op target`,
      ...summarize(gaps, lost),
      notes: { sentinelDownAfterMs: 1000 },
    };
    const p50 = result.p50Ms === null ? 'n/a' : `${result.p50Ms} ms`;
    return { result, line: `Sentinel failover → next deployment start: p50 ${p50} over ${gaps.length} failovers (${lost} never started)` };
  } finally {
    await h?.stop();
    await sentinels.stop();
  }
}

async function waitStarted(noop: ReturnType<typeof createNoopTarget>, deploymentId: number, timeoutMs: number): Promise<number | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const record = noop.rollouts.find((r) => r.deploymentId === deploymentId);
    if (record) return record.startedAt;
    await new Promise((r) => setTimeout(r, 10));
  }
  return null;
}

export async function runRedisTopologiesBench(settings: RedisTopologySettings, say: (line: string) => void): Promise<{ results: Result[]; lines: string[] }> {
  const results: Result[] = [];
  const lines: string[] = [];
  say(`… redis: throughput on one node, then on a three-master cluster (${settings.envs} environments × ${settings.perEnv})`);
  const single = await throughputOn('one Redis node', undefined, settings);
  const cluster = await ownRedisCluster(17_410);
  try {
    const onCluster = await throughputOn('a Redis Cluster (3 masters)', { vars: { REDIS_URL: '', REDIS_CLUSTER: cluster.nodes }, hashTagged: true }, settings);
    results.push(single.result, onCluster.result);
    lines.push(single.line, onCluster.line);
  } finally {
    await cluster.stop();
  }
  if (settings.failovers > 0) {
    const failover = await failovers(settings, say);
    results.push(failover.result);
    lines.push(failover.line);
  }
  return { results, lines };
}
