/**
 * A deploy's `@ref` means a commit for services Hoist builds and a tag of the image for a
 * service that runs one (Qovery's "deploy other version"). Which one a request means, and
 * the image a tag names, decided without I/O.
 */

// Docker's tag grammar (distribution/reference).
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function isImageDigest(ref: string): boolean {
  return DIGEST.test(ref);
}

export function checkImageTag(ref: string): { ok: true } | { ok: false; reason: string } {
  if (TAG.test(ref) || DIGEST.test(ref)) return { ok: true };
  return {
    ok: false,
    reason: `"${ref}" is not an image tag: a tag is up to 128 letters, digits, "_", "." and "-", not starting with "." or "-" (or a digest, sha256:<64 hex digits>)`,
  };
}

/** The image without its tag and digest: `host:5000/team/db:16@sha256:…` → `host:5000/team/db`. */
function repositoryOf(image: string): string {
  const named = image.split('@')[0] ?? image;
  const colon = named.lastIndexOf(':');
  return colon > named.lastIndexOf('/') ? named.slice(0, colon) : named;
}

/** The same repository at another tag (or digest): `postgres:16` with `16.4` → `postgres:16.4`. */
export function withTag(image: string, ref: string): string {
  return `${repositoryOf(image)}${DIGEST.test(ref) ? '@' : ':'}${ref}`;
}

/**
 * What a deploy's ref is for: `commit` goes to the built services in scope (image services
 * keep their configured image), `tag` to the one image service named.
 */
export type RefUse = { kind: 'none' } | { kind: 'commit' } | { kind: 'tag'; service: string } | { kind: 'refused'; reason: string };

export interface RefUseInput {
  app: string;
  env: string;
  ref: string | null;
  /** The services the request names; null: the whole environment. */
  chosen: string[] | null;
  services: { name: string; built: boolean }[];
}

export function refUse(input: RefUseInput): RefUse {
  const { app, env, ref, chosen } = input;
  if (ref === null) return { kind: 'none' };
  const scoped = chosen === null ? input.services : input.services.filter((s) => chosen.includes(s.name));
  const images = scoped.filter((s) => !s.built).map((s) => s.name);
  const built = scoped.filter((s) => s.built).map((s) => s.name);
  const tagExample = (service: string) => `\`deploy ${app}/${service}@${ref} to ${env}\``;
  if (chosen === null) {
    if (built.length > 0) return { kind: 'commit' };
    return {
      kind: 'refused',
      reason: `${app}'s services run images (${images.join(', ')}), and a tag deploys one of them at a time: name it, as in ${tagExample(images[0] ?? 'db')}`,
    };
  }
  if (images.length === 0) return { kind: 'commit' };
  if (scoped.length === 1 && images[0] !== undefined) return { kind: 'tag', service: images[0] };
  const commitHint = built.length > 0 ? `; deploy ${built.join(', ')} at a git ref separately: \`deploy ${app}/${built.join(',')}@${ref} to ${env}\`` : '';
  return {
    kind: 'refused',
    reason: `${images.join(', ')} ${images.length === 1 ? 'runs an image' : 'run images'}: a tag deploys one image service named alone, as in ${tagExample(images[0] ?? 'db')}${commitHint}`,
  };
}
