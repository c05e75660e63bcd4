import type { ImageRegistry, TagLookup } from '../../src/engine/ports.ts';

export interface FakeImageRegistry {
  registry: ImageRegistry;
  /** Image (`postgres:16`) → the digest its tag names now; a test moves a tag by setting another. */
  tags: Map<string, string>;
  /** Every image looked up, in order. */
  asked: string[];
  /** While set, every lookup answers that the registry could not be asked, with this reason. */
  unreachable: string | null;
}

/**
 * A registry answering from its table, as the Distribution API would: the digest a tag names,
 * or that it has no such tag; and, while `unreachable`, that it could not be asked.
 */
export function createFakeImageRegistry(tags: Record<string, string> = {}): FakeImageRegistry {
  const fake: FakeImageRegistry = {
    tags: new Map(Object.entries(tags)),
    asked: [],
    unreachable: null,
    registry: {
      lookup(image: string): Promise<TagLookup> {
        fake.asked.push(image);
        if (fake.unreachable !== null) return Promise.resolve({ status: 'unchecked', reason: fake.unreachable });
        const digest = fake.tags.get(image);
        return Promise.resolve(digest === undefined ? { status: 'missing', reason: `the registry has no tag "${image}"` } : { status: 'found', digest });
      },
    },
  };
  return fake;
}
