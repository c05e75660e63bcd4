import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCardText } from '../../src/bot/render/deployment-card.ts';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';
import type { Deployment } from '../../src/domain/deployment.ts';
import type { ImageRegistry, Source, TagLookup } from '../../src/engine/ports.ts';
import type { ActionCommand, HoistService } from '../../src/service/contract.ts';
import { createHoistService } from '../../src/service/hoist-service.ts';
import { openTestStore } from '../support/databases.ts';

const SHA = 'c'.repeat(40);
const DIGEST = `sha256:${'d'.repeat(64)}`;

/** A registry that answers from a table, and remembers what it was asked. */
function tableRegistry(answers: Record<string, TagLookup>): ImageRegistry & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async lookup(image) {
      asked.push(image);
      return answers[image] ?? { status: 'missing', reason: `registry.example.com/team/db has no tag "${image.split(':').pop()}"` };
    },
  };
}

/** A repository where every ref resolves to one commit, and which remembers what it resolved. */
function oneCommitSource(): Source & { resolved: (string | null)[] } {
  const resolved: (string | null)[] = [];
  return {
    resolved,
    async resolve(_repo, ref) {
      resolved.push(ref);
      return { ok: true, sha: SHA };
    },
    async archive() {
      return Readable.from([]);
    },
  };
}

const config = parseHoistConfig(
  `
targets: { engine: { kind: docker } }
apps:
  shop:
    repo: /srv/none
    services:
      db: { type: database, image: "registry.example.com/team/db:16", path: /var/lib/db }
      cache: { type: container, image: "registry.example.com/team/cache:7" }
      api: { type: application, build: { context: . }, port: 8080 }
    environments:
      staging: { target: engine }
  images:
    repo: /srv/none
    services:
      db: { type: database, image: "registry.example.com/team/db:16", path: /var/lib/db }
    environments:
      staging: { target: engine }
`,
  join(tmpdir(), 'image-tag.yaml'),
);

describe('deploy app/service@tag for a service that runs an image', () => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  let source: ReturnType<typeof oneCommitSource>;
  let registry: ReturnType<typeof tableRegistry>;
  let service: HoistService;

  beforeAll(async () => {
    store = await openTestStore('postgres');
    source = oneCommitSource();
    registry = tableRegistry({
      'registry.example.com/team/db:16.4': { status: 'found', digest: DIGEST },
      'registry.example.com/team/db:16.5': { status: 'unchecked', reason: 'registry.example.com could not be asked: ECONNREFUSED' },
    });
    service = createHoistService({ db: store.db, config, source, registry, kick: async () => {}, notify: () => {} });
  });
  afterAll(async () => {
    await store?.cleanup();
  });

  const deploy = (app: string, services: string[] | null, ref: string): ReturnType<HoistService['request']> => {
    const command: ActionCommand = { verb: 'deploy', scope: { app, services }, env: 'staging', ref };
    return service.request(command, { requester: { id: 'U0ALICE', name: 'alice' }, origin: { kind: 'shell' }, trigger: 'shell' });
  };
  const recorded = async (app: string, services: string[] | null, ref: string): Promise<Deployment> => {
    const result = await deploy(app, services, ref);
    if (!result.ok) throw new Error(result.reason);
    return (await service.getDeployment(result.deployment.id))!;
  };
  const card = (d: Deployment) => renderCardText(d, { now: new Date(), mention: (id) => id });

  it('records that tag of the image, pinned to the digest the registry named, and the card shows it', async () => {
    const d = await recorded('shop', ['db'], '16.4');
    expect(registry.asked).toContain('registry.example.com/team/db:16.4');
    expect(d).toMatchObject({ ref: '16.4', sha: null, services: [{ name: 'db', version: 'registry.example.com/team/db:16.4' }] });
    expect(d.deploymentSet?.services).toEqual([
      expect.objectContaining({ name: 'db', version: 'registry.example.com/team/db:16.4', image: `registry.example.com/team/db:16.4@${DIGEST}`, tagCheck: { status: 'resolved', digest: DIGEST } }),
    ]);
    expect(card(d)).toContain(`ref 16.4 → sha256:${'d'.repeat(12)}`);
  });

  it('refuses a tag the registry does not have, with its answer', async () => {
    expect(await deploy('shop', ['db'], '99')).toEqual({
      ok: false,
      code: 'REF_NOT_FOUND',
      reason: 'db cannot be deployed at 99: registry.example.com/team/db has no tag "99"',
    });
  });

  it('goes ahead when the registry cannot be asked, and the card says the tag was not checked', async () => {
    const d = await recorded('shop', ['db'], '16.5');
    expect(d.deploymentSet?.services[0]).toMatchObject({ image: 'registry.example.com/team/db:16.5', tagCheck: { status: 'unchecked' } });
    expect(card(d)).toContain('ref 16.5 (tag not checked: registry.example.com could not be asked: ECONNREFUSED)');
  });

  it('sends a ref on the whole app to the built services; image services keep their configured image', async () => {
    const asked = registry.asked.length;
    const d = await recorded('shop', null, 'v2');
    expect(source.resolved.at(-1)).toBe('v2');
    expect(registry.asked).toHaveLength(asked);
    const images = Object.fromEntries((d.deploymentSet?.services ?? []).map((s) => [s.name, [s.version, s.image]]));
    expect(images).toEqual({ db: ['registry.example.com/team/db:16', 'registry.example.com/team/db:16'], cache: ['registry.example.com/team/cache:7', 'registry.example.com/team/cache:7'], api: [SHA, null] });
  });

  it.each([
    ['an app whose services all run images', 'images', null, '16.4', 'a tag deploys one of them at a time: name it, as in `deploy images/db@16.4 to staging`'],
    ['an image service named with a built one', 'shop', ['db', 'api'], '16.4', 'db runs an image: a tag deploys one image service named alone, as in `deploy shop/db@16.4 to staging`; deploy api at a git ref separately: `deploy shop/api@16.4 to staging`'],
    ['two image services named', 'shop', ['db', 'cache'], '16.4', 'db, cache run images: a tag deploys one image service named alone'],
    ['a tag outside Docker\'s grammar', 'shop', ['db'], '16.4+build', 'bad ref: "16.4+build" is not an image tag'],
    ['a digest for built services', 'shop', ['api'], DIGEST, 'bad ref: a digest names an image'],
  ])('answers how to write it: %s', async (_name, app, services, ref, reason) => {
    const asked = registry.asked.length;
    const result = await deploy(app, services, ref);
    expect(result).toMatchObject({ ok: false, code: 'BAD_REF' });
    expect(!result.ok && result.reason).toContain(reason);
    expect(registry.asked).toHaveLength(asked);
  });
});
