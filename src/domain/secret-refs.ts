/**
 * Secrets by reference: an `env` entry naming a key of a secret (`{ secret: shop-db, key:
 * password }`) or a whole secret (`envFrom: [{ secret: shop-db }]`) instead of a value. The
 * value never enters Hoist's records: on Kubernetes the cluster resolves the reference (a
 * `secretKeyRef`); on Docker the engine reads it at rollout, and the deployment set keeps only
 * a short keyed hash of it (`hash`), so a rotated value still reads as a change.
 */

/** One key of a secret: `DB_PASSWORD: { secret: shop-db, key: password }`. */
export interface SecretKeyRef {
  secret: string;
  key: string;
  /** Docker: the keyed hash of the value applied (as shown after `••••`); absent where Hoist never reads it. */
  hash?: string;
}

/** Every key of a secret, each as an environment variable named for it. */
export interface SecretFromRef {
  secret: string;
  /** Docker: the keyed hash of every key and value of the secret applied; absent where Hoist never reads it. */
  hash?: string;
}

/** What a service reads from secrets. */
export interface SecretRefs {
  secretRefs: Record<string, SecretKeyRef>;
  envFrom: SecretFromRef[];
}

/**
 * A secret's name: a Kubernetes Secret name (a DNS subdomain) that is also one directory
 * under HOIST_SECRETS_DIR (no `/`, not `.` or `..`).
 */
export const SECRET_NAME = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;
/** A key of a secret, as Kubernetes allows one, and one file name in the secret's directory. */
export const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

export const isSecretName = (name: string): boolean => SECRET_NAME.test(name) && !name.includes('..');
export const isSecretKey = (key: string): boolean => SECRET_KEY.test(key) && key !== '.' && key !== '..';

/** Whether a service reads anything from secrets. */
export function hasSecretRefs(refs: Partial<SecretRefs>): boolean {
  return Object.keys(refs.secretRefs ?? {}).length > 0 || (refs.envFrom ?? []).length > 0;
}

/** What Docker read for a service's references: each `secretRefs` entry's value, and each `envFrom` secret's keys and values. */
export interface SecretValues {
  env: Record<string, string>;
  from: { secret: string; values: Record<string, string> }[];
}

/** The environment variables the values make: every `envFrom` secret's keys in order, then the single keys (which win, as on Kubernetes). */
export function environmentOf(values: SecretValues): Record<string, string> {
  return Object.assign({}, ...values.from.map((f) => f.values), values.env) as Record<string, string>;
}

/** Every value read, for masking wherever it might appear. */
export function valuesOf(values: SecretValues): string[] {
  return [...Object.values(values.env), ...values.from.flatMap((f) => Object.values(f.values))];
}

/** A whole secret as one text to hash: its keys sorted, each with its value (JSON keeps keys and values apart). */
function secretText(values: Record<string, string>): string {
  return JSON.stringify(Object.keys(values).sort().map((key) => [key, values[key]]));
}

/** The references with the hash of what was read for each: what the deployment set records on Docker. */
export function sealRefs(refs: SecretRefs, values: SecretValues, fingerprint: (value: string) => string): SecretRefs {
  const secretRefs = Object.fromEntries(
    Object.entries(refs.secretRefs).map(([name, ref]) => [name, { secret: ref.secret, key: ref.key, hash: fingerprint(values.env[name] ?? '') }]),
  );
  const envFrom = refs.envFrom.map((ref) => {
    const read = values.from.find((f) => f.secret === ref.secret)?.values ?? {};
    return { secret: ref.secret, hash: fingerprint(secretText(read)) };
  });
  return { secretRefs, envFrom };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const hashOf = (v: Record<string, unknown>) => (typeof v.hash === 'string' ? { hash: v.hash } : {});

/** The references of a stored set's service entry; entries that are not references are left out. */
export function parseSecretRefs(secretRefs: unknown, envFrom: unknown): SecretRefs {
  const env: Record<string, SecretKeyRef> = {};
  if (isRecord(secretRefs)) {
    for (const [name, ref] of Object.entries(secretRefs)) {
      if (isRecord(ref) && typeof ref.secret === 'string' && typeof ref.key === 'string') env[name] = { secret: ref.secret, key: ref.key, ...hashOf(ref) };
    }
  }
  const from = Array.isArray(envFrom)
    ? envFrom.flatMap((ref: unknown) => (isRecord(ref) && typeof ref.secret === 'string' ? [{ secret: ref.secret, ...hashOf(ref) }] : []))
    : [];
  return { secretRefs: env, envFrom: from };
}

/** `shop-db/password`: how a reference is named to people (never with its value). */
export const refName = (ref: { secret: string; key?: string }): string => (ref.key === undefined ? ref.secret : `${ref.secret}/${ref.key}`);
