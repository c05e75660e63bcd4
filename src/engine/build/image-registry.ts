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

/** Looks image tags up in their registries at request time (Distribution API v2). */
export function createImageRegistry(options: ImageRegistryOptions = {}): ImageRegistry {
  return {
    async lookup(image: string): Promise<TagLookup> {
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
    },
  };
}

/** fetch reports a refused connection as "fetch failed" with the reason in `cause`. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'no answer in time';
  const cause = error.cause instanceof Error ? error.cause : null;
  const code = cause && 'code' in cause && typeof cause.code === 'string' ? cause.code : null;
  return code ?? cause?.message ?? error.message;
}
