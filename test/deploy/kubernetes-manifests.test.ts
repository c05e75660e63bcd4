import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseEnv } from '../../src/config/env.ts';
import { DEFAULT_DRAIN_MS } from '../../src/jobs/deployment-worker.ts';

const ROOT = join(import.meta.dirname, '../..');

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: Record<string, unknown>;
}

interface PodSpec {
  terminationGracePeriodSeconds?: number;
  containers: { args: string[]; env?: { name: string; value?: string }[]; readinessProbe?: { httpGet?: { path: string; port: string } } }[];
}

const manifests = (file: string): Manifest[] =>
  parseAllDocuments(readFileSync(join(ROOT, 'deploy/kubernetes', file), 'utf8')).map((d) => d.toJS() as Manifest);

function parts(file: string) {
  const docs = manifests(file);
  const deployment = docs.find((d) => d.kind === 'Deployment') as Manifest & {
    spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: { spec: PodSpec } };
  };
  const budget = docs.find((d) => d.kind === 'PodDisruptionBudget') as (Manifest & { apiVersion: string; spec: { minAvailable?: number; maxUnavailable?: number; selector: { matchLabels: Record<string, string> } } }) | undefined;
  return { deployment, budget, pod: deployment.spec.template.spec };
}

/** What the drain of a worker started with this container's environment would be, in seconds. */
function drainSeconds(pod: PodSpec): number {
  const vars = Object.fromEntries((pod.containers[0]?.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]));
  const drain = vars.HOIST_WORKER_DRAIN_SECONDS;
  return drain === undefined ? DEFAULT_DRAIN_MS / 1000 : parseEnv({ HOIST_WORKER_DRAIN_SECONDS: drain }).workerDrainMs / 1000;
}

describe('deploy/kubernetes runs Hoist as several servers and workers', () => {
  it.each(['server.yaml', 'worker.yaml'])('%s: several replicas, and a disruption budget that keeps one of them', (file) => {
    const { deployment, budget } = parts(file);
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(budget, `${file} has a PodDisruptionBudget`).toBeDefined();
    expect((budget as { apiVersion: string }).apiVersion).toBe('policy/v1');
    expect(budget?.metadata.namespace).toBe(deployment.metadata.namespace);
    // It selects exactly the Deployment's pods, and voluntary disruptions leave at least one.
    expect(budget?.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    const keeps = budget?.spec.minAvailable ?? deployment.spec.replicas - (budget?.spec.maxUnavailable ?? deployment.spec.replicas);
    expect(keeps).toBeGreaterThanOrEqual(1);
    expect(keeps).toBeLessThan(deployment.spec.replicas);
  });

  it('servers are ready only when /readyz says so', () => {
    const { pod } = parts('server.yaml');
    expect(pod.containers[0]?.args).toEqual(['server']);
    expect(pod.containers[0]?.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
  });

  it("a worker's grace period is longer than its drain, so SIGKILL never cuts the drain short", () => {
    const { pod } = parts('worker.yaml');
    expect(pod.containers[0]?.args).toEqual(['worker']);
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    // The drain, then the cancel of what is left (its revert) and the close of connections.
    expect(grace).toBeGreaterThanOrEqual(drainSeconds(pod) + 30);
  });
});
