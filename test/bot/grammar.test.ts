import { describe, expect, it } from 'vitest';
import { VERBS, type AliasVerb, type Command } from '../../src/domain/command.ts';
import { helpText, parseCommand, suggest, usageOf } from '../../src/bot/grammar.ts';
import { editDistance } from '../../src/bot/suggest.ts';

const whole = (app: string) => ({ app, services: null });

describe('parseCommand: every verb and form', () => {
  const cases: [string, Command][] = [
    ['deploy shop to staging', { verb: 'deploy', scope: whole('shop'), env: 'staging', ref: null }],
    ['deploy shop/api@v1.4.2 to production', { verb: 'deploy', scope: { app: 'shop', services: ['api'] }, env: 'production', ref: 'v1.4.2' }],
    ['deploy shop/api,worker to staging', { verb: 'deploy', scope: { app: 'shop', services: ['api', 'worker'] }, env: 'staging', ref: null }],
    ['deploy shop@feature/login-2 to qa-1', { verb: 'deploy', scope: whole('shop'), env: 'qa-1', ref: 'feature/login-2' }],
    ['deploy shop@3f2a9c1 to staging', { verb: 'deploy', scope: whole('shop'), env: 'staging', ref: '3f2a9c1' }],
    ['redeploy shop in staging', { verb: 'redeploy', scope: whole('shop'), env: 'staging' }],
    ['redeploy shop/api in production', { verb: 'redeploy', scope: { app: 'shop', services: ['api'] }, env: 'production' }],
    ['rollback shop/api in production', { verb: 'rollback', scope: { app: 'shop', services: ['api'] }, env: 'production', to: null }],
    ['rollback shop/api in production to #1040', { verb: 'rollback', scope: { app: 'shop', services: ['api'] }, env: 'production', to: 1040 }],
    ['rollback shop to #1040 in production', { verb: 'rollback', scope: whole('shop'), env: 'production', to: 1040 }],
    ['stop shop/report in staging', { verb: 'stop', scope: { app: 'shop', services: ['report'] }, env: 'staging' }],
    ['restart shop/api in production', { verb: 'restart', scope: { app: 'shop', services: ['api'] }, env: 'production' }],
    ['destroy shop/db in local --confirm shop/db', { verb: 'destroy', scope: { app: 'shop', services: ['db'] }, env: 'local', confirm: 'shop/db' }],
    ['destroy shop/db in local --confirm=shop/db', { verb: 'destroy', scope: { app: 'shop', services: ['db'] }, env: 'local', confirm: 'shop/db' }],
    // Read as typed: the service says what to give instead.
    ['destroy shop/db in local', { verb: 'destroy', scope: { app: 'shop', services: ['db'] }, env: 'local', confirm: null }],
    ['destroy shop/db in local --confirm db', { verb: 'destroy', scope: { app: 'shop', services: ['db'] }, env: 'local', confirm: 'db' }],
    ['cancel #1042', { verb: 'cancel', target: { kind: 'deployment', id: 1042 } }],
    ['cancel 1042', { verb: 'cancel', target: { kind: 'deployment', id: 1042 } }],
    ['cancel shop in staging', { verb: 'cancel', target: { kind: 'environment', app: 'shop', env: 'staging' } }],
    ['status', { verb: 'status', app: null, env: null }],
    ['status shop', { verb: 'status', app: 'shop', env: null }],
    ['status in staging', { verb: 'status', app: null, env: 'staging' }],
    ['status shop in staging', { verb: 'status', app: 'shop', env: 'staging' }],
    ['history shop', { verb: 'history', app: 'shop', env: null }],
    ['history shop in production', { verb: 'history', app: 'shop', env: 'production' }],
    ['lock shop in production', { verb: 'lock', app: 'shop', env: 'production', reason: null }],
    ['lock shop in production --reason "incident 88"', { verb: 'lock', app: 'shop', env: 'production', reason: 'incident 88' }],
    ['unlock shop in production', { verb: 'unlock', app: 'shop', env: 'production', force: false }],
    ['unlock shop in production --force', { verb: 'unlock', app: 'shop', env: 'production', force: true }],
    ['where shop', { verb: 'where', app: 'shop' }],
    ['deploy shop@abc123 to production --force "hotfix for incident 88"', { verb: 'deploy', scope: { app: 'shop', services: null }, env: 'production', ref: 'abc123', force: 'hotfix for incident 88' }],
    [
      'deploy shop to production --force=hotfix --bypass-approval "incident 88"',
      { verb: 'deploy', scope: { app: 'shop', services: null }, env: 'production', ref: null, force: 'hotfix', bypassApproval: 'incident 88' },
    ],
    ['logs #1042', { verb: 'logs', id: 1042, service: null }],
    ['logs #1042 api', { verb: 'logs', id: 1042, service: 'api' }],
    ['logs 1042', { verb: 'logs', id: 1042, service: null }],
    ['logs shop/api in production', { verb: 'logs', id: null, app: 'shop', service: 'api', env: 'production' }],
    ['logs shop/api  IN  staging', { verb: 'logs', id: null, app: 'shop', service: 'api', env: 'staging' }],
    ['help', { verb: 'help', topic: null }],
    ['help rollback', { verb: 'help', topic: 'rollback' }],
    ['', { verb: 'help', topic: null }],
  ];
  it.each(cases)('%j', (text, command) => {
    expect(parseCommand(text)).toEqual({ ok: true, command });
  });
});

