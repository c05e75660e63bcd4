import { pino, type DestinationStream, type Logger } from 'pino';
import { redactValues } from './domain/redact.ts';

/**
 * Every finished line, with each string in it redacted: the message, an `err`'s message and
 * stack, and a child's bindings alike. pino's own `redact` below only knows fixed paths; a
 * credential inside a text (`cannot clone https://user:token@…`) is found by its shape.
 */
function redactLine(line: string): string {
  return `${JSON.stringify(redactValues(JSON.parse(line)))}\n`;
}

/** The one root logger; everything else takes children of it. Tokens never reach a log line. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'hoist' },
      hooks: { streamWrite: redactLine },
      redact: {
        paths: [
          'token',
          '*.token',
          'botToken',
          '*.botToken',
          'signingSecret',
          '*.signingSecret',
          'password',
          '*.password',
          'authorization',
          '*.authorization',
          'headers.authorization',
          'req.headers.authorization',
          'env.slack',
          'env.registry.password',
          'env.githubToken',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
