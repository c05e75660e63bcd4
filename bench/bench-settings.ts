/** The bench's options (`npm run bench -- --name value`), parsed once, and the names its parts share. */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const TOKEN = 'xoxb-bench-token';
export const SECRET = 'bench-signing-secret';
export const USER = 'U0BENCH';
export const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));
export const HOIST_LOG = fileURLToPath(new URL('./hoist.log', import.meta.url));
export const ORCHESTRATION_LOG = fileURLToPath(new URL('./hoist-orchestration.log', import.meta.url));
export const WORKERS_LOG = fileURLToPath(new URL('./hoist-workers.log', import.meta.url));
export const SCENARIOS = ['chat', 'handoff', 'throughput', 'recovery', 'kubernetes', 'burst', 'drain', 'approval', 'reads', 'events', 'webhooks', 'metrics', 'outbox-429', 'push', 'socket', 'redis'] as const;
export const KUBERNETES_LOG = fileURLToPath(new URL('./hoist-kubernetes.log', import.meta.url));

export const { values: flags } = parseArgs({
  options: {
    rate: { type: 'string', default: '100' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '20' },
    cards: { type: 'string', default: '50' },
    'card-gap': { type: 'string', default: '100' },
    'slack-rate-limit': { type: 'string', default: '1' },
    'drain-timeout': { type: 'string', default: '60' },
    'log-level': { type: 'string', default: 'warn' },
    scenarios: { type: 'string', default: SCENARIOS.join(',') },
    handoffs: { type: 'string', default: '100' },
    'deep-queue': { type: 'string', default: '50' },
    envs: { type: 'string', default: '100' },
    'per-env': { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '16' },
    'worker-processes': { type: 'string', default: '1,2,4' },
    'warm-rounds': { type: 'string', default: '40' },
    'throughput-runs': { type: 'string', default: '3' },
    'cpu-profile': { type: 'string' },
    'statement-callers': { type: 'boolean', default: false },
    kills: { type: 'string', default: '3' },
    'k8s-rounds': { type: 'string', default: '5' },
    burst: { type: 'string', default: '200' },
    approvals: { type: 'string', default: '50' },
    'read-rate': { type: 'string', default: '1000' },
    'read-duration': { type: 'string', default: '10' },
    'read-connections': { type: 'string', default: '50' },
    'event-clients': { type: 'string', default: '500' },
    'event-rounds': { type: 'string', default: '5' },
    'webhook-rounds': { type: 'string', default: '50' },
    'push-rounds': { type: 'string', default: '20' },
    'metrics-scrapes': { type: 'string', default: '200' },
    'metrics-envs': { type: 'string', default: '100' },
    'metrics-deployments': { type: 'string', default: '10000' },
    'outbox-deployments': { type: 'string', default: '20' },
    'redis-envs': { type: 'string', default: '20' },
    failovers: { type: 'string', default: '3' },
  },
});

export function positive(name: string, value: string | undefined, min = 0): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}`);
  return n;
}

export const settings = {
  ratePerSecond: positive('rate', flags.rate, 1),
  durationSeconds: positive('duration', flags.duration, 1),
  warmupSeconds: positive('warmup', flags.warmup),
  connections: positive('connections', flags.connections, 1),
  cards: positive('cards', flags.cards, 1),
  cardGapMs: positive('card-gap', flags['card-gap']),
  slackRateLimitPerChannelPerSecond: positive('slack-rate-limit', flags['slack-rate-limit']),
  slackBurst: 3,
  drainTimeoutSeconds: positive('drain-timeout', flags['drain-timeout'], 1),
};

export const wanted = new Set((flags.scenarios ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''));
for (const s of wanted) {
  if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`--scenarios: unknown "${s}"; known: ${SCENARIOS.join(', ')}`);
}
export const orchestration = {
  handoffs: positive('handoffs', flags.handoffs, 1),
  deepQueue: positive('deep-queue', flags['deep-queue']),
  envs: positive('envs', flags.envs, 1),
  perEnv: positive('per-env', flags['per-env'], 1),
  concurrency: positive('concurrency', flags.concurrency, 1),
  workerProcesses: (flags['worker-processes'] ?? '')
    .split(',')
    .filter((n) => n.trim() !== '')
    .map((n) => positive('worker-processes', n.trim()))
    .filter((n) => n > 0),
  warmRounds: positive('warm-rounds', flags['warm-rounds']),
  throughputRuns: positive('throughput-runs', flags['throughput-runs'], 1),
  cpuProfileDir: flags['cpu-profile'] ?? null,
  drainTimeoutSeconds: Math.max(120, settings.drainTimeoutSeconds),
  logLevel: flags['log-level'] ?? 'warn',
  logFile: ORCHESTRATION_LOG,
};
export const kills = positive('kills', flags.kills, 1);
export const reads = {
  ratePerSecond: positive('read-rate', flags['read-rate'], 1),
  durationSeconds: positive('read-duration', flags['read-duration'], 1),
  warmupSeconds: settings.warmupSeconds,
  connections: positive('read-connections', flags['read-connections'], 1),
};


export const loadLabel = `open loop ${settings.ratePerSecond} req/s for ${settings.durationSeconds} s (after ${settings.warmupSeconds} s warm-up), ${settings.connections} keep-alive connections`;
export const slackLabel =
  settings.slackRateLimitPerChannelPerSecond > 0
    ? `on: chat.postMessage ${settings.slackRateLimitPerChannelPerSecond}/s per channel, burst ${settings.slackBurst}; one channel per command`
    : 'off; one channel per command';