describe('parseCommand: tolerance', () => {
  const deployShop: Command = { verb: 'deploy', scope: whole('shop'), env: 'staging', ref: null };
  const lock = (reason: string): Command => ({ verb: 'lock', app: 'shop', env: 'production', reason });
  const cases: [string, Command][] = [
    ['  deploy   shop    to  staging  ', deployShop],
    ['/hoist deploy shop to staging', deployShop],
    ['@hoist deploy shop to staging', deployShop],
    ['<@U0HOIST> deploy shop to staging', deployShop],
    ['<@U0HOIST|hoist>: deploy shop to staging', deployShop],
    ['hoist deploy shop to staging', deployShop],
    ['DEPLOY shop TO staging', deployShop],
    ['Deploy shop To staging', deployShop],
    ['/deploy shop to staging', deployShop],
    ['deploy\u00a0shop\tto\nstaging', deployShop],
    ['deploy shop/api, worker to staging', { verb: 'deploy', scope: { app: 'shop', services: ['api', 'worker'] }, env: 'staging', ref: null }],
    ['deploy shop/api,api to staging', { verb: 'deploy', scope: { app: 'shop', services: ['api'] }, env: 'staging', ref: null }],
    ['deploy shop @v2 to staging', { verb: 'deploy', scope: whole('shop'), env: 'staging', ref: 'v2' }],
    ['STATUS SHOP in staging'.replace('SHOP', 'shop'), { verb: 'status', app: 'shop', env: 'staging' }],
    ['lock shop in production --reason “incident 88”', lock('incident 88')],
    ['lock shop in production --reason ‘incident 88’', lock('incident 88')],
    ["lock shop in production --reason 'don't deploy'", lock("don't deploy")],
    ['lock shop in production --reason "don\'t deploy"', lock("don't deploy")],
    ['lock shop in production --reason=“incident 88”', lock('incident 88')],
    ['lock shop in production --reason incident 88', lock('incident 88')],
    ['lock shop in production —reason "incident 88"', lock('incident 88')],
    ['lock shop in production --REASON "a & b"', lock('a & b')],
    ['lock shop in production --reason "a &amp; b &lt;3"', lock('a & b <3')],
    ['lock shop in production --reason "incident 88', lock('incident 88')],
    ['unlock shop in production -f', { verb: 'unlock', app: 'shop', env: 'production', force: true }],
    ['LOGS #12 api', { verb: 'logs', id: 12, service: 'api' }],
    ['/hoist logs   #12', { verb: 'logs', id: 12, service: null }],
    ['logs help', { verb: 'help', topic: 'logs' }],
    ['help /deploy', { verb: 'help', topic: 'deploy' }],
    ['deploy help', { verb: 'help', topic: 'deploy' }],
    ['rollback --help', { verb: 'help', topic: 'rollback' }],
  ];
  it.each(cases)('%j', (text, command) => {
    expect(parseCommand(text)).toEqual({ ok: true, command });
  });
});

