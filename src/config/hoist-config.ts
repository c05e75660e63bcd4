import { defaultNotifyPolicy, type NotifyPolicy } from '../domain/notify-policy.ts';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ApprovalPolicy } from '../domain/approval.ts';
import { resourceConflict, type Resources } from '../domain/resources.ts';
import type { ServiceType } from '../domain/service-order.ts';
import type { SecretFromRef, SecretKeyRef } from '../domain/secret-refs.ts';
import { approvalPolicy } from './approval-config.ts';
import { autoDeployOf, type AutoDeploy } from './auto-deploy-config.ts';
import { checksPolicy } from './checks-config.ts';
import type { ChecksPolicy } from '../domain/checks.ts';
import { ConfigError } from './errors.ts';
import { checkServiceKeys, checkTargetFit, DEFAULT_JOB_TIMEOUT } from './target-fit.ts';
import {
  hoistFileSchema,
  type AppFileConfig,
  type EnvironmentFileConfig,
  type HoistFile,
  type TargetConfig,
} from './hoist-schema.ts';
import { environmentWebhooks, webhooksAt, type Variables, type WebhookConfig } from './webhook-config.ts';
import { readYamlMapping } from './yaml-document.ts';

export type { TargetConfig } from './hoist-schema.ts';
export type { Variables, WebhookConfig } from './webhook-config.ts';

export interface ServiceConfig {
  name: string;
  type: ServiceType;
  build: { context: string; dockerfile: string } | null;
  image: string | null;
  port: number | null;
  replicas: number;
  health: { path: string; timeoutMs: number } | null;
  command: string[] | null;
  env: Record<string, string>;
  /** Entries of `env` read from a key of a secret (`{ secret, key }`): references, the values are never in Hoist's configuration. */
  secretRefs: Record<string, SecretKeyRef>;
  /** `envFrom`: secrets whose every key becomes a variable. */
  envFrom: SecretFromRef[];
  /** Keys of `env` shown in clear (API, chat, logs); every other value is a secret. */
  publicEnv: string[];
  schedule: string | null;
  storage: string | null;
  /** database: where its volume mounts, as configured; null: the image's known data directory. */
  path: string | null;
  /** lifecycle-job: the longest one run may take (10m unless `timeout`); null for other types. */
  timeoutMs: number | null;
  /** CPU and memory requests and limits; null: the target's defaults. */
  resources: Resources | null;
}

export interface EnvironmentConfig {
  name: string;
  app: string;
  targetName: string;
  target: TargetConfig;
  /** Marked `production: true`: GitHub Deployments say so (`production_environment`), and so do notifications. */
  production: boolean;
  /** How loudly its failures are told (`notify:`; by default broadcast in the channel when production). */
  notify: NotifyPolicy;
  namespace: string;
  branch: string | null;
  /** Deploys on its own (pushes or polling): shown as automatic. */
  autoDeploy: boolean;
  /** How it deploys on its own: GitHub's push webhook, or polling the branch with git ls-remote. */
  autoDeployMode: AutoDeploy;
  expose: Record<string, number>;
  onFailure: 'stop' | 'rollback';
  /** Who must approve which actions before they run; null: nothing waits for approval. */
  approval: ApprovalPolicy | null;
  /** The commit's CI checks a deploy of it waits for (GitHub's statuses and check runs); null: none. */
  checks: ChecksPolicy | null;
  /** Who may deploy (and lock, and force an unlock): Slack user ids and `@group` handles; null: anyone. */
  deployers: string[] | null;
  /** The longest a manual lock may last, and how long one lasts without `--ttl`; null: until unlocked. */
  lockTtlMs: number | null;
  /** A newer deploy of the same scope replaces an older one still waiting. */
  supersede: boolean;
  /** The app's services with this environment's overrides applied. */
  services: ServiceConfig[];
  /** Who is told of this environment's deployments: the app's webhooks, then its own. */
  webhooks: WebhookConfig[];
  raw: EnvironmentFileConfig;
}

export interface AppConfig {
  name: string;
  /** A git URL, or an absolute path for a local repository. */
  repo: string;
  /** The repository on GitHub, where it is one: GitHub's API features (changelog, push deploys) work for it. */
  github: GitHubRepo | null;
  channels: string[];
  services: ServiceConfig[];
  environments: Map<string, EnvironmentConfig>;
  /** Every webhook of the app, each once: its own and its environments'. */
  webhooks: WebhookConfig[];
}

export interface GitHubRepo {
  owner: string;
  repo: string;
}

