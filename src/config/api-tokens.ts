import { SECRET_SHAPE, type TokenSeed } from '../domain/api-token-record.ts';
import { parseGrant, type GrantInput } from '../domain/token-grant.ts';
import { ConfigError } from './errors.ts';

const OPTIONS: Record<string, keyof GrantInput> = { apps: 'apps', envs: 'envs', as: 'actAs' };

export const API_TOKENS_FORMAT = '<name>:<scope>+<scope>[:apps=<app>+<app>][:envs=<env>+<env>][:as=<Slack user id>]:<secret>';

/**
 * HOIST_API_TOKENS, one entry per token (comma-separated):
 * `ci:read+deploy:hoist_…`, `deployer:deploy:apps=shop:envs=staging+production:as=U0ALICE:hoist_…`.
 * The secret comes last and is `hoist_` followed by 32 or more letters, digits, `-` or `_`.
 * Errors name the variable and the entry's position (and its name once known), never the secret.
 */
export function parseApiTokens(entries: readonly string[], now = new Date()): TokenSeed[] {
  const seeds: TokenSeed[] = [];
  entries.forEach((entry, index) => {
    const where = `HOIST_API_TOKENS entry ${index + 1}`;
    const parts = entry.split(':');
    const secret = parts.pop() ?? '';
    const [name, scopes, ...options] = parts;
    const named = name ? `${where} ("${name}")` : where;
    if (scopes === undefined) throw new ConfigError('ENV_INVALID', `${named}: expected ${API_TOKENS_FORMAT}, such as ci:read+deploy:hoist_…`);
    if (!SECRET_SHAPE.test(secret)) {
      throw new ConfigError('ENV_INVALID', `${named}: the secret (last part) must be hoist_ followed by 32 or more letters, digits, - or _; make one with: echo hoist_$(openssl rand -hex 32)`);
    }
    const input: GrantInput = { name, scopes: scopes.split('+') };
    for (const option of options) {
      const [key = '', value = ''] = option.split('=', 2);
      const field = OPTIONS[key];
      if (field === undefined || value === '') {
        throw new ConfigError('ENV_INVALID', `${named}: "${key}" is not an option: use apps=<app>+<app>, envs=<env>+<env> or as=<Slack user id> between the scopes and the secret`);
      }
      if (field === 'actAs') input.actAs = value;
      else if (field === 'apps') input.apps = value.split('+');
      else input.envs = value.split('+');
    }
    const grant = parseGrant(input, now);
    if (!grant.ok) throw new ConfigError('ENV_INVALID', `${named}: ${grant.reason}`);
    const twin = seeds.find((s) => s.grant.name === grant.grant.name);
    if (twin) throw new ConfigError('ENV_INVALID', `${named}: the name "${grant.grant.name}" is given twice; each token needs a name of its own`);
    seeds.push({ grant: grant.grant, secret });
  });
  return seeds;
}
