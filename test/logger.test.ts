import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { secretMasker } from '../src/domain/redact.ts';
import { createLogger, maskSecretsInLog } from '../src/logger.ts';

const URL_WITH_TOKEN = 'http://deploy:s3cr3tTOKEN@127.0.0.1:1/x.git';
const MASKED = 'http://deploy:[redacted]@127.0.0.1:1/x.git';

function capture() {
  const lines: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('the root logger', () => {
  it('masks credentials in messages, fields, bindings and errors, and writes JSON lines', () => {
    const { logger, lines, parsed } = capture();
    logger.child({ component: 'git', repo: URL_WITH_TOKEN }).info({ ms: 12 }, `git mirror cloned from ${URL_WITH_TOKEN}`);
    logger.warn('fetching %s failed', URL_WITH_TOKEN);
    logger.error({ err: new Error(`cannot clone ${URL_WITH_TOKEN}`), deploymentId: 7 }, 'build failed');
    logger.error(new Error(`cannot fetch https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/acme/shop.git`));
    logger.info({ detail: { headers: ['Authorization: Bearer abcdefgh12345678'] } }, 'nested');

    expect(lines.every((line) => line.endsWith('\n'))).toBe(true);
    expect(lines.join('')).not.toMatch(/s3cr3tTOKEN|ghp_abcdefghijklmnopqrstuvwxyz0123456789|abcdefgh12345678/);
    const [cloned, fetching, failed, thrown, nested] = parsed();
    expect(cloned).toMatchObject({ level: 30, service: 'hoist', component: 'git', repo: MASKED, ms: 12, msg: `git mirror cloned from ${MASKED}` });
    expect(fetching).toMatchObject({ level: 40, msg: `fetching ${MASKED} failed` });
    expect(failed).toMatchObject({ level: 50, deploymentId: 7, msg: 'build failed', err: { type: 'Error', message: `cannot clone ${MASKED}` } });
    expect((failed!.err as { stack: string }).stack).toContain(`Error: cannot clone ${MASKED}`);
    expect(thrown).toMatchObject({ msg: 'cannot fetch https://[redacted]@github.com/acme/shop.git' });
    expect(nested).toMatchObject({ detail: { headers: ['Authorization: Bearer [redacted]'] } });
  });

  it('still censors the fields it knows by name', () => {
    const { logger, parsed } = capture();
    logger.info({ env: { registry: { password: 'hunter2' } }, token: 'xyz' }, 'configured');
    expect(parsed()[0]).toMatchObject({ env: { registry: { password: '[redacted]' } }, token: '[redacted]', msg: 'configured' });
  });

  it('masks the values of services’ env once Hoist gives it their masker, in its children too', () => {
    const { logger, lines, parsed } = capture();
    const child = logger.child({ deploymentId: 3 });
    child.warn('container said: connecting with hunter2');
    const masker = secretMasker({ secrets: ['hunter2'], fingerprint: () => 'a1b2c3d4' });
    expect(maskSecretsInLog(logger, masker)).toBe(true);
    child.error({ err: new Error('login hunter2 refused') }, 'container said: connecting with hunter2');
    logger.info({ greeting: 'hello' }, 'started');
    // Before the masker, only the shapes are known: that line shows why Hoist sets it before anything else runs.
    expect(parsed()[0]).toMatchObject({ msg: 'container said: connecting with hunter2' });
    expect(lines.slice(1).join('')).not.toContain('hunter2');
    expect(parsed()[1]).toMatchObject({ deploymentId: 3, msg: 'container said: connecting with ••••a1b2c3d4', err: { message: 'login ••••a1b2c3d4 refused' } });
    expect(parsed()[2]).toMatchObject({ greeting: 'hello', msg: 'started' });
  });

  it('says so when a logger it did not make cannot mask values', () => {
    expect(maskSecretsInLog(pino({ level: 'silent' }), secretMasker({ secrets: [], fingerprint: () => '' }))).toBe(false);
  });
});
