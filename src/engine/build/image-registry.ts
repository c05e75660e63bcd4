import type { CallErrors } from '../../domain/call-errors.ts';
import type { ImageRegistry, TagLookup } from '../ports.ts';
import { lookupManifest, parseImageReference, type RegistryAuth } from './registry-manifest.ts';

export interface ImageRegistryOptions {
  /** Credentials for registries that want them (the ones images are pushed to and pulled from). */
  auth?: RegistryAuth | null;
  /** A chat request waits for the answer: a registry slower than this counts as not asked. */
  timeoutMs?: number;
  /** Counts the registries' failed answers. */
  callErrors?: CallErrors;
}

/**
 * Looks image tags up in their registries at request time (Distribution API v2).
 *
 * Lookups of one image asked in the same turn of the event loop share one request, sent once
 * the turn is over (a release deployed to many environments at once asks its registry once);
 * a lookup asked after that request went out sends its own. So every answer is one the
 * registry gave after the question was asked: a tag pushed before a deploy was requested is
 * never answered with what it named before.
 */
export function createImageRegistry(options: ImageRegistryOptions = {}): ImageRegistry {
  /** Per image, the request that has not gone out yet, with the lookups that wait for it. */
  const gathering = new Map<string, Promise<TagLookup>>();
  return {
    lookup(image: string): Promise<TagLookup> {
      const waiting = gathering.get(image);
      if (waiting !== undefined) return waiting;
      const answer = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        // From here on, a lookup of this image waits for a request of its own.
        gathering.delete(image);
        return ask(image);
      });
      gathering.set(image, answer);
      return answer;
    },
  };

  async function ask(image: string): Promise<TagLookup> {
    const ref = parseImageReference(image);
    const where = `${ref.host}/${ref.repository}`;
    try {
      const found = await lookupManifest(image, {
        auth: options.auth ?? null,
        timeoutMs: options.timeoutMs ?? 5_000,
        ...(options.callErrors === undefined ? {} : { callErrors: options.callErrors }),
      });
      if (found.found) return { status: 'found', digest: found.digest };
      return { status: 'missing', reason: `${where} has no tag "${ref.tag}"` };
    } catch (error) {
      return { status: 'unchecked', reason: `${ref.host} could not be asked: ${describe(error)}` };
    }
  }
}

/** fetch reports a refused connection as "fetch failed" with the reason in `cause`. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'no answer in time';
  const cause = error.cause instanceof Error ? error.cause : null;
  const code = cause && 'code' in cause && typeof cause.code === 'string' ? cause.code : null;
  return code ?? cause?.message ?? error.message;
}
