import { z } from 'zod';
import { DEFAULT_APPROVAL_ACTIONS } from '../domain/approval.ts';
import { ACTION_VERBS } from '../domain/command.ts';
import { CPU_QUANTITY, MEMORY_QUANTITY } from '../domain/resources.ts';
import { SERVICE_TYPES } from '../domain/service-order.ts';
import { isSecretKey, isSecretName } from '../domain/secret-refs.ts';
import { WEBHOOK_EVENTS } from '../domain/webhook.ts';

const NAME = /^[a-z][a-z0-9-]{0,39}$/;
/** Names appear in chat commands, namespaces and container names: one spelling, lowercase. */
const name = (what: string) =>
  z.string().regex(NAME, {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is not a valid ${what} name: names are lowercase letters, digits and "-", ` +
      `starting with a letter, at most 40 characters (${NAME.source})`,
  });
const duration = z
  .string()
  .regex(/^\d+(s|m|h|d)$/, 'expected a duration such as 90s, 30m, 24h or 7d');

const targetSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('docker'), host: z.string().optional() }),
  z.strictObject({
    kind: z.literal('kubernetes'),
    context: z.string().optional(),
    inCluster: z.boolean().optional(),
    /** Secrets (made by an administrator) the pods pull images with: a private registry. */
    imagePullSecrets: z.array(z.string().min(1)).optional(),
  }),
]);

const buildSchema = z.strictObject({
  context: z.string().default('.'),
  dockerfile: z.string().default('Dockerfile'),
});

const healthSchema = z.strictObject({
  path: z.string().startsWith('/', 'expected a path starting with "/"').default('/'),
  timeout: duration.default('30s'),
});

const amounts = z.strictObject({
  cpu: z.string().regex(CPU_QUANTITY, 'expected CPUs such as 500m, 1 or 1.5').optional(),
  memory: z.string().regex(MEMORY_QUANTITY, 'expected memory such as 256Mi, 1Gi or 512M').optional(),
});
const resourcesSchema = z.strictObject({ requests: amounts.optional(), limits: amounts.optional() });

const secretName = z.string().refine(isSecretName, {
  error: (issue) => `${JSON.stringify(issue.input)} is not a secret name: lowercase letters, digits, "-" and "." (a Kubernetes Secret's name, and a directory under HOIST_SECRETS_DIR)`,
});
const secretKey = z.string().refine(isSecretKey, {
  error: (issue) => `${JSON.stringify(issue.input)} is not a key of a secret: letters, digits, "-", "_" and "." (a key of a Kubernetes Secret, and a file name)`,
});
/** `DB_PASSWORD: { secret: shop-db, key: password }`: the value is the secret's key, never written here. */
const secretKeyRefSchema = z.strictObject({ secret: secretName, key: secretKey });
const envValue = z.union([z.string(), secretKeyRefSchema], {
  error: 'expected a value (a string: quote numbers and true/false) or a secret reference { secret: shop-db, key: password }',
});
/** `envFrom: [{ secret: shop-db }]`: every key of the secret becomes a variable of the same name. */
const envFromSchema = z.array(z.strictObject({ secret: secretName }));

const serviceFields = {
  build: buildSchema.optional(),
  image: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  replicas: z.number().int().min(0).max(1000).optional(),
  health: healthSchema.optional(),
  command: z.array(z.string()).optional(),
  env: z.record(z.string(), envValue).optional(),
  envFrom: envFromSchema.optional(),
  schedule: z.string().optional(),
  storage: z.string().optional(),
  /** database: where its volume mounts in the container (default: the well-known image's data directory). */
  path: z.string().startsWith('/', 'expected an absolute path in the container, such as /var/lib/data').optional(),
  /** lifecycle-job: the longest one run may take (default 10m). */
  timeout: duration.optional(),
  /** `{ requests: { cpu: 250m, memory: 128Mi }, limits: { memory: 256Mi } }` */
  resources: resourcesSchema.optional(),
};

const serviceSchema = z.strictObject({
  type: z.enum(SERVICE_TYPES),
  ...serviceFields,
  /** Keys of `env` whose values are not secret: shown in clear where every other value is masked. */
  publicEnv: z.array(z.string().min(1)).optional(),
});
const overrideSchema = z.strictObject({
  replicas: serviceFields.replicas,
  env: serviceFields.env,
  envFrom: serviceFields.envFrom,
  command: serviceFields.command,
  port: serviceFields.port,
  resources: serviceFields.resources,
});

const approvers = z.array(z.string().min(1));
const positive = z.number({ error: 'expected a positive integer' }).int('expected a positive integer').positive('expected a positive integer');

/** `required` with `approvers` is the shorthand for one rule; `rules` lists several (hoist-config.ts refuses both at once). */
const approvalSchema = z.strictObject({
  required: positive.optional(),
  approvers: approvers.optional(),
  rules: z.array(z.strictObject({ approvers, count: positive })).optional(),
  selfApproval: z.boolean().default(false),
  timeout: duration.default('24h'),
  remindEvery: duration.optional(),
  actions: z.array(z.enum(ACTION_VERBS)).default([...DEFAULT_APPROVAL_ACTIONS]),
  bypass: z.array(z.string().min(1)).default([]),
});

/** `{ require: all | [names], timeout: 10m }`: the commit's CI checks must pass before a deploy goes ahead (see domain/checks.ts). */
const checksSchema = z.strictObject({
  require: z
    .union([z.literal('all'), z.array(z.string().min(1, 'a check name is not empty')).min(1, 'name at least one check, or write `require: all`')], {
      error: 'expected `all` or a list of check names (commit status contexts or check run names), such as [ci/build, lint]',
    })
    .default('all'),
  timeout: duration.default('10m'),
});

/** `{ url, events, secretEnv }`: whom to tell of which deployment events, signed with the secret in that variable. */
const webhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'expected the http(s) URL of the receiver, such as https://ci.example.com/hoist' }),
  events: z
    .array(z.enum(WEBHOOK_EVENTS, { error: `expected events among ${WEBHOOK_EVENTS.join(', ')}` }))
    .min(1, `name at least one event: ${WEBHOOK_EVENTS.join(', ')}`),
  secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, {
    error: (issue) => `${JSON.stringify(issue.input)} is not an environment variable name: expected uppercase letters, digits and "_", such as HOOK_SECRET (the name, not the secret)`,
  }),
});
const webhooks = z.array(webhookSchema).default([]);

