import { describe, expect, it } from 'vitest';
import { MASK, redact, redactLines, redactValues } from '../../src/domain/redact.ts';

describe('redact', () => {
  const cases: [string, string, string][] = [
    ['Slack bot token', 'using xoxb-1234567890-0987654321-AbCdEfGhIjKl', 'using [redacted]'],
    ['Slack user token', 'xoxp-1-2-3-abcdef', '[redacted]'],
    ['Slack app token', 'SLACK_APP_TOKEN=xapp-1-A0123-456-abcdef', 'SLACK_APP_TOKEN=[redacted]'],
    ['Slack refresh token', 'xoxe.xoxp-1-abcdef', '[redacted]'],
    ['Slack webhook', 'POST https://hooks.slack.com/services/T000/B000/XXXXXXXX ok', 'POST https://hooks.slack.com/services/[redacted] ok'],
    ['GitHub classic token', 'auth ghp_abcdefghijklmnopqrstuvwxyz0123456789 done', 'auth [redacted] done'],
    ['GitHub OAuth token', 'gho_abcdefghijklmnopqrstuvwxyz0123456789', '[redacted]'],
    ['GitHub installation token', 'ghs_abcdefghijklmnopqrstuvwxyz0123456789', '[redacted]'],
    ['Hoist API token', 'seeded ci with hoist_Xk3v-9_aB0cD1eF2gH3iJ4kL5mN6oP7qR8sT9uV0wY in a line', 'seeded ci with [redacted] in a line'],
    ['Hoist API token in HOIST_API_TOKENS', 'ci:read+deploy:hoist_0123456789abcdef0123456789abcdef', 'ci:read+deploy:[redacted]'],
    ['a short hoist_ name is not a token', 'database hoist_test_0123456789abcdef', 'database hoist_test_0123456789abcdef'],
    ['GitHub fine-grained token', 'github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123', '[redacted]'],
    ['AWS access key id', 'key AKIAIOSFODNN7EXAMPLE used', 'key [redacted] used'],
    ['AWS secret key', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key = [redacted]'],
    ['Bearer header', 'Authorization: Bearer eyJhbGciOi.abc.def', 'Authorization: Bearer [redacted]'],
    ['Bearer header in curl', 'curl -H "Authorization: Bearer sk-12345678" https://x', 'curl -H "Authorization: Bearer [redacted]" https://x'],
    ['Basic header', 'authorization: Basic dXNlcjpwYXNz', 'authorization: Basic [redacted]'],
    ['bare bearer', 'sent bearer abcdefgh12345678', 'sent bearer [redacted]'],
    ['password=', 'connect password=hunter2 user=bob', 'connect password=[redacted] user=bob'],
    ['token=', 'token=abc123', 'token=[redacted]'],
    ['token: with a space', 'token: abc123', 'token: [redacted]'],
    ['a long token: value', 'token:0123456789abcdef0123456789abcdef0123456789', 'token:[redacted]'],
    ['a token acting as itself is a name', 'deployers: U0ALICE, token:ci-deploy; requested by token:ci', 'deployers: U0ALICE, token:ci-deploy; requested by token:ci'],
    ['any token name is a name, capitals and dots too', 'requested by token:Deploy.Bot_2 at 10:00', 'requested by token:Deploy.Bot_2 at 10:00'],
    ['past the 40 characters of a token name, a secret', 'token:a123456789b123456789c123456789d123456789e', 'token:[redacted]'],
    ['secret=', 'secret=s3cr3t;next', 'secret=[redacted];next'],
    ['env var with suffix', 'DB_PASSWORD: hunter2', 'DB_PASSWORD: [redacted]'],
    ['JSON value with spaces', '{"client_secret": "s3cr3t value", "name": "x"}', '{"client_secret": [redacted], "name": "x"}'],
    ['query parameter', 'GET /cb?access_token=abc123&state=1', 'GET /cb?access_token=[redacted]&state=1'],
    ['api key', 'API_KEY=abcd1234', 'API_KEY=[redacted]'],
    ['URL credentials', 'cloning https://x-access-token:s3cr3t@github.com/acme/shop.git', 'cloning https://x-access-token:[redacted]@github.com/acme/shop.git'],
    ['URL credentials, token-shaped', 'https://x:ghs_abcdefghijklmnopqrstuvwxyz0123456789@github.com/a/b', 'https://x:[redacted]@github.com/a/b'],
    ['database URL', 'postgres://hoist:pw@db:5432/hoist', 'postgres://hoist:[redacted]@db:5432/hoist'],
    ['Redis URL without user', 'redis://:p4ss@redis:6379', 'redis://:[redacted]@redis:6379'],
    ['git clone failure', 'cannot clone http://deploy:s3cr3tTOKEN@127.0.0.1:1/x.git', 'cannot clone http://deploy:[redacted]@127.0.0.1:1/x.git'],
    ['token as the only user', 'fetching https://s3cr3tTOKEN@git.example.com/acme/shop.git', 'fetching https://[redacted]@git.example.com/acme/shop.git'],
    ['GitHub token as the user', 'https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/acme/shop', 'https://[redacted]@github.com/acme/shop'],
    ['registry URL', 'push to https://robot$ci:hunter2@registry.example.com/v2/', 'push to https://robot$ci:[redacted]@registry.example.com/v2/'],
    ['URL in quotes', "unable to access 'https://oauth2:glpat-abcdefghij0123456789@gitlab.com/a/b.git/'", "unable to access 'https://oauth2:[redacted]@gitlab.com/a/b.git/'"],
    ['JWT', 'id eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', 'id [redacted]'],
    ['npm token', 'npm_abcdefghijklmnopqrstuvwxyz0123456789', '[redacted]'],
    // Each word that names a secret key, alone in a line that has nothing else to give it away.
    ['pwd=', 'login pwd=hunter2', 'login pwd=[redacted]'],
    ['passwd:', 'PASSWD: hunter2', 'PASSWD: [redacted]'],
    ['apikey=', 'apikey=abcd1234', 'apikey=[redacted]'],
    ['access-key=', 'ACCESS-KEY=abcd1234', 'ACCESS-KEY=[redacted]'],
    ['private_key:', 'private_key: abcd1234', 'private_key: [redacted]'],
    ['credentials=', 'credentials=abcd1234', 'credentials=[redacted]'],
    ['signature=', 'X_SIGNATURE=abcd1234', 'X_SIGNATURE=[redacted]'],
    ['proxy authorization', 'Proxy-Authorization: abcd1234', 'Proxy-Authorization: [redacted]'],
  ];
  it.each(cases)('%s', (_name, line, expected) => {
    expect(redact(line)).toBe(expected);
  });

  it.each([
    'Step 3/7 : RUN npm ci',
    'nothing to see here: 42 tokens remaining',
    'using token from environment',
    'GET https://github.com/acme/shop.git 200',
    'Pulling postgres:16',
    'image 127.0.0.1:5000/shop/api:v1.4 ready at 10:42, replicas=3',
    'commit abcdef1234567890abcdef1234567890abcdef12',
    'user@example.com signed in',
    'cloning ssh://git@github.com/acme/shop.git',
    'cloning git@github.com:acme/shop.git',
    'https://github.com/acme/shop/commit/abc1234 by someone@example.com',
  ])('leaves %j alone', (line) => {
    expect(redact(line)).toBe(line);
  });

  it('is the same when applied twice', () => {
    for (const [, line] of cases) expect(redact(redact(line))).toBe(redact(line));
  });

  it('redacts every string of a JSON value and keeps its shape', () => {
    const value = { id: 7, reason: 'cannot clone https://u:pw@h/x.git', lines: [{ line: 'token=abc', at: null }], ok: true };
    expect(redactValues(value)).toEqual({ id: 7, reason: 'cannot clone https://u:[redacted]@h/x.git', lines: [{ line: 'token=[redacted]', at: null }], ok: true });
  });

  it('masks a private key block across lines', () => {
    expect(
      redactLines(['before', '-----BEGIN RSA PRIVATE KEY-----', 'MIIEpAIBAAKCAQEA', 'abcdef==', '-----END RSA PRIVATE KEY-----', 'after']),
    ).toEqual(['before', MASK, MASK, MASK, MASK, 'after']);
  });
});
