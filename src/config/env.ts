import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { parseRedisEnv, type RedisEndpoint } from './redis-env.ts';
import { parseSlackEnv, type SlackEnv } from './slack-env.ts';

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** Connections to Postgres a process holds at most unless DATABASE_POOL_SIZE says otherwise. */
export const DEFAULT_DATABASE_POOL_SIZE = 10;

const schema = z.object({
  DATABASE_URL: optionalString,
  DATABASE_POOL_SIZE: optionalString.pipe(
    z.coerce
      .number<string | undefined>({ error: 'expected a number of connections, e.g. 10' })
      .int({ error: 'expected a whole number of connections, e.g. 10' })
      .min(1, { error: 'expected at least 1 connection' })
      .max(1000, { error: 'expected at most 1000 connections (each is a Postgres backend)' })
      .optional(),
  ),
  DATABASE_PREPARED_STATEMENTS: z.enum(['on', 'off'], { error: 'expected on or off (off only behind a PgBouncer older than 1.21 in transaction mode)' }).default('on'),
  REDIS_URL: optionalString,
  REDIS_CLUSTER: optionalString,
  REDIS_SENTINELS: optionalString,
  REDIS_SENTINEL_MASTER: optionalString,
  REDIS_USERNAME: optionalString,
  REDIS_PASSWORD: optionalString,
  REDIS_SENTINEL_PASSWORD: optionalString,
  REDIS_TLS: optionalString.pipe(z.enum(['on', 'off'], { error: 'expected on or off (TLS to the cluster nodes or to the Sentinels and their master)' }).optional()),
  REDIS_TLS_CA_FILE: optionalString,
  REDIS_TLS_CERT_FILE: optionalString,
  REDIS_TLS_KEY_FILE: optionalString,
  HOIST_REDIS_PREFIX: optionalString,
  SLACK_BOT_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_API_URL: z.string().url().default('https://slack.com/api/'),
  SLACK_POSTS_PER_SECOND: optionalString.pipe(z.coerce.number<string | undefined>({ error: 'expected messages per second per channel, e.g. 1' }).positive({ error: 'expected a number above 0, e.g. 1' }).max(1000).optional()),
  GITHUB_TOKEN: optionalString,
  GITHUB_API_URL: z.string().url().default('https://api.github.com'),
  GITHUB_APP_ID: optionalString.pipe(z.string().regex(/^[0-9]+$/, "expected the GitHub App's numeric App ID (its settings page shows it)").optional()),
  GITHUB_APP_PRIVATE_KEY: optionalString.pipe(
    z
      .string()
      .transform((v) => v.replace(/\\n/g, '\n'))
      .pipe(z.string().regex(/^-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+-----END (RSA )?PRIVATE KEY-----$/, "expected the PEM text of the GitHub App's private key (-----BEGIN RSA PRIVATE KEY----- …), newlines as they are or as \\n"))
      .optional(),
  ),
  GITHUB_WEBHOOK_SECRET: optionalString,
  KUBECONFIG: optionalString,
  DOCKER_HOST: optionalString,
  HOIST_REGISTRY_URL: optionalString,
  HOIST_REGISTRY_USERNAME: optionalString,
  HOIST_REGISTRY_PASSWORD: optionalString,
  HOIST_CONFIG: z.string().default('./hoist.yaml'),
  HOIST_DATA_DIR: z.string().default('./.hoist'),
  HOIST_SECRETS_DIR: optionalString,
  HOIST_API_TOKENS: optionalString,
  HOIST_ADMIN_TOKEN_FILE: optionalString,
  HOIST_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  HOIST_WORKER_DRAIN_SECONDS: z.coerce.number({ error: 'expected seconds, e.g. 600' }).int({ error: 'expected whole seconds, e.g. 600' }).min(0).max(86_400).default(600),
  HOIST_METRICS: z.enum(['on', 'off'], { error: 'expected on or off' }).default('on'),
  HOIST_METRICS_PORT: optionalString.pipe(z.coerce.number<string | undefined>({ error: 'expected a port number (1-65535)' }).int().min(1).max(65535).optional()),
  HOIST_PUBLIC_URL: optionalString.pipe(z.url({ protocol: /^https?$/, error: 'expected the http(s) URL people open Hoist at, e.g. https://hoist.example.com' }).optional()),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Env {
  databaseUrl: string | null;
  /** The most connections to Postgres this process holds at once (DATABASE_POOL_SIZE). */
  databasePoolSize: number;
  /** Statements sent again and again go as named prepared statements (DATABASE_PREPARED_STATEMENTS). */
  databasePreparedStatements: boolean;
  /** One node, a cluster, or a Sentinel-managed master. */
  redis: RedisEndpoint;
  /** What Hoist's and its queues' keys start with (hash-tagged on a cluster). */
  redisPrefix: string;
  /** Slack and how it reaches Hoist (HTTP or Socket Mode); null: no Slack. */
  slack: SlackEnv | null;
  /**
   * How Hoist talks to GitHub's API: a token, or as a GitHub App through each repository's
   * installation; null: GitHub's API is not used (repositories are still fetched with git).
   */
  github: GitHubCredentials | null;
  githubApiUrl: string;
  /** The secret GitHub signs webhook deliveries with; null: `/webhooks/github` is not served. */
  githubWebhookSecret: string | null;
  kubeconfig: string | null;
  dockerHost: string | null;
  registry: { url: string | null; username: string | null; password: string | null };
  configPath: string;
  dataDir: string;
  /** Docker targets read a secret reference's value from `<secretsDir>/<secret>/<key>` at rollout; null: not set (such a rollout fails saying so). */
  secretsDir: string | null;
  apiTokens: string[];
  /** Where the local admin token's secret is kept (made at first start); null: none. */
  adminTokenFile: string | null;
  workerConcurrency: number;
  /** How long a stopping worker lets its deployments finish before it cancels them, in ms. */
  workerDrainMs: number;
  /** `GET /metrics`: null when HOIST_METRICS=off; `port` null: served on PORT beside the API. */
  metrics: { port: number | null } | null;
  /** The base URL people open Hoist at (dashboard links in webhooks and cards); null: not known. */
  publicUrl: string | null;
  port: number;
  host: string;
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  /**
   * A variable that hoist.yaml names (a webhook's `secretEnv`), as the environment held it
   * when parsed: the one way the rest of Hoist reads a variable it does not know in advance.
   */
  variable(name: string): string | undefined;
}

export type GitHubCredentials = { kind: 'token'; token: string } | { kind: 'app'; appId: string; privateKey: string };

/** GITHUB_TOKEN or a GitHub App (both of its variables), never both: which one acts must not depend on an order. */
function githubCredentials(e: { GITHUB_TOKEN?: string | undefined; GITHUB_APP_ID?: string | undefined; GITHUB_APP_PRIVATE_KEY?: string | undefined }): GitHubCredentials | null {
  const app = e.GITHUB_APP_ID !== undefined || e.GITHUB_APP_PRIVATE_KEY !== undefined;
  if (e.GITHUB_TOKEN !== undefined && app) {
    throw new ConfigError('ENV_INVALID', 'GITHUB_TOKEN and GITHUB_APP_ID/GITHUB_APP_PRIVATE_KEY are both set: Hoist acts on GitHub either with a token or as a GitHub App; unset one of them');
  }
  if (e.GITHUB_TOKEN !== undefined) return { kind: 'token', token: e.GITHUB_TOKEN };
  if (!app) return null;
  if (e.GITHUB_APP_ID === undefined) throw new ConfigError('ENV_INVALID', 'GITHUB_APP_ID is not set: a GitHub App needs both GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY');
  if (e.GITHUB_APP_PRIVATE_KEY === undefined) throw new ConfigError('ENV_INVALID', 'GITHUB_APP_PRIVATE_KEY is not set: a GitHub App needs both GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY');
  return { kind: 'app', appId: e.GITHUB_APP_ID, privateKey: e.GITHUB_APP_PRIVATE_KEY };
}

/** Parses the environment once. Errors name the variable, never its value. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError('ENV_INVALID', `invalid environment variable(s):\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  if (e.DATABASE_POOL_SIZE !== undefined && e.DATABASE_URL === undefined) {
    throw new ConfigError(
      'ENV_INVALID',
      'DATABASE_POOL_SIZE is set without DATABASE_URL: it sizes the connections to a Postgres server, and the embedded database has none; set DATABASE_URL, or leave DATABASE_POOL_SIZE out',
    );
  }
  const slack = parseSlackEnv(e);
  const redis = parseRedisEnv(e);
  const variables = new Map(Object.entries(source).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  return Object.freeze({
    databaseUrl: e.DATABASE_URL ?? null,
    databasePoolSize: e.DATABASE_POOL_SIZE ?? DEFAULT_DATABASE_POOL_SIZE,
    databasePreparedStatements: e.DATABASE_PREPARED_STATEMENTS === 'on',
    redis: redis.endpoint,
    redisPrefix: redis.prefix,
    slack,
    github: githubCredentials(e),
    githubApiUrl: e.GITHUB_API_URL.replace(/\/+$/, ''),
    githubWebhookSecret: e.GITHUB_WEBHOOK_SECRET ?? null,
    kubeconfig: e.KUBECONFIG ?? null,
    dockerHost: e.DOCKER_HOST ?? null,
    registry: {
      url: e.HOIST_REGISTRY_URL ?? null,
      username: e.HOIST_REGISTRY_USERNAME ?? null,
      password: e.HOIST_REGISTRY_PASSWORD ?? null,
    },
    configPath: e.HOIST_CONFIG,
    dataDir: e.HOIST_DATA_DIR,
    secretsDir: e.HOIST_SECRETS_DIR ?? null,
    apiTokens: (e.HOIST_API_TOKENS ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    adminTokenFile: e.HOIST_ADMIN_TOKEN_FILE ?? null,
    workerConcurrency: e.HOIST_WORKER_CONCURRENCY,
    workerDrainMs: e.HOIST_WORKER_DRAIN_SECONDS * 1000,
    metrics: e.HOIST_METRICS === 'off' ? null : { port: e.HOIST_METRICS_PORT ?? null },
    publicUrl: e.HOIST_PUBLIC_URL === undefined ? null : e.HOIST_PUBLIC_URL.replace(/\/+$/, ''),
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    variable: (name: string) => variables.get(name),
  });
}
