import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createMetricsServer, type MetricsSource } from '../src/http/metrics-endpoint.ts';
import { createMetrics } from '../src/service/metrics.ts';
import { openDatabase, type DatabaseHandle } from '../src/store/database.ts';
import { readMetrics } from '../src/store/metrics.ts';
import { migrateToLatest } from '../src/store/migrator.ts';
import { createTestDatabase } from '../test/support/databases.ts';
import { environmentsOf, seedHistory, type MetricsSeed } from './metrics-seed.ts';
import { pgCounter } from './pg-counter.ts';
import type { Result } from './result.ts';
import { summarize } from './stats.ts';

/**
 * `--scenarios metrics`: `GET /metrics` with 100 environments and 10,000 finished deployments
 * recorded (bench/metrics-seed.ts), through the same registry, statement and HTTP handler a
 * Hoist serves on HOIST_METRICS_PORT, on Postgres and on the embedded PGlite:
 *
 * - steady: one scrape after another, as Prometheus does, once the process has read the
 *   history (the settled deployments are kept; each scrape reads what came after them);
 * - cold: the first scrape of a fresh process, which reads the whole history;
 * - baseline, in the same run and through the same HTTP handler: prom-client's default
 *   process metrics alone.
 *
 * Beside the times, figures that do not depend on the machine: Postgres statements per
 * scrape (pg's, counted in this process), the series and bytes each scrape returns.
 */
export interface MetricsBenchSettings {
  scrapes: number;
  environments: number;
  deployments: number;
}

const silent = pino({ level: 'silent' });

