import type { EnvironmentConfig } from '../../src/config/hoist-config.ts';
import type { ServiceSpec } from '../../src/domain/deployment-set.ts';
import { renderSpec } from '../../src/engine/service-spec.ts';

/** An environment's service as the runner hands it to a target: its configuration rendered as a spec. */
export function serviceSpec(env: EnvironmentConfig, name: string, run: { version: string | null; image: string | null } = { version: null, image: null }): ServiceSpec {
  const service = env.services.find((s) => s.name === name);
  if (!service) throw new Error(`no service ${name}`);
  return renderSpec(env, service, run);
}
