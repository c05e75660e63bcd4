import { KNOWN_DATA_IMAGES, knownDataPath } from '../domain/data-path.ts';
import type { ServiceType } from '../domain/service-order.ts';
import type { EnvironmentFileConfig, ServiceFileConfig, TargetConfig } from './hoist-schema.ts';

type Fail = (path: readonly PropertyKey[], message: string) => never;

/** How long a lifecycle job may run unless its `timeout` says otherwise. */
export const DEFAULT_JOB_TIMEOUT = '10m';

/** Keys that mean something for one service type only are refused on the others, not ignored. */
export function checkServiceKeys(s: ServiceFileConfig, path: readonly PropertyKey[], fail: Fail): void {
  if (s.path !== undefined && s.type !== 'database') {
    fail([...path, 'path'], `\`path\` is where a database's volume mounts; this service is a ${s.type}: remove it`);
  }
  if (s.timeout !== undefined && s.type !== 'lifecycle-job') {
    fail([...path, 'timeout'], `\`timeout\` is how long a lifecycle job may run; this service is a ${s.type}: remove it (a health check has \`health.timeout\`)`);
  }
  if (s.type === 'database' && s.path === undefined && s.image !== undefined && knownDataPath(s.image) === null) {
    fail(
      [...path, 'image'],
      `Hoist does not know where ${s.image} keeps its data (it knows ${KNOWN_DATA_IMAGES.join(', ')}): ` +
        'set `path:` to the directory its volume mounts at, such as `path: /var/lib/data`',
    );
  }
}

/**
 * What a Docker target cannot run as written is refused here, not half done at deploy time:
 * a cronjob (no scheduler), several replicas behind one fixed host port (no proxy), several
 * replicas of a database (one volume).
 */
export function checkTargetFit(
  target: TargetConfig,
  targetName: string,
  services: readonly { name: string; type: ServiceType; replicas: number }[],
  env: Pick<EnvironmentFileConfig, 'expose' | 'overrides'>,
  path: readonly PropertyKey[],
  fail: Fail,
): void {
  if (target.kind !== 'docker') return;
  const appPath = path.slice(0, -2);
  const replicasPath = (service: string): readonly PropertyKey[] =>
    env.overrides[service]?.replicas !== undefined ? [...path, 'overrides', service, 'replicas'] : [...appPath, 'services', service, 'replicas'];
  for (const service of services) {
    if (service.type === 'cronjob') {
      fail(
        [...path, 'target'],
        `target "${targetName}" is a Docker target, which cannot run cronjob ${service.name}: a cronjob needs a Kubernetes target ` +
          '(Hoist runs no scheduler of its own); deploy this environment to a kubernetes target or remove the cronjob',
      );
    }
    const hostPort = env.expose[service.name];
    if (service.replicas > 1 && hostPort !== undefined) {
      fail(
        [...path, 'expose', service.name],
        `${service.name} runs ${service.replicas} replicas, but a fixed host port (${hostPort}) can serve only one container ` +
          'on a Docker target, which has no proxy in front: set `replicas: 1` or remove it from `expose`',
      );
    }
    if (service.type === 'database' && service.replicas > 1) {
      fail(
        replicasPath(service.name),
        `database ${service.name} keeps its data in one volume on a Docker target, which one container may use: set \`replicas: 1\``,
      );
    }
  }
}
