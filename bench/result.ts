import type { Summary } from './stats.ts';

/** One row of the bench's table and of bench/results.json. */
export interface Result extends Summary {
  id: string;
  scenario: string;
  app: 'hoist' | 'bolt-baseline' | 'bullmq-baseline' | 'kubectl-baseline' | 'hono-baseline' | 'node-baseline' | 'prom-client-baseline' | 'argocd-documented';
  /**
   * ack: slash command → HTTP answer; card: command → card posted; handoff: one action's
   * end → the next one's start in the same environment; recovery: SIGKILL of the executing
   * worker → the moment named; final: request → the deployment's final status; detect: a pod
   * reporting a failure → the failure reported; start: the last needed Approve (or, for the
   * baseline, the request where nothing waits for approval) → the deployment's rollout start;
   * read: a GET's due time → the end of its answer; deliver: an event appended (or, for the
   * baseline, broadcast) → each stream client's receipt, or a deployment's final status (or,
   * for the baseline, a bare POST sent) → the webhook receiver's receipt; scrape: a GET /metrics
   * → the end of its answer.
   */
  measure: 'ack' | 'card' | 'handoff' | 'recovery' | 'final' | 'detect' | 'start' | 'read' | 'deliver' | 'scrape';
  load: string;
  notes?: Record<string, unknown>;
}
