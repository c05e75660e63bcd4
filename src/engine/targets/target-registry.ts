import type { Logger } from 'pino';
import { ConfigError } from '../../config/errors.ts';
import type { EnvironmentConfig, HoistConfig } from '../../config/hoist-config.ts';
import type { CallErrors } from '../../domain/call-errors.ts';
import { createDocker } from '../docker/client.ts';
import type { Target } from '../ports.ts';
import { createDockerTarget } from './docker-target.ts';

export interface TargetRegistry {
  /** The target an environment runs on: one per Docker host, one per Kubernetes target of hoist.yaml. */
  targetFor(environment: EnvironmentConfig): Target;
  /** Makes every Kubernetes target the environments use now, so that a kubeconfig that can't be used stops the start, naming its target, rather than each deployment later. */
  verifyAll(): void;
}

// Loaded only where an environment or a target needs it: the Kubernetes client takes a while to load.
const loadKubernetes = () => import('./kubernetes/index.ts');

/** The targets of hoist.yaml, each made the first time an environment asks for it. */
export async function createTargetRegistry(options: {
  config: HoistConfig;
  /** KUBECONFIG (null: unset) and DOCKER_HOST (null: the local engine). */
  kubeconfig: string | null;
  dockerHost: string | null;
  logger: Logger;
  /** Counts failed calls to Kubernetes API servers. */
  callErrors?: CallErrors;
}): Promise<TargetRegistry> {
  const { logger } = options;
  const environments = [...options.config.apps.values()].flatMap((app) => [...app.environments.values()]);
  const onKubernetes = environments.filter((e) => e.target.kind === 'kubernetes');
  const kubernetes = onKubernetes.length > 0 ? await loadKubernetes() : null;
  const targets = new Map<string, Target>();

  function create(environment: EnvironmentConfig): Target {
    const { target, targetName } = environment;
    if (target.kind === 'docker') {
      return createDockerTarget({ docker: createDocker(target.host ?? options.dockerHost), logger: logger.child({ component: 'docker-target' }) });
    }
    if (kubernetes === null) throw new Error('the Kubernetes target was not loaded');
    const { connection, where } = kubernetes.targetConnection(target, options.kubeconfig);
    try {
      const logs = logger.child({ component: 'kubernetes-target', target: targetName });
      return kubernetes.createKubernetesTarget({ ...connection, logger: logs, ...(options.callErrors ? { callErrors: options.callErrors } : {}) });
    } catch (cause) {
      throw new ConfigError('KUBECONFIG_INVALID', `target ${targetName}: ${cannotUse(where, cause)}`, { cause });
    }
  }

  function targetFor(environment: EnvironmentConfig): Target {
    const { target } = environment;
    const key = target.kind === 'kubernetes' ? `kubernetes:${environment.targetName}` : (target.host ?? options.dockerHost ?? '');
    const known = targets.get(key);
    if (known) return known;
    const created = create(environment);
    targets.set(key, created);
    return created;
  }

  return {
    targetFor,
    verifyAll() {
      for (const environment of onKubernetes) targetFor(environment);
    },
  };
}

export type KubernetesTargetCheck =
  | { name: string; ok: true; inCluster: true }
  | { name: string; ok: true; inCluster: false; context: string; server: string }
  | { name: string; ok: false; reason: string };

/** Each Kubernetes target of hoist.yaml, its kubeconfig and context read as the start reads them (nothing is contacted). */
export async function checkKubernetesTargets(config: HoistConfig, kubeconfig: string | null): Promise<KubernetesTargetCheck[]> {
  const named = [...config.targets].flatMap(([name, target]) => (target.kind === 'kubernetes' ? [{ name, target }] : []));
  if (named.length === 0) return [];
  const { loadKubeConfig, targetConnection } = await loadKubernetes();
  return named.map(({ name, target }): KubernetesTargetCheck => {
    if (target.inCluster) return { name, ok: true, inCluster: true };
    const { connection, where } = targetConnection(target, kubeconfig);
    try {
      const kc = loadKubeConfig(connection);
      const server = kc.getCurrentCluster()?.server;
      if (!server) throw new Error(`context "${kc.getCurrentContext()}" names no cluster with a server`);
      return { name, ok: true, inCluster: false, context: kc.getCurrentContext(), server };
    } catch (error) {
      return { name, ok: false, reason: cannotUse(where, error) };
    }
  });
}

function cannotUse(where: string, cause: unknown): string {
  return `cannot use ${where}: ${cause instanceof Error ? cause.message : String(cause)}`;
}