describe('parseCommand: aliases', () => {
  const cases: [AliasVerb, string, Command][] = [
    ['deploy', 'shop to staging', { verb: 'deploy', scope: whole('shop'), env: 'staging', ref: null }],
    ['deploy', 'shop/api@v1.4.2 to production', { verb: 'deploy', scope: { app: 'shop', services: ['api'] }, env: 'production', ref: 'v1.4.2' }],
    ['redeploy', 'shop in staging', { verb: 'redeploy', scope: whole('shop'), env: 'staging' }],
    ['rollback', 'shop/api in production to #1040', { verb: 'rollback', scope: { app: 'shop', services: ['api'] }, env: 'production', to: 1040 }],
    ['stop', 'shop/report in staging', { verb: 'stop', scope: { app: 'shop', services: ['report'] }, env: 'staging' }],
    ['restart', 'shop/api in production', { verb: 'restart', scope: { app: 'shop', services: ['api'] }, env: 'production' }],
    ['cancel', '#1042', { verb: 'cancel', target: { kind: 'deployment', id: 1042 } }],
    ['cancel', 'shop in staging', { verb: 'cancel', target: { kind: 'environment', app: 'shop', env: 'staging' } }],
    ['deploy', '', { verb: 'help', topic: 'deploy' }],
    ['stop', 'help', { verb: 'help', topic: 'stop' }],
    ['deploy', 'deploy shop to staging', { verb: 'deploy', scope: whole('shop'), env: 'staging', ref: null }],
    ['deploy', 'deploy to staging', { verb: 'deploy', scope: whole('deploy'), env: 'staging', ref: null }],
  ];
  it.each(cases)('/%s %j', (alias, text, command) => {
    expect(parseCommand(text, alias)).toEqual({ ok: true, command });
  });

  it('reports errors with the usage of the alias verb', () => {
    const result = parseCommand('shop', 'deploy');
    expect(result).toEqual({ ok: false, reason: 'expected `to <environment>` after `shop`', usage: usageOf('deploy'), suggestion: null });
  });
});

