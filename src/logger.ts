import { pino, type DestinationStream, type Logger } from 'pino';

/** The one root logger; everything else takes children of it. Tokens never reach a log line. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'hoist' },
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
