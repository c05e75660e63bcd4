import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtImage } from '../../src/store/built-images.ts';
import { insertDeployment, setServiceStatus } from '../../src/store/deployments.ts';
import { newDeployment } from '../support/new-deployment.ts';
import { openTestStore, type StoreKind } from '../support/databases.ts';

const SHA = 'a'.repeat(40);
const digest = (c: string) => `sha256:${c.repeat(64)}`;

describe.each<StoreKind>(['postgres', 'pglite'])('the image built for a commit, on %s', (kind) => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  beforeAll(async () => {
    store = await openTestStore(kind);
  });
  afterAll(async () => {
    await store.cleanup();
  });

  /** A deployment of `app` whose `service` ran `image` at `version`. */
  async function ran(app: string, service: string, version: string, image: string | null): Promise<number> {
    const { id } = await insertDeployment(store.db, newDeployment({ app, services: [{ name: service, type: 'application', version, previousVersion: null }] }));
    await setServiceStatus(store.db, id, service, { status: 'DEPLOYED', version, image });
    return id;
  }

  it('is the digest-bound image last run for that app, service and commit', async () => {
    const image = `127.0.0.1:5000/hoist/shop-web:${SHA}`;
    const where = { app: 'shop', service: 'web', sha: SHA, image };
    expect(await builtImage(store.db, where)).toBeNull();
    await ran('shop', 'web', SHA, image); // by its tag only (no registry named a digest)
    expect(await builtImage(store.db, where)).toBeNull();
    await ran('shop', 'web', SHA, `${image}@${digest('1')}`);
    await ran('shop', 'web', SHA, `${image}@${digest('2')}`);
    expect(await builtImage(store.db, where)).toBe(`${image}@${digest('2')}`);
    // Another app, service, commit or repository is not it.
    await ran('other', 'web', SHA, `${image}@${digest('3')}`);
    await ran('shop', 'api', SHA, `${image}@${digest('4')}`);
    await ran('shop', 'web', 'b'.repeat(40), `${image}@${digest('5')}`);
    expect(await builtImage(store.db, where)).toBe(`${image}@${digest('2')}`);
    expect(await builtImage(store.db, { ...where, image: `127.0.0.1:5000/elsewhere/shop-web:${SHA}` })).toBeNull();
    // A commit whose name starts another's is not that one.
    expect(await builtImage(store.db, { ...where, sha: SHA.slice(0, 39), image: image.slice(0, -1) })).toBeNull();
  });
});