const environmentSchema = z.strictObject({
  target: z.string(),
  /** A production environment: GitHub's `production_environment`, and what notifications treat as production. */
  production: z.boolean({ error: 'expected true or false: whether this is a production environment' }).default(false),
  /** How loudly failures are told: `{ broadcastFailures: true, mention: ["@oncall"], channel: C0INCIDENTS }`. */
  notify: z
    .strictObject({
      broadcastFailures: z.boolean({ error: 'expected true or false: whether a failure is also shown in the channel, not only in the thread' }).optional(),
      mention: z.array(z.string().regex(/^(@[a-z0-9][a-z0-9._-]*|[UW][A-Z0-9]{2,})$/, 'expected a Slack user id (U0ALICE) or a user group handle (@oncall)')).default([]),
      channel: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'expected a Slack channel id such as C0INCIDENTS').optional(),
    })
    .optional(),
  namespace: z.string().optional(),
  branch: z.string().optional(),
  /**
   * `true`: GitHub's push webhook deploys each push to `branch`; `{ poll: 1m }`: Hoist checks
   * the branch's head with `git ls-remote` at that interval (any git repository).
   */
  autoDeploy: z
    .union([z.boolean(), z.strictObject({ poll: duration })], {
      error: 'expected true (deploy on GitHub push webhooks), false, or { poll: 1m } (check the branch with git ls-remote every minute)',
    })
    .default(false),
  overrides: z.record(z.string(), overrideSchema).default({}),
  /** docker target: host port that serves a service, e.g. `{ web: 8080 }`. */
  expose: z.record(z.string(), z.number().int().min(1).max(65535)).default({}),
  deployers: z.array(z.string()).optional(),
  approval: approvalSchema.optional(),
  checks: checksSchema.optional(),
  onFailure: z.enum(['stop', 'rollback']).default('stop'),
  lock: z.strictObject({ ttl: duration.optional() }).optional(),
  /** `supersede`: a newer deploy of the same services replaces an older one still waiting. */
  queue: z.strictObject({ supersede: z.boolean().default(false) }).default({ supersede: false }),
  /** Told of this environment's deployments, besides the app's `webhooks`. */
  webhooks,
});

const appSchema = z.strictObject({
  repo: z.string().min(1),
  /** The repository on GitHub (`owner/repo`): derived from a github.com `repo`, written out otherwise (a mirror, GitHub Enterprise, a local path). */
  github: z
    .string()
    .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/, 'expected owner/repo as on GitHub, e.g. acme/shop')
    .refine((v) => !v.endsWith('.git'), 'expected owner/repo without .git, e.g. acme/shop')
    .optional(),
  channels: z.array(z.string()).default([]),
  services: z.record(name('service'), serviceSchema),
  environments: z.record(name('environment'), environmentSchema),
  /** Told of every environment's deployments. */
  webhooks,
});

export const hoistFileSchema = z.strictObject({
  targets: z.record(name('target'), targetSchema),
  registry: z.strictObject({ url: z.string().min(1) }).optional(),
  apps: z.record(name('app'), appSchema),
});

export type HoistFile = z.infer<typeof hoistFileSchema>;
export type TargetConfig = z.infer<typeof targetSchema>;
export type ServiceFileConfig = z.infer<typeof serviceSchema>;
export type EnvironmentFileConfig = z.infer<typeof environmentSchema>;
export type ApprovalFileConfig = z.infer<typeof approvalSchema>;
export type ChecksFileConfig = z.infer<typeof checksSchema>;
export type AppFileConfig = z.infer<typeof appSchema>;
export type WebhookFileConfig = z.infer<typeof webhookSchema>;
