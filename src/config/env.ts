import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { parseSlackEnv, type SlackEnv } from './slack-env.ts';

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const schema = z.object({
  DATABASE_URL: optionalString,
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  HOIST_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:{}-]+$/, 'letters, digits and _ . : { } - only')
    .default('hoist'),
  SLACK_BOT_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_API_URL: z.string().url().default('https://slack.com/api/'),
  SLACK_POSTS_PER_SECOND: optionalString.pipe(z.coerce.number<string | undefined>({ error: 'expected messages per second per channel, e.g. 1' }).positive({ error: 'expected a number above 0, e.g. 1' }).max(1000).optional()),
  GITHUB_TOKEN: optionalString,
  GITHUB_API_URL: z.string().url().default('https://api.github.com'),
  KUBECONFIG: optionalString,
  DOCKER_HOST: optionalString,
  HOIST_REGISTRY_URL: optionalString,
  HOIST_REGISTRY_USERNAME: optionalString,
  HOIST_REGISTRY_PASSWORD: optionalString,
  HOIST_CONFIG: z.string().default('./hoist.yaml'),
  HOIST_DATA_DIR: z.string().default('./.hoist'),
  HOIST_API_TOKENS: optionalString,
  HOIST_ADMIN_TOKEN_FILE: optionalString,
  HOIST_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  HOIST_METRICS: z.enum(['on', 'off'], { error: 'expected on or off' }).default('on'),
  HOIST_METRICS_PORT: optionalString.pipe(z.coerce.number<string | undefined>({ error: 'expected a port number (1-65535)' }).int().min(1).max(65535).optional()),
  HOIST_PUBLIC_URL: optionalString.pipe(z.url({ protocol: /^https?$/, error: 'expected the http(s) URL people open Hoist at, e.g. https://hoist.example.com' }).optional()),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Env {
  databaseUrl: string | null;
  redisUrl: string;
  redisPrefix: string;
  /** Slack and how it reaches Hoist (HTTP or Socket Mode); null: no Slack. */
  slack: SlackEnv | null;
  githubToken: string | null;
  githubApiUrl: string;
  kubeconfig: string | null;
  dockerHost: string | null;
  registry: { url: string | null; username: string | null; password: string | null };
  configPath: string;
  dataDir: string;
  apiTokens: string[];
  /** Where the local admin token's secret is kept (made at first start); null: none. */
  adminTokenFile: string | null;
  workerConcurrency: number;
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

/** Parses the environment once. Errors name the variable, never its value. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError('ENV_INVALID', `invalid environment variable(s):\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const slack = parseSlackEnv(e);
  const variables = new Map(Object.entries(source).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  return Object.freeze({
    databaseUrl: e.DATABASE_URL ?? null,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.HOIST_REDIS_PREFIX,
    slack,
    githubToken: e.GITHUB_TOKEN ?? null,
    githubApiUrl: e.GITHUB_API_URL,
    kubeconfig: e.KUBECONFIG ?? null,
    dockerHost: e.DOCKER_HOST ?? null,
    registry: {
      url: e.HOIST_REGISTRY_URL ?? null,
      username: e.HOIST_REGISTRY_USERNAME ?? null,
      password: e.HOIST_REGISTRY_PASSWORD ?? null,
    },
    configPath: e.HOIST_CONFIG,
    dataDir: e.HOIST_DATA_DIR,
    apiTokens: (e.HOIST_API_TOKENS ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    adminTokenFile: e.HOIST_ADMIN_TOKEN_FILE ?? null,
    workerConcurrency: e.HOIST_WORKER_CONCURRENCY,
    metrics: e.HOIST_METRICS === 'off' ? null : { port: e.HOIST_METRICS_PORT ?? null },
    publicUrl: e.HOIST_PUBLIC_URL === undefined ? null : e.HOIST_PUBLIC_URL.replace(/\/+$/, ''),
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    variable: (name: string) => variables.get(name),
  });
}