async function listen(source: MetricsSource): Promise<{ url: string; server: Server }> {
  const server = createMetricsServer(source, silent);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, server };
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** One GET: its time in ms, the series (sample lines) and bytes it returned. */
async function scrapeOnce(url: string): Promise<{ ms: number; series: number; bytes: number }> {
  const started = performance.now();
  const res = await fetch(url);
  const text = await res.text();
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${text.slice(0, 200)}`);
  return { ms, series: text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length, bytes: Buffer.byteLength(text) };
}

/** `count` scrapes one after another (after one not counted): their summary and the last one's size. */
async function scrapes(url: string, count: number, counter: ReturnType<typeof pgCounter> | null) {
  await scrapeOnce(url);
  counter?.start();
  const samples = [];
  for (let i = 0; i < count; i++) samples.push(await scrapeOnce(url));
  const statements = counter?.stop().statements ?? null;
  const last = samples.at(-1);
  return {
    summary: summarize(samples.map((s) => s.ms), 0),
    series: last?.series ?? 0,
    bytes: last?.bytes ?? 0,
    statementsPerScrape: statements === null ? null : Math.round((statements / count) * 100) / 100,
  };
}

/** The first scrape of `count` fresh registries (a process just started): each reads the whole history. */
async function coldScrapes(handle: DatabaseHandle, seed: MetricsSeed, count: number, counter: ReturnType<typeof pgCounter> | null) {
  const times: number[] = [];
  counter?.start();
  for (let i = 0; i < count; i++) {
    const metrics = createMetrics({ read: (upTo) => readMetrics(handle.db, upTo), environments: environmentsOf(seed), logger: silent });
    const { url, server } = await listen(metrics);
    try {
      times.push((await scrapeOnce(url)).ms);
    } finally {
      await close(server);
      metrics.close();
    }
  }
  const statements = counter?.stop().statements ?? null;
  return { summary: summarize(times, 0), statementsPerScrape: statements === null ? null : Math.round((statements / count) * 100) / 100 };
}

async function openStore(kind: 'postgres' | 'pglite'): Promise<{ handle: DatabaseHandle; remove(): Promise<void> }> {
  if (kind === 'postgres') {
    const database = await createTestDatabase();
    const handle = await openDatabase({ url: database.url, dataDir: tmpdir() });
    return { handle, remove: async () => { await handle.close(); await database.drop(); } };
  }
  const dir = mkdtempSync(join(tmpdir(), 'hoist-bench-metrics-'));
  const handle = await openDatabase({ url: null, dataDir: dir });
  return { handle, remove: async () => { await handle.close(); rmSync(dir, { recursive: true, force: true }); } };
}

export async function runMetricsBench(settings: MetricsBenchSettings, say: (line: string) => void): Promise<{ results: Result[]; lines: string[] }> {
  const apps = 10;
  const seed: MetricsSeed = { apps, envsPerApp: Math.max(1, Math.ceil(settings.environments / apps)), deployments: settings.deployments };
  const environments = seed.apps * seed.envsPerApp;
  const load = `${settings.scrapes} scrapes one after another; ${environments} environments, ${seed.deployments} deployments recorded`;
  const results: Result[] = [];
  const lines: string[] = [];
  const counter = pgCounter();

  say('… metrics: prom-client default metrics alone (baseline)');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hoist_' });
  const baseline = await listen({ contentType: registry.contentType, scrape: () => registry.metrics() });
  try {
    const run = await scrapes(baseline.url, settings.scrapes, null);
    results.push({ id: 'metrics-scrape-process-baseline', scenario: 'scrape, prom-client default metrics alone (baseline)', app: 'prom-client-baseline', measure: 'scrape', load, ...run.summary, notes: { series: run.series, bytes: run.bytes } });
  } finally {
    await close(baseline.server);
    registry.clear();
  }

  for (const kind of ['postgres', 'pglite'] as const) {
    say(`… metrics: ${seed.deployments} deployments in ${environments} environments on ${kind}`);
    const store = await openStore(kind);
    try {
      await migrateToLatest(store.handle.db);
      const seeding = performance.now();
      await seedHistory(store.handle.db, seed);
      say(`  recorded in ${Math.round(performance.now() - seeding)} ms`);
      const statements = kind === 'postgres' ? counter : null;
      const metrics = createMetrics({ read: (upTo) => readMetrics(store.handle.db, upTo), environments: environmentsOf(seed), logger: silent });
      const served = await listen(metrics);
      try {
        const steady = await scrapes(served.url, settings.scrapes, statements);
        const notes = { series: steady.series, bytes: steady.bytes, postgresStatementsPerScrape: steady.statementsPerScrape };
        results.push({ id: `metrics-scrape-hoist-${kind}`, scenario: `scrape /metrics (Hoist, ${kind})`, app: 'hoist', measure: 'scrape', load, ...steady.summary, notes });
      } finally {
        await close(served.server);
        metrics.close();
      }
      const coldCount = Math.max(1, Math.min(20, settings.scrapes));
      const cold = await coldScrapes(store.handle, seed, coldCount, statements);
      results.push({
        id: `metrics-scrape-cold-hoist-${kind}`,
        scenario: `first scrape of a fresh process (Hoist, ${kind}): the whole history read`,
        app: 'hoist',
        measure: 'scrape',
        load: `${coldCount} fresh registries, one scrape each; ${environments} environments, ${seed.deployments} deployments recorded`,
        ...cold.summary,
        notes: { postgresStatementsPerScrape: cold.statementsPerScrape },
      });
    } finally {
      await store.remove();
    }
  }

  const base = results.find((r) => r.id === 'metrics-scrape-process-baseline');
  for (const r of results) {
    if (r === base || base?.p50Ms == null || r.p50Ms === null) continue;
    const statements = r.notes?.postgresStatementsPerScrape;
    lines.push(
      `${r.scenario}: p50 ${r.p50Ms} ms / p99 ${r.p99Ms} ms beside the process metrics alone p50 ${base.p50Ms} ms / p99 ${base.p99Ms} ms` +
        `${statements == null ? '' : `; ${String(statements)} Postgres statement(s) per scrape`}${r.notes?.series === undefined ? '' : `; ${String(r.notes.series)} series, ${String(r.notes.bytes)} bytes`}`,
    );
  }
  return { results, lines };
}