describe('parseCommand: errors', () => {
  const cases: [string, { reason: string; suggestion?: string | null; usageOf?: (typeof VERBS)[number] }][] = [
    ['deploy shop', { reason: 'expected `to <environment>` after `shop`', usageOf: 'deploy' }],
    ['deploy shop staging', { reason: 'expected `to <environment>` after `shop`, got `staging`', suggestion: null }],
    ['deploy shop ot staging', { reason: 'expected `to <environment>` after `shop`, got `ot`', suggestion: 'to' }],
    ['deploy shop in staging', { reason: 'expected `to <environment>` after `shop`, got `in`', suggestion: 'to' }],
    ['redeploy shop to staging', { reason: 'expected `in <environment>` after `shop`, got `to`', suggestion: 'in', usageOf: 'redeploy' }],
    ['deploy shop to', { reason: 'expected an environment after `to`' }],
    ['deploy to staging', { reason: 'expected an app before `to`' }],
    ['deploy shop to staging now', { reason: 'unexpected `now` after `staging`' }],
    ['deploy shop to staging --force', { reason: '`--force` needs a reason, for the record: `--force "hotfix for incident 88"`' }],
    ['deploy shop to staging --force a --force b', { reason: '`--force` is given twice' }],
    ['deploy shop to staging --forse hotfix', { reason: '`deploy` takes no option `--forse`' }],
    ['destroy shop/db@v1 in local --confirm shop/db', { reason: '`destroy` takes no ref; to run another version, `deploy shop/db@v1 to <environment>`', suggestion: 'deploy' }],
    ['destroy shop/db in local --force', { reason: '`destroy` takes no option `--force`' }],
    ['destroy shop/db to local', { reason: 'expected `in <environment>` after `shop/db`, got `to`', suggestion: 'in', usageOf: 'destroy' }],
    ['deploy shop/ to staging', { reason: 'expected a service name in `shop/`, such as `shop/api`' }],
    ['deploy shop/api,,web to staging', { reason: 'expected a service name in `shop/api,,web`, such as `shop/api`' }],
    ['deploy shop@ to staging', { reason: 'expected a git ref after `@` in `shop@`, such as `shop@v1.4.2`' }],
    ['deploy shop@--upload-pack=x to staging', { reason: 'invalid ref: "--upload-pack=x" starts with "-"' }],
    ['deploy shop@a..b to staging', { reason: 'invalid ref: "a..b" contains ".."' }],
    ['deploy shop@x.lock to staging', { reason: 'invalid ref: "x.lock" has a component ending with ".lock"' }],
    ['deploy shop@main~1 to staging', { reason: 'invalid ref: "main~1" contains a space, a control character or one of ~ ^ : ? * [ \\' }],
    ['deploy Shop to staging', { reason: '`Shop` is not a valid app name: use lowercase letters, digits and "-", starting with a letter', suggestion: 'shop' }],
    ['deploy shop/API to staging', { reason: '`API` is not a valid service name: use lowercase letters, digits and "-", starting with a letter', suggestion: 'api' }],
    ['deploy shop to Staging', { reason: '`Staging` is not a valid environment name: use lowercase letters, digits and "-", starting with a letter', suggestion: 'staging' }],
    ['deploy "my shop" to staging', { reason: '`my shop` is not a valid app name: use lowercase letters, digits and "-", starting with a letter', suggestion: null }],
    ['deploy 1shop to staging', { reason: '`1shop` is not a valid app name: use lowercase letters, digits and "-", starting with a letter' }],
    ['deploy my shop to staging', { reason: 'expected `to <environment>` after `my`, got `shop`' }],
    ['deploy shop_api to staging', { reason: '`shop_api` is not a valid app name: use lowercase letters, digits and "-", starting with a letter' }],
    ['deplyo shop to staging', { reason: 'unknown command `deplyo`', suggestion: 'deploy', usageOf: 'deploy' }],
    ['rollbak shop in production', { reason: 'unknown command `rollbak`', suggestion: 'rollback', usageOf: 'rollback' }],
    ['stauts', { reason: 'unknown command `stauts`', suggestion: 'status', usageOf: 'status' }],
    ['frobnicate shop', { reason: 'unknown command `frobnicate`', suggestion: null }],
    ['redeploy shop@v2 in staging', { reason: '`redeploy` takes no ref; to run another version, `deploy shop@v2 to <environment>`', suggestion: 'deploy' }],
    ['cancel #0', { reason: '`#0` is not a deployment number: deployment numbers start at 1', usageOf: 'cancel' }],
    ['cancel #abc', { reason: '`#abc` is not a deployment number: expected `#` and a positive integer, such as `#1042`' }],
    ['cancel #-3', { reason: '`#-3` is not a deployment number: expected `#` and a positive integer, such as `#1042`' }],
    ['cancel #1.5', { reason: '`#1.5` is not a deployment number: expected `#` and a positive integer, such as `#1042`' }],
    ['cancel #', { reason: '`#` is not a deployment number: expected `#` and a positive integer, such as `#1042`' }],
    ['cancel #99999999999', { reason: '`#99999999999` is not a deployment number: it is too large' }],
    ['cancel', { reason: 'expected `#<deployment>` or `<app> in <environment>` after `cancel`' }],
    ['cancel #12 #13', { reason: 'unexpected `#13` after `#12`' }],
    ['cancel shop/api in staging', { reason: '`cancel` works on a whole app: use `shop`, not `shop/api`', suggestion: 'shop' }],
    ['rollback shop in production to #0', { reason: '`#0` is not a deployment number: deployment numbers start at 1' }],
    ['rollback shop in production to #abc', { reason: '`#abc` is not a deployment number: expected `#` and a positive integer, such as `#1042`' }],
    ['rollback shop in production to', { reason: 'expected a deployment number after `to`, such as `to #1040`' }],
    ['rollback shop to production', { reason: '`rollback` takes `in <environment>`; `to` is for a deployment number, such as `to #1040`', suggestion: 'in' }],
    ['rollback shop in production #1040', { reason: 'expected `to #<deployment>` or nothing after `production`, got `#1040`' }],
    ['rollback shop', { reason: 'expected `in <environment>` after `shop`' }],
    ['status shop staging', { reason: 'expected `in <environment>` after `shop`, got `staging`' }],
    ['status shop ni staging', { reason: 'expected `in <environment>` after `shop`, got `ni`', suggestion: 'in' }],
    ['status shop/api', { reason: '`status` works on a whole app: use `shop`, not `shop/api`', suggestion: 'shop' }],
    ['history', { reason: 'expected an app after `history`' }],
    ['where shop in staging', { reason: 'unexpected `in` after `shop`' }],
    ['lock shop in production incident', { reason: 'unexpected `incident` after `production`; give a reason with `--reason "…"`' }],
    ['lock shop in production --reason', { reason: 'expected a text after `--reason`, such as `--reason "incident 88"`' }],
    ['lock shop in production --reason ""', { reason: 'expected a text after `--reason`, such as `--reason "incident 88"`' }],
    ['lock shop in production --reason a --reason b', { reason: '`--reason` is given twice' }],
    ['lock shop in production --reson "x"', { reason: '`lock` has no option `--reson`', suggestion: '--reason' }],
    [`lock shop in production --reason "${'x'.repeat(501)}"`, { reason: 'the reason is longer than 500 characters' }],
    ['unlock shop in production --forse', { reason: '`unlock` has no option `--forse`', suggestion: '--force' }],
    ['unlock shop in production --force=yes', { reason: '`unlock` has no option `--force=yes`', suggestion: '--force' }],
    ['help deplyo', { reason: 'there is no command `deplyo`', suggestion: 'deploy', usageOf: 'help' }],
    ['logs', { reason: 'expected `#<deployment>` or `<app>/<service> in <environment>` after `logs`, such as `logs #1042` or `logs shop/api in production`', usageOf: 'logs' }],
    ['logs abc', { reason: "`logs` shows one running service: `logs abc/api in <environment>`; a deployment's log is `logs #<deployment>` (`history abc` lists them)", usageOf: 'logs' }],
    ['logs shop/api,web in staging', { reason: "`logs` shows one running service: `logs shop/api in <environment>`; a deployment's log is `logs #<deployment>` (`history shop` lists them)", usageOf: 'logs' }],
    ['logs shop/api@v2 in staging', { reason: "`logs` shows one running service: `logs shop/api in <environment>`; a deployment's log is `logs #<deployment>` (`history shop` lists them)", usageOf: 'logs' }],
    ['logs shop/api', { reason: 'expected `in <environment>` after `shop/api`', usageOf: 'logs' }],
    ['logs #abc', { reason: '`#abc` is not a deployment number: expected `#` and a positive integer, such as `#1042`', usageOf: 'logs' }],
    ['logs #0', { reason: '`#0` is not a deployment number: deployment numbers start at 1' }],
    ['logs #12 API', { reason: '`API` is not a valid service name: use lowercase letters, digits and "-", starting with a letter', suggestion: 'api', usageOf: 'logs' }],
    ['logs #12 api web', { reason: 'unexpected `web` after `api`', usageOf: 'logs' }],
    ['logs #12 --follow', { reason: '`logs` takes no option `--follow`', usageOf: 'logs' }],
    ['lgos #12', { reason: 'unknown command `lgos`', suggestion: 'logs', usageOf: 'logs' }],
    ['log #12', { reason: 'unknown command `log`', suggestion: 'logs', usageOf: 'logs' }],
  ];
  it.each(cases)('%j', (text, expected) => {
    const result = parseCommand(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe(expected.reason);
    if (expected.suggestion !== undefined) expect(result.suggestion).toBe(expected.suggestion);
    if (expected.usageOf) expect(result.usage).toBe(usageOf(expected.usageOf));
  });

  it('gives the usage of the verb it was reading', () => {
    const result = parseCommand('rollback shop');
    expect(result).toMatchObject({ ok: false, usage: 'rollback <app>[/<service>[,<service>…]] in <environment> [to #<deployment>]' });
  });

  it('lists every usage line when the verb is unknown and nothing is close', () => {
    const result = parseCommand('frobnicate');
    if (result.ok) throw new Error('expected a failure');
    for (const verb of VERBS) expect(result.usage).toContain(usageOf(verb));
  });
});

describe('suggest', () => {
  const cases: [string, readonly string[], string | null][] = [
    ['deplyo', VERBS, 'deploy'],
    ['DEPLYO', VERBS, 'deploy'],
    ['redeplyo', VERBS, 'redeploy'],
    ['lcok', VERBS, 'lock'],
    ['histroy', VERBS, 'history'],
    ['lgos', VERBS, 'logs'],
    ['stat', VERBS, 'status'],
    ['stpo', VERBS, 'stop'],
    ['satging', ['staging', 'production'], 'staging'],
    ['prod', ['staging', 'production'], null],
    ['shpo', ['shop', 'blog'], 'shop'],
    ['ot', ['to'], 'to'],
    ['in', ['to'], null],
    ['x', ['a', 'b'], null],
    ['apo', ['api', 'app'], 'api'],
    ['worker', [], null],
  ];
  it.each(cases)('%j in %j → %j', (word, candidates, expected) => {
    expect(suggest(word, candidates)).toBe(expected);
  });

  it.each([
    ['deploy', 'deplyo', 1],
    ['abc', 'abc', 0],
    ['ca', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
  ] as const)('editDistance(%j, %j) = %d', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });
});

describe('help', () => {
  it('lists every verb with a description and an example', () => {
    const text = helpText(null);
    for (const verb of VERBS) expect(text).toContain(`\`/hoist ${usageOf(verb)}\` — `);
    expect(text).toContain('`/hoist deploy shop/api@v1.4.2 to production`');
    expect(text).toContain('`/hoist cancel #1042`');
  });

  it('explains one verb at length', () => {
    const text = helpText('rollback');
    expect(text).toContain('Usage: `/hoist rollback <app>[/<service>[,<service>…]] in <environment> [to #<deployment>]`');
    expect(text).toContain('locked');
    expect(text).toContain('`/hoist rollback shop/api in production to #1040`');
    expect(text).not.toContain('deploy shop to staging');
  });

  it('uses the prefix of the chat it is shown in', () => {
    expect(helpText('cancel', '')).toContain('• `cancel #1042`');
  });

  it.each(VERBS)('usage of %s parses from its own examples', (verb) => {
    const examples = helpText(verb, '').split('\n').filter((line) => line.startsWith('• `'));
    expect(examples.length).toBeGreaterThan(0);
    for (const line of examples) {
      const example = line.slice(3, -1);
      const parsed = parseCommand(example);
      expect(parsed, example).toMatchObject({ ok: true, command: { verb } });
    }
  });
});
