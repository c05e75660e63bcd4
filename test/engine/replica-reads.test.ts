import { describe, expect, it } from 'vitest';
import { hasPreviousSample, usageOfStats, type StatsSample } from '../../src/engine/targets/container-usage.ts';
import { containerUsage, quantity } from '../../src/engine/targets/kubernetes/pod-usage.ts';
import { lineSplitter, mergeTails, replicaLogs, stampedLine, type ReplicaLogSource } from '../../src/engine/targets/replica-logs.ts';
import { secretMasker } from '../../src/domain/redact.ts';

/* The pure parts of reading a running app: stamped lines, tails merged by time, stats and quantities judged. */

describe('replica log lines', () => {
  it('takes the engine’s RFC 3339 stamp off a line, and leaves a line without one whole', () => {
    expect(stampedLine('web-0', '2026-12-05T22:30:41.540839716Z GET / 200')).toEqual({ replica: 'web-0', at: new Date('2026-12-05T22:30:41.540Z'), line: 'GET / 200' });
    expect(stampedLine('web-0', '2026-12-05T22:30:41Z ')).toEqual({ replica: 'web-0', at: new Date('2026-12-05T22:30:41Z'), line: '' });
    expect(stampedLine('web-0', 'no stamp here')).toEqual({ replica: 'web-0', at: null, line: 'no stamp here' });
  });

  it('splits chunks into whole lines, keeping a line cut between chunks for the next', () => {
    const split = lineSplitter();
    expect(split.push('one\ntw')).toEqual(['one']);
    expect(split.push('o\r\nthree')).toEqual(['two']);
    expect(split.end()).toEqual(['three']);
    expect(split.end()).toEqual([]);
  });

  it('merges replicas’ tails by time, keeps each replica’s order for equal times, and cuts to the newest N', () => {
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    const a = [{ replica: 'a', at: at(1), line: 'a1' }, { replica: 'a', at: at(3), line: 'a3' }, { replica: 'a', at: at(3), line: 'a3b' }];
    const b = [{ replica: 'b', at: at(2), line: 'b2' }, { replica: 'b', at: at(4), line: 'b4' }];
    expect(mergeTails([a, b], 10).map((l) => l.line)).toEqual(['a1', 'b2', 'a3', 'a3b', 'b4']);
    expect(mergeTails([a, b], 2).map((l) => l.line)).toEqual(['a3b', 'b4']);
    expect(mergeTails([a, b], 0)).toEqual([]);
  });

  it('a replica whose output cannot be read says so after the others’ lines, which it does not hide', async () => {
    const source = (replica: string, tail: () => Promise<string[]>): ReplicaLogSource => ({ replica, tail, live: () => ({ start: async () => undefined }) });
    const sources = [
      source('api-0', async () => ['2026-01-01T00:00:01Z up']),
      source('api-1', async () => {
        throw new Error('container "api" in pod "api-1" is waiting to start: CrashLoopBackOff');
      }),
    ];
    const lines = [];
    for await (const line of replicaLogs(sources, { tail: 10, follow: false, signal: new AbortController().signal })) lines.push(`${line.replica}: ${line.line}`);
    expect(lines).toEqual(['api-0: up', 'api-1: [hoist] its output cannot be read: container "api" in pod "api-1" is waiting to start: CrashLoopBackOff']);
  });

  it('masks a followed replica’s lines one at a time, a key block spanning lines whole', () => {
    const mask = secretMasker({ secrets: ['s3cr3t-value'], fingerprint: () => 'abcd1234' }).lineByLine();
    expect(['using s3cr3t-value', '-----BEGIN RSA PRIVATE KEY-----', 'MIIEow', '-----END RSA PRIVATE KEY-----', 'done'].map(mask)).toEqual([
      'using ••••abcd1234',
      '[redacted]',
      '[redacted]',
      '[redacted]',
      'done',
    ]);
  });
});

const sample = (read: string, total: number, extra: Partial<StatsSample> = {}): StatsSample => ({
  read,
  cpu_stats: { cpu_usage: { total_usage: total }, online_cpus: 2 },
  precpu_stats: { cpu_usage: { total_usage: 0 } },
  memory_stats: { usage: 50 * 1024 * 1024, limit: 1024 ** 3 },
  ...extra,
});

describe('container usage from the engine’s stats', () => {
  it('Docker: one answer carries the previous sample; CPU is its share of the system’s time times the CPUs', () => {
    const docker = sample('2026-12-05T22:00:01Z', 300_000_000, {
      cpu_stats: { cpu_usage: { total_usage: 300_000_000 }, system_cpu_usage: 12_000_000_000, online_cpus: 2 },
      precpu_stats: { cpu_usage: { total_usage: 200_000_000 }, system_cpu_usage: 10_000_000_000 },
      memory_stats: { usage: 60 * 1024 * 1024, limit: 1024 ** 3, stats: { inactive_file: 10 * 1024 * 1024 } },
    });
    expect(hasPreviousSample(docker)).toBe(true);
    expect(usageOfStats('web', docker, null)).toEqual({ replica: 'web', cpuCores: 0.1, memoryBytes: 50 * 1024 * 1024, memoryLimitBytes: 1024 ** 3 });
  });

  it('Podman: no previous sample; a second one half a second later gives the rate', () => {
    const first = sample('2026-12-05T22:00:00.000Z', 1_000_000_000);
    const later = sample('2026-12-05T22:00:00.500Z', 1_125_000_000);
    expect(hasPreviousSample(first)).toBe(false);
    expect(usageOfStats('web', first, null).cpuCores).toBeNull();
    expect(usageOfStats('web', first, later)).toEqual({ replica: 'web', cpuCores: 0.25, memoryBytes: 50 * 1024 * 1024, memoryLimitBytes: 1024 ** 3 });
  });

  it('says nothing it does not know', () => {
    expect(usageOfStats('web', { read: '2026-12-05T22:00:00Z' }, null)).toEqual({ replica: 'web', cpuCores: null, memoryBytes: null, memoryLimitBytes: null });
  });
});

describe('pod usage from metrics.k8s.io', () => {
  it.each([
    ['12500000n', 0.0125],
    ['250m', 0.25],
    ['1', 1],
    ['512Ki', 524288],
    ['1.5Gi', 1.5 * 1024 ** 3],
    ['100M', 100e6],
    ['12x', null],
    ['', null],
  ])('quantity %s is %s', (text, value) => {
    expect(quantity(text)).toBe(value);
  });

  it('a container not sampled yet has no numbers, but its limit', () => {
    expect(containerUsage('api-0', null, '256Mi')).toEqual({ replica: 'api-0', cpuCores: null, memoryBytes: null, memoryLimitBytes: 256 * 1024 ** 2 });
    expect(containerUsage('api-0', { cpu: '2500000n', memory: '10240Ki' }, null)).toEqual({ replica: 'api-0', cpuCores: 0.0025, memoryBytes: 10240 * 1024, memoryLimitBytes: null });
  });
});
