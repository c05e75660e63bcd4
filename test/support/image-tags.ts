import { lookupManifest, parseImageReference } from '../../src/engine/build/registry-manifest.ts';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/**
 * Tags `image` (`host/repository:tag` in a plain-HTTP registry such as 127.0.0.1:5000) as
 * `v1`…`v<count>` in its own repository and returns those tags: other versions of one image
 * service to deploy, so that requests waiting at once are not identical (identical ones
 * coalesce into one deployment). Each tag is the same manifest PUT again under a new name
 * (Distribution API v2): no layer moves, so this costs a request per tag.
 */
export async function pushImageTags(image: string, count: number): Promise<string[]> {
  const ref = parseImageReference(image);
  const manifests = `http://${ref.host}/v2/${ref.repository}/manifests`;
  const source = await fetch(`${manifests}/${encodeURIComponent(ref.tag)}`, { headers: { Accept: MANIFEST_TYPES } });
  if (!source.ok) throw new Error(`${image}: the registry answered HTTP ${source.status} for its manifest`);
  const contentType = source.headers.get('content-type') ?? 'application/vnd.oci.image.manifest.v1+json';
  const manifest = Buffer.from(await source.arrayBuffer());
  const tags = Array.from({ length: count }, (_, i) => `v${i + 1}`);
  for (const tag of tags) {
    const put = await fetch(`${manifests}/${tag}`, { method: 'PUT', headers: { 'Content-Type': contentType }, body: manifest });
    if (put.status !== 201) throw new Error(`${image}: tagging it ${tag} answered HTTP ${put.status}: ${await put.text()}`);
  }
  return tags;
}

/** `image` bound to the digest its registry names for its tag now (`<image>@sha256:…`); fails when it names none. */
export async function pinnedInRegistry(image: string): Promise<string> {
  const found = await lookupManifest(image);
  if (!found.found || found.digest === null || !/^sha256:[0-9a-f]{64}$/.test(found.digest)) {
    throw new Error(`the registry names no digest for ${image}${found.found ? ` (it said ${String(found.digest)})` : ''}`);
  }
  return `${image}@${found.digest}`;
}

/**
 * Hands out `tags` in turn for each key (an environment): up to `tags.length` requests
 * waiting at once under one key each name another version.
 */
export function tagRotation(tags: readonly string[]): (key: string) => string {
  const handedOut = new Map<string, number>();
  return (key) => {
    const n = handedOut.get(key) ?? 0;
    handedOut.set(key, n + 1);
    return tags[n % tags.length] as string;
  };
}