/** `acme/shop` from a github.com URL (https, ssh or scp-like); null for any other repository. */
export function githubRepoOf(url: string): GitHubRepo | null {
  const match = /^(?:https:\/\/(?:[^@/]+@)?github\.com\/|ssh:\/\/git@github\.com\/|git@github\.com:)([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+?)(?:\.git)?\/?$/i.exec(url);
  return match?.[1] && match[2] ? { owner: match[1], repo: match[2] } : null;
}

function githubOf(written: string | undefined, repo: string): GitHubRepo | null {
  if (written === undefined) return githubRepoOf(repo);
  const [owner = '', name = ''] = written.split('/');
  return { owner, repo: name };
}

export interface HoistConfig {
  file: string;
  registry: string | null;
  targets: Map<string, TargetConfig>;
  apps: Map<string, AppConfig>;
}

/** Every webhook of the configuration, each once (each is one consumer of the event log). */
export function allWebhooks(config: HoistConfig): WebhookConfig[] {
  return [...config.apps.values()].flatMap((app) => app.webhooks);
}

type ResourcesInput = { requests?: { cpu?: string; memory?: string }; limits?: { cpu?: string; memory?: string } };

/** Resources as written, each amount null when not given; a request above its limit is refused here, not by the cluster. */
function resourcesOf(input: ResourcesInput, path: readonly PropertyKey[], fail: (path: readonly PropertyKey[], message: string) => never): Resources {
  const resources: Resources = {
    requests: { cpu: input.requests?.cpu ?? null, memory: input.requests?.memory ?? null },
    limits: { cpu: input.limits?.cpu ?? null, memory: input.limits?.memory ?? null },
  };
  const conflict = resourceConflict(resources);
  if (conflict) fail([...path, 'resources'], `${conflict}; a request may not be more than its limit`);
  return resources;
}

/** An environment's override sets the amounts it names and keeps the service's others; the result must still fit. */
function mergeResources(
  base: Resources | null,
  over: Resources,
  path: readonly PropertyKey[],
  fail: (path: readonly PropertyKey[], message: string) => never,
): Resources | null {
    const pick = (a: string | null | undefined, b: string | null) => b ?? a ?? null;
  const merged: Resources = {
    requests: { cpu: pick(base?.requests.cpu, over.requests.cpu), memory: pick(base?.requests.memory, over.requests.memory) },
    limits: { cpu: pick(base?.limits.cpu, over.limits.cpu), memory: pick(base?.limits.memory, over.limits.memory) },
  };
  const conflict = resourceConflict(merged);
  if (conflict) fail([...path, 'resources'], `${conflict} (with the service's own resources); a request may not be more than its limit`);
  return merged;
}

type EnvInput = Record<string, string | { secret: string; key: string }>;

/** `env` as written, split into values and secret references. */
function splitEnv(input: EnvInput): { env: Record<string, string>; secretRefs: Record<string, SecretKeyRef> } {
  const env: Record<string, string> = {};
  const secretRefs: Record<string, SecretKeyRef> = {};
  for (const [name, value] of Object.entries(input)) {
    if (typeof value === 'string') env[name] = value;
    else secretRefs[name] = { secret: value.secret, key: value.key };
  }
  return { env, secretRefs };
}

/** An override's `env` over the service's: each name it sets is a value or a reference, whichever the service had. */
function overrideEnv(base: Pick<ServiceConfig, 'env' | 'secretRefs'>, over: EnvInput): Pick<ServiceConfig, 'env' | 'secretRefs'> {
  const env = { ...base.env };
  const secretRefs = { ...base.secretRefs };
  for (const [name, value] of Object.entries(over)) {
    delete env[name];
    delete secretRefs[name];
    if (typeof value === 'string') env[name] = value;
    else secretRefs[name] = { secret: value.secret, key: value.key };
  }
  return { env, secretRefs };
}

/** A key read from a secret is never shown, so it cannot be listed as public. */
function refusePublicSecrets(
  keys: string[],
  env: EnvInput,
  environments: AppFileConfig['environments'],
  service: string,
  path: readonly PropertyKey[],
  fail: (path: readonly PropertyKey[], message: string) => never,
): void {
  const envs = [env, ...Object.values(environments).map((e) => e.overrides[service]?.env ?? {})];
  keys.forEach((key, index) => {
    const ref = envs.map((e) => e[key]).find((v) => v !== undefined && typeof v !== 'string');
    if (ref !== undefined && typeof ref !== 'string') {
      fail([...path, 'publicEnv', index], `"${key}" is read from secret ${ref.secret} (key ${ref.key}), which is never shown; leave it out of publicEnv`);
    }
  });
}

/** Every key listed as public names an entry of the service's `env` (or of an environment's override of it). */
function checkPublicEnv(
  keys: string[],
  env: EnvInput,
  environments: AppFileConfig['environments'],
  service: string,
  path: readonly PropertyKey[],
  fail: (path: readonly PropertyKey[], message: string) => never,
): string[] {
  const known = new Set([...Object.keys(env), ...Object.values(environments).flatMap((e) => Object.keys(e.overrides[service]?.env ?? {}))]);
  keys.forEach((key, index) => {
    if (!known.has(key)) {
      const listed = known.size === 0 ? 'it has no `env`' : `its env keys: ${[...known].join(', ')}`;
      fail([...path, 'publicEnv', index], `"${key}" is not a key of service ${service}'s env (${listed}); list only keys of its \`env\` whose values are not secret`);
    }
  });
  return [...new Set(keys)];
}

export function parseDuration(text: string): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(text);
  if (!match) throw new ConfigError('CONFIG_INVALID', `not a duration: ${text}`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

const NO_VARIABLES: Variables = () => undefined;

/**
 * Reads and validates hoist.yaml; every error names the file, the line and the path.
 * `variables`: the environment the secrets it names (a webhook's `secretEnv`) are read from.
 */
export function loadHoistConfig(path: string, variables: Variables = NO_VARIABLES): HoistConfig {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(
      'CONFIG_MISSING',
      `${file}: cannot read the configuration file (set HOIST_CONFIG to its path)`,
      { cause },
    );
  }
  return parseHoistConfig(text, file, variables);
}

export function parseHoistConfig(text: string, file: string, variables: Variables = NO_VARIABLES): HoistConfig {
  const { data, lineOf } = readYamlMapping(text, file);
  const fail = (path: readonly PropertyKey[], message: string): never => {
    throw new ConfigError('CONFIG_INVALID', `${file}:${lineOf(path)}: ${path.map(String).join('.')}: ${message}`);
  };

  const parsed = hoistFileSchema.safeParse(data);
  if (!parsed.success) {
    const messages = parsed.error.issues.map((issue) => {
      const path = issue.path;
      let message = issue.message;
      if (issue.code === 'unrecognized_keys') {
        message = `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
        return `${file}:${lineOf([...path, issue.keys[0] ?? ''])}: ${[...path, issue.keys[0]].map(String).join('.')}: ${message}`;
      }
      // A record key's own issues say what a valid name looks like; zod's wrapper says only "Invalid key in record".
      if (issue.code === 'invalid_key') message = issue.issues.map((inner) => inner.message).join('; ');
      return `${file}:${lineOf(path)}: ${path.map(String).join('.')}: ${message}`;
    });
    throw new ConfigError('CONFIG_INVALID', messages.join('\n'));
  }
  return buildConfig(parsed.data, file, variables, fail);
}

function buildConfig(
  data: HoistFile,
  file: string,
  variables: Variables,
  fail: (path: readonly PropertyKey[], message: string) => never,
): HoistConfig {
  const targets = new Map(Object.entries(data.targets));
  const apps = new Map<string, AppConfig>();
  for (const [appName, app] of Object.entries(data.apps)) {
    apps.set(appName, buildApp(appName, app, targets, file, fail, variables));
  }
  return { file, registry: data.registry?.url ?? null, targets, apps };
}

function buildApp(
  appName: string,
  app: AppFileConfig,
  targets: Map<string, TargetConfig>,
  file: string,
  fail: (path: readonly PropertyKey[], message: string) => never,
  variables: Variables,
): AppConfig {
  const base = ['apps', appName];
  const appHooks = webhooksAt(app.webhooks, { app: appName, env: null }, base, variables, fail);
  const allHooks = [...appHooks];
  const services: ServiceConfig[] = [];
  for (const [serviceName, s] of Object.entries(app.services)) {
    const path = [...base, 'services', serviceName];
    const needsBuild = s.type === 'application';
    if (needsBuild && !s.build) fail([...path, 'build'], 'an application is built from git: add `build: { context: . }`');
    if (s.type === 'container' && !s.image) fail([...path, 'image'], 'a container runs a prebuilt image: add `image: name:tag`');
    if (s.type === 'database' && !s.image) fail([...path, 'image'], 'a database runs a prebuilt image: add `image: postgres:16`');
    if (s.build && s.image) fail([...path, 'image'], 'set either `build` or `image`, not both');
    if ((s.type === 'lifecycle-job' || s.type === 'cronjob') && !s.build && !s.image) {
      fail(path, 'add `build: { context: . }` or `image: name:tag`');
    }
    if (s.type === 'cronjob' && !s.schedule) fail([...path, 'schedule'], 'a cronjob needs `schedule: "0 3 * * *"`');
    refusePublicSecrets(s.publicEnv ?? [], s.env ?? {}, app.environments, serviceName, path, fail);
    checkServiceKeys(s, path, fail);
    services.push({
      name: serviceName,
      type: s.type,
      build: s.build ?? null,
      image: s.image ?? null,
      port: s.port ?? null,
      replicas: s.replicas ?? 1,
      health: s.health ? { path: s.health.path, timeoutMs: parseDuration(s.health.timeout) } : null,
      command: s.command ?? null,
      ...splitEnv(s.env ?? {}),
      envFrom: (s.envFrom ?? []).map((ref) => ({ secret: ref.secret })),
      publicEnv: checkPublicEnv(s.publicEnv ?? [], s.env ?? {}, app.environments, serviceName, path, fail),
      schedule: s.schedule ?? null,
      storage: s.storage ?? null,
      path: s.path ?? null,
      timeoutMs: s.type === 'lifecycle-job' ? parseDuration(s.timeout ?? DEFAULT_JOB_TIMEOUT) : null,
      resources: s.resources ? resourcesOf(s.resources, path, fail) : null,
    });
  }
  const repo = /^[a-z][a-z0-9+.-]*:\/\//i.test(app.repo) || /^[^/]+@[^:]+:/.test(app.repo)
    ? app.repo
    : isAbsolute(app.repo)
      ? app.repo
      : resolve(dirname(file), app.repo);

  const github = githubOf(app.github, repo);
  const environments = new Map<string, EnvironmentConfig>();
  for (const [envName, env] of Object.entries(app.environments)) {
    const path = [...base, 'environments', envName];
    const autoDeploy = autoDeployOf(env.autoDeploy, github, appName, path, fail);
    const target = targets.get(env.target);
    if (!target) {
      fail([...path, 'target'], `unknown target "${env.target}"; defined targets: ${[...targets.keys()].join(', ') || 'none'}`);
    }
    const known = new Set(services.map((s) => s.name));
    for (const key of Object.keys(env.overrides)) {
      if (!known.has(key)) fail([...path, 'overrides', key], `no service "${key}" in app ${appName}`);
    }
    for (const [key] of Object.entries(env.expose)) {
      const service = services.find((s) => s.name === key);
      if (!service) fail([...path, 'expose', key], `no service "${key}" in app ${appName}`);
      if (service.port === null) fail([...path, 'expose', key], `service "${key}" has no \`port\` to expose`);
    }
    const merged = services.map((s) => {
      const o = env.overrides[s.name];
      if (!o) return s;
      const overridePath = [...path, 'overrides', s.name];
      return {
        ...s,
        replicas: o.replicas ?? s.replicas,
        port: o.port ?? s.port,
        command: o.command ?? s.command,
        ...overrideEnv(s, o.env ?? {}),
        envFrom: o.envFrom ? o.envFrom.map((ref) => ({ secret: ref.secret })) : s.envFrom,
        resources: o.resources ? mergeResources(s.resources, resourcesOf(o.resources, overridePath, fail), overridePath, fail) : s.resources,
      };
    });
    checkTargetFit(target as TargetConfig, env.target, merged, env, path, fail);
    const ownHooks = webhooksAt(env.webhooks, { app: appName, env: envName }, path, variables, fail);
    allHooks.push(...ownHooks);
    environments.set(envName, {
      name: envName,
      app: appName,
      targetName: env.target,
      target: target as TargetConfig,
      production: env.production,
      notify: { ...defaultNotifyPolicy(env.production), ...(env.notify?.broadcastFailures === undefined ? {} : { broadcastFailures: env.notify.broadcastFailures }), mention: env.notify?.mention ?? [], channel: env.notify?.channel ?? null },
      namespace: env.namespace ?? `${appName}-${envName}`,
      branch: env.branch ?? null,
      autoDeploy: autoDeploy.kind !== 'off',
      autoDeployMode: autoDeploy,
      expose: env.expose,
      onFailure: env.onFailure,
      deployers: env.deployers ?? null,
      approval: approvalPolicy(env.approval, path, fail),
      checks: checksPolicy(env.checks, { app: appName, github, built: services.some((s) => s.build !== null) }, path, fail),
      lockTtlMs: env.lock?.ttl ? parseDuration(env.lock.ttl) : null,
      supersede: env.queue.supersede,
      services: merged,
      webhooks: environmentWebhooks(appHooks, ownHooks, path, fail),
      raw: env,
    });
  }
  return { name: appName, repo, github, channels: app.channels, services, environments, webhooks: allHooks };
}
