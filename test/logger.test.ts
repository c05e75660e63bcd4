import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';

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
});
