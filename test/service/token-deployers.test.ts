import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenPerson } from '../../src/domain/api-token.ts';
import type { Actor } from '../../src/service/contract.ts';
import { asking, command, openServiceFixture, type ServiceFixture } from './service-fixture.ts';

/** A token acts as itself (`token:ci`, which `deployers` may name) or as the Slack user it was made for. */
describe('service: tokens among the deployers', () => {
  let f: ServiceFixture;
  beforeAll(async () => {
    f = await openServiceFixture({
      environments: { guarded: "{ target: engine, deployers: [token:ci, '@backend'] }" },
      groups: { U0CAROL: ['@backend'] },
    });
  });
  afterAll(async () => {
    await f?.close();
  });

  const byToken = (name: string, actAs: string | null = null): Actor => ({ requester: tokenPerson({ name, actAs }), origin: { kind: 'none' } });
  const deploy = (who: Actor, services: string[]) => f.service.request(command.deploy('guarded', { services }), asking(who));

  it('lets a token named in deployers deploy, recorded as token:<name>', async () => {
    expect(f.config.apps.get('shop')?.environments.get('guarded')?.deployers).toEqual(['token:ci', '@backend']);
    expect(await deploy(byToken('ci'), ['db'])).toMatchObject({ ok: true, deployment: { requestedBy: { id: 'token:ci', name: 'token:ci' } } });
  });

  it('refuses a token not named, listing the deployers, and asks no directory about a token', async () => {
    expect(await deploy(byToken('nightly'), ['db'])).toEqual({ ok: false, code: 'FORBIDDEN', reason: "only guarded's deployers may deploy shop in guarded: token:ci, @backend" });
    expect(f.groupLookups.filter((id) => id.startsWith('token:'))).toEqual([]);
  });

  it('lets a token made for a user act with that user’s rights', async () => {
    expect(await deploy(byToken('carols-ci', 'U0CAROL'), ['api'])).toMatchObject({ ok: true, deployment: { requestedBy: { id: 'U0CAROL' } } });
  });
});
