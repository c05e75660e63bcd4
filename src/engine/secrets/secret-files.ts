import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { refName, type SecretRefs, type SecretValues } from '../../domain/secret-refs.ts';

/** The values, or why one could not be read (naming the secret, the key and the variable; never a value). */
export type SecretRead = { ok: true; values: SecretValues } | { ok: false; reason: string };

const VARIABLE = 'HOIST_SECRETS_DIR';

const codeOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | null)?.code;

/** A value as a variable carries it: text without NUL bytes (the engine could not pass one). */
function valueOf(text: string, what: string): { ok: true; value: string } | { ok: false; reason: string } {
  if (text.includes('\0')) return { ok: false, reason: `${what} holds a NUL byte, which an environment variable cannot carry` };
  return { ok: true, value: text };
}

async function readKey(dir: string, secret: string, key: string, forVariable: string): Promise<{ ok: true; value: string } | { ok: false; reason: string }> {
  const file = join(dir, secret, key);
  const what = `secret ${refName({ secret, key })} (for ${forVariable})`;
  try {
    return valueOf(await readFile(file, 'utf8'), what);
  } catch (error) {
    const code = codeOf(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return { ok: false, reason: `${what} is missing: no file ${file} (${VARIABLE}/<secret>/<key>); create it on the Hoist host` };
    }
    if (code === 'EISDIR') return { ok: false, reason: `${what}: ${file} is a directory, not a file holding the value` };
    return { ok: false, reason: `${what}: cannot read ${file}: ${code ?? String(error)}` };
  }
}

/** Every key of a secret: each regular file of its directory (names starting with "." left out, as Kubernetes' own `..data` is). */
async function readSecret(dir: string, secret: string): Promise<{ ok: true; values: Record<string, string> } | { ok: false; reason: string }> {
  const folder = join(dir, secret);
  let names: string[];
  try {
    names = (await readdir(folder)).filter((name) => !name.startsWith('.')).sort();
  } catch (error) {
    const code = codeOf(error);
    const why = code === 'ENOENT' ? 'no directory' : code === 'ENOTDIR' ? 'not a directory:' : `cannot read (${code ?? String(error)})`;
    return { ok: false, reason: `secret ${secret} (envFrom) is missing: ${why} ${folder} (${VARIABLE}/<secret>); create it on the Hoist host, one file per key` };
  }
  const values: Record<string, string> = {};
  for (const name of names) {
    if (!(await stat(join(folder, name))).isFile()) continue;
    if (name.includes('=')) return { ok: false, reason: `secret ${secret} (envFrom): the file name ${JSON.stringify(name)} has "=", which no variable name may` };
    const read = await readKey(dir, secret, name, 'envFrom');
    if (!read.ok) return read;
    values[name] = read.value;
  }
  return { ok: true, values };
}

/**
 * Reads what a service's references name from `dir` (HOIST_SECRETS_DIR), Docker-secrets style:
 * `<dir>/<secret>/<key>` holds one value, exactly as written (no newline is taken off).
 */
export async function readSecretFiles(dir: string | null, refs: SecretRefs): Promise<SecretRead> {
  const wanted = [...Object.entries(refs.secretRefs).map(([name, ref]) => `${name} (${refName(ref)})`), ...refs.envFrom.map((ref) => `envFrom ${ref.secret}`)];
  if (dir === null) {
    return { ok: false, reason: `${VARIABLE} is not set: on a docker target the values of secrets are read from ${VARIABLE}/<secret>/<key> at rollout (needed: ${wanted.join(', ')})` };
  }
  const root = resolve(dir);
  const env: Record<string, string> = {};
  for (const [name, ref] of Object.entries(refs.secretRefs)) {
    const read = await readKey(root, ref.secret, ref.key, name);
    if (!read.ok) return read;
    env[name] = read.value;
  }
  const from: SecretValues['from'] = [];
  for (const ref of refs.envFrom) {
    const read = await readSecret(root, ref.secret);
    if (!read.ok) return read;
    from.push({ secret: ref.secret, values: read.values });
  }
  return { ok: true, values: { env, from } };
}
