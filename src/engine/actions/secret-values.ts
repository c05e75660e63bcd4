import { secretRefsOf, withSecretRefs, type ServiceSpec } from '../../domain/deployment-set.ts';
import { hasSecretRefs, sealRefs, valuesOf, type SecretValues } from '../../domain/secret-refs.ts';
import { fingerprinter, secretKey } from '../../store/secret-key.ts';
import { readSecretFiles } from '../secrets/secret-files.ts';
import type { RunContext } from './context.ts';

/** The spec as it will be recorded, and the values to run it with (docker only); or why they could not be read. */
export type SecretsRead = { ok: true; spec: ServiceSpec; secrets?: SecretValues } | { ok: false; reason: string };

/**
 * The values of a service's secret references, where Hoist is the one who reads them: a docker
 * target runs containers with values, so they are read now, at rollout, from HOIST_SECRETS_DIR.
 * They are hidden in this deployment's log from here on, and the spec records a keyed hash of
 * each (never the value), so that a rotated value makes a redeploy apply again. On Kubernetes
 * the kubelet resolves the references itself: nothing is read and the spec stays as it is.
 */
export async function readSecrets(ctx: RunContext, spec: ServiceSpec): Promise<SecretsRead> {
  const refs = secretRefsOf(spec);
  if (ctx.env.target.kind !== 'docker' || !hasSecretRefs(refs)) return { ok: true, spec };
  const read = await readSecretFiles(ctx.deps.secretsDir ?? null, refs);
  if (!read.ok) return read;
  const fingerprint = fingerprinter(await secretKey(ctx.deps.db));
  ctx.log.hide(valuesOf(read.values), fingerprint);
  return { ok: true, spec: withSecretRefs(spec, sealRefs(refs, read.values, fingerprint)), secrets: read.values };
}
