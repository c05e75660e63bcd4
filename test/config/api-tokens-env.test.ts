import { describe, expect, it } from 'vitest';
import { parseApiTokens } from '../../src/config/api-tokens.ts';
import { parseEnv } from '../../src/config/env.ts';

const SECRET = `hoist_${'s3cr3t'.repeat(7)}`;

describe('HOIST_API_TOKENS', () => {
  it('reads each entry: name, scopes, and optionally apps, environments and the user it acts for', () => {
    const env = parseEnv({ HOIST_API_TOKENS: `ci:read+deploy:${SECRET}, deployer:deploy+approve:apps=shop+blog:envs=staging:as=U0ALICE:${SECRET}x` });
    expect(parseApiTokens(env.apiTokens)).toEqual([
      { grant: { name: 'ci', scopes: ['read', 'deploy'], apps: null, envs: null, actAs: null, expiresAt: null }, secret: SECRET },
      { grant: { name: 'deployer', scopes: ['deploy', 'approve'], apps: ['shop', 'blog'], envs: ['staging'], actAs: 'U0ALICE', expiresAt: null }, secret: `${SECRET}x` },
    ]);
    expect(parseApiTokens([])).toEqual([]);
  });

  it.each([
    [[`ci:${SECRET}`], 'HOIST_API_TOKENS entry 1 ("ci"): expected <name>:<scope>+<scope>'],
    [[`ci:read:${SECRET}`, `ci:read:short-secret-ab`], 'HOIST_API_TOKENS entry 2 ("ci"): the secret (last part) must be hoist_ followed by 32 or more'],
    [[`ci:read+push:${SECRET}`], 'HOIST_API_TOKENS entry 1 ("ci"): unknown scope "push"; scopes: read, deploy, cancel, approve, lock, admin'],
    [[`ci:read:team=a:${SECRET}`], 'HOIST_API_TOKENS entry 1 ("ci"): "team" is not an option: use apps=<app>+<app>, envs=<env>+<env> or as=<Slack user id>'],
    [[`ci:read:as=alice:${SECRET}`], '"alice" is not a Slack user id'],
    [[`ci:read:${SECRET}`, `ci:deploy:${SECRET}y`], 'HOIST_API_TOKENS entry 2 ("ci"): the name "ci" is given twice'],
    [[`c i:read:${SECRET}`], 'HOIST_API_TOKENS entry 1 ("c i"): "c i" is not a token name'],
    [[SECRET], 'HOIST_API_TOKENS entry 1: expected'],
  ])('refuses %j, naming the variable and the entry but never the secret', (entries, message) => {
    let thrown: Error | null = null;
    try {
      parseApiTokens(entries);
    } catch (error) {
      thrown = error as Error;
    }
    expect(thrown?.message).toContain(message);
    expect(thrown?.message).not.toContain('s3cr3t');
    expect(thrown?.message).not.toContain('short-secret');
  });
});
