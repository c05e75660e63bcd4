import type { HoistConfig } from '../config/hoist-config.ts';
import type { Deployment } from '../domain/deployment.ts';
import { secretMasker, secretValuesOf, type SecretMasker } from '../domain/redact.ts';
import type { Db } from '../store/database.ts';
import { getDeploymentSet } from '../store/deployments.ts';
import { fingerprinter, secretKey } from '../store/secret-key.ts';

/** The keys of a service's `env` that its app's configuration lists as public (none for a service gone from it). */
export function publicEnvOf(config: HoistConfig, app: string): (service: string) => readonly string[] {
  const services = config.apps.get(app)?.services ?? [];
  return (service) => services.find((s) => s.name === service)?.publicEnv ?? [];
}

/** Every secret the configuration holds: each environment's services' `env` values but the public ones, and its webhooks' secrets. */
export function configuredSecrets(config: HoistConfig, only?: { app: string; env: string }): string[] {
  const apps = only ? [config.apps.get(only.app)].filter((a) => a !== undefined) : [...config.apps.values()];
  return apps.flatMap((app) => {
    const envs = only ? [app.environments.get(only.env)].filter((e) => e !== undefined) : [...app.environments.values()];
    return envs.flatMap((env) => [...secretValuesOf({ services: env.services }, publicEnvOf(config, app.name)), ...env.webhooks.map((hook) => hook.secret)]);
  });
}

/** A deployment whose secrets are masked; with its set already read (`deploymentSet`), the set is not read again. */
export type DeploymentRef = { id: number; app: string; env: string; deploymentSet?: Deployment['deploymentSet'] };

/**
 * Maskers for what the service answers: one per deployment (the secrets of its stored set and
 * of its environment's configuration), and one for Hoist's whole configuration. The key is read
 * (or made) once, on first use.
 */
export function createSecretMasks(deps: { db: Db; config: HoistConfig }) {
  const { db, config } = deps;
  let key: Promise<Buffer> | null = null;
  const fingerprint = async () => {
    key ??= secretKey(db).catch((error: unknown) => {
      key = null;
      throw error;
    });
    return fingerprinter(await key);
  };

  async function forDeployments(deployments: readonly DeploymentRef[]): Promise<SecretMasker> {
    const sets = await Promise.all(deployments.map(async (d) => ({ d, set: d.deploymentSet ?? (await getDeploymentSet(db, d.id)) })));
    const secrets = sets.flatMap(({ d, set }) => [...secretValuesOf(set, publicEnvOf(config, d.app)), ...configuredSecrets(config, d)]);
    const app = deployments[0]?.app ?? '';
    return secretMasker({ secrets, fingerprint: await fingerprint(), publicEnv: publicEnvOf(config, app) });
  }

  /** For texts not tied to one deployment (lists, Hoist's own log): every secret of the configuration, read once (it does not change). */
  let configured: SecretMasker | null = null;
  async function forConfiguration(): Promise<SecretMasker> {
    configured ??= secretMasker({ secrets: configuredSecrets(config), fingerprint: await fingerprint() });
    return configured;
  }

  /** A deployment as answers show it: its reasons and set masked. */
  async function deployment(d: Deployment): Promise<Deployment> {
    const masker = await forDeployments([d]);
    const text = (t: string | null) => (t === null ? null : masker.text(t));
    return {
      ...d,
      reason: text(d.reason),
      services: d.services.map((s) => ({ ...s, reason: text(s.reason) })),
      ...(d.deploymentSet ? { deploymentSet: masker.set(d.deploymentSet) } : {}),
    };
  }

  /** The same for an answer carrying a deployment (a request, a cancel, a vote); a refusal as it is. */
  async function inResult<R extends { ok: boolean }>(result: R): Promise<R> {
    if (!result.ok || !('deployment' in result)) return result;
    return { ...result, deployment: await deployment(result.deployment as Deployment) };
  }

  return { forDeployment: (d: DeploymentRef) => forDeployments([d]), forDeployments, forConfiguration, deployment, inResult };
}

export type SecretMasks = ReturnType<typeof createSecretMasks>;
