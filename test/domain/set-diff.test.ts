import { describe, expect, it } from 'vitest';
import { durationText, parseDuration } from '../../src/domain/duration.ts';
import { diffSets, unifiedDiff } from '../../src/domain/set-diff.ts';

const set = (over: { web?: Record<string, unknown>; services?: unknown[]; target?: string } = {}) => ({
  target: over.target ?? 'engine',
  namespace: 'shop-prod',
  services: over.services ?? [
    { name: 'db', type: 'database', version: 'postgres:16', env: {} },
    { name: 'web', type: 'application', version: 'a'.repeat(40), env: { GREETING: 'hi' }, command: ['httpd', '-f'], ...over.web },
  ],
});

describe('diffSets', () => {
  it('names each difference by path, matching services by name', () => {
    const changes = diffSets(set(), set({ web: { version: 'b'.repeat(40), env: { GREETING: 'hello', MODE: 'x' } } }));
    expect(changes).toEqual([
      { path: 'services[web].env.GREETING', kind: 'changed', before: 'hi', after: 'hello' },
      { path: 'services[web].env.MODE', kind: 'added', before: null, after: 'x' },
      { path: 'services[web].version', kind: 'changed', before: 'a'.repeat(40), after: 'b'.repeat(40) },
    ]);
  });

  it('reports an added or removed service as one change, and lists of values as a whole', () => {
    const three = set({
      services: [
        { name: 'db', type: 'database', version: 'postgres:16', env: {} },
        { name: 'cache', type: 'container', version: 'redis:7' },
        { name: 'web', type: 'application', version: 'a'.repeat(40), env: { GREETING: 'hi' }, command: ['httpd', '-f'] },
      ],
    });
    expect(diffSets(set(), three)).toEqual([{ path: 'services[cache]', kind: 'added', before: null, after: { name: 'cache', type: 'container', version: 'redis:7' } }]);
    expect(diffSets(three, set())).toEqual([{ path: 'services[cache]', kind: 'removed', before: { name: 'cache', type: 'container', version: 'redis:7' }, after: null }]);
    expect(diffSets(set(), set({ web: { command: ['httpd', '-v'] } }))).toEqual([
      { path: 'services[web].command', kind: 'changed', before: ['httpd', '-f'], after: ['httpd', '-v'] },
    ]);
    expect(diffSets(set(), set())).toEqual([]);
  });

  it('matches Kubernetes objects by kind and name, and containers by name', () => {
    const objects = (image: string, withService = true) => [
      ...(withService ? [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 8080 }] } }] : []),
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', annotations: { 'hoist.dev/deployment-id': image === 'web:1' ? '1' : '2' } },
        spec: { template: { spec: { containers: [{ name: 'web', image }] } } },
      },
    ];
    const changes = diffSets(set({ web: { manifests: objects('web:1') } }), set({ web: { manifests: objects('web:2', false) } }));
    expect(changes).toEqual([
      { path: 'services[web].manifests[Service/web]', kind: 'removed', before: objects('web:1')[0], after: null },
      { path: 'services[web].manifests[Deployment/web].metadata.annotations["hoist.dev/deployment-id"]', kind: 'changed', before: '1', after: '2' },
      { path: 'services[web].manifests[Deployment/web].spec.template.spec.containers[web].image', kind: 'changed', before: 'web:1', after: 'web:2' },
    ]);
  });

  it('writes a unified diff of the canonical texts with hunk headers', () => {
    const text = unifiedDiff(set(), set({ target: 'edge' }), { before: '#1', after: '#2' });
    const lines = text.split('\n');
    expect(lines.slice(0, 2)).toEqual(['--- #1', '+++ #2']);
    expect(lines).toContain('-  "target": "engine"');
    expect(lines).toContain('+  "target": "edge"');
    expect(lines.filter((l) => l.startsWith('@@'))).toHaveLength(1);
    expect(lines.find((l) => l.startsWith('@@'))).toMatch(/^@@ -\d+,\d+ \+\d+,\d+ @@$/);
    expect(unifiedDiff(set(), set(), { before: '#1', after: '#2' })).toBe('');
  });
});

describe('parseDuration', () => {
  it.each([
    ['3s', 3_000],
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['7d', 604_800_000],
    ['2H', 7_200_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(parseDuration(durationText(ms))).toBe(ms);
  });

  it.each(['', '0s', '2', 'h', '-1h', '1.5h', '2 hours', '1w'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});
