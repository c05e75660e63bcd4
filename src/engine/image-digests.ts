import type { ServiceSpec, TagCheck } from '../domain/deployment-set.ts';
import type { ImageRegistry } from './ports.ts';

/** What the image's registry says of it now: the digest its tag names, or why it was not checked. */
export async function checkImage(registry: ImageRegistry, image: string): Promise<TagCheck> {
  const found = await registry.lookup(image);
  // A registry without the tag is no digest to bind to: the target may still have the image itself.
  return found.status === 'found' ? { status: 'resolved', digest: found.digest } : { status: 'unchecked', reason: found.reason };
}

/** The spec run by the digest `check` named (the tag as written when there is none), recording the check. */
export function pinnedSpec(spec: ServiceSpec & { image: string }, check: TagCheck): ServiceSpec {
  const image = check.status === 'resolved' && check.digest !== null ? `${spec.image}@${check.digest}` : spec.image;
  return { ...spec, image, imageCheck: check };
}

/** An image service run by the image its configuration names at a tag (not one a deploy named, nor a digest already). */
export const runsConfiguredTag = (spec: ServiceSpec): spec is ServiceSpec & { image: string } =>
  spec.build === null && spec.image !== null && spec.tagCheck === undefined && !spec.image.includes('@');

/**
 * Each image service bound to the digest its registry names for the configured tag now
 * (asked at once): an approval is for what will run (SPEC §5), and a tag moved later
 * cannot slip in. A registry that cannot be asked leaves the tag, recorded as not checked.
 */
export async function pinImageDigests(registry: ImageRegistry, specs: ServiceSpec[]): Promise<ServiceSpec[]> {
  return Promise.all(specs.map(async (spec) => (runsConfiguredTag(spec) ? pinnedSpec(spec, await checkImage(registry, spec.image)) : spec)));
}
