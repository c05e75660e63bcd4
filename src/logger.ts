import { pino, type DestinationStream, type Logger } from 'pino';
import { redactValues, type SecretMasker } from './domain/redact.ts';

/** Where a root logger finds the masker of services' secrets, once Hoist has read its key. */
const maskers = new WeakMap<Logger, { masker: SecretMasker | null }>();

/**
 * From now on, every line of `logger` (a root made by {@link createLogger}, and its children)
 * has the values `masker` knows masked too: services' `env` values an engine error or a
 * container's output quotes.
 */
export function maskSecretsInLog(logger: Logger, masker: SecretMasker): boolean {
  const slot = maskers.get(logger);
  if (slot === undefined) return false;
  slot.masker = masker;
  return true;
}

/** The one root logger; everything else takes children of it. Tokens never reach a log line. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const slot: { masker: SecretMasker | null } = { masker: null };
  /**
   * Every finished line, with each string in it redacted: the message, an `err`'s message and
   * stack, and a child's bindings alike. pino's own `redact` below only knows fixed paths; a
   * credential inside a text (`cannot clone https://user:token@…`) is found by its shape, a
   * service's secret by its value.
   */
  const redactLine = (line: string): string => {
    const parsed: unknown = JSON.parse(line);
    // Each string as a text: a short value (a `1`, an `on`) is not hidden wherever a field happens to equal it.
    return `${JSON.stringify(redactValues(parsed, slot.masker?.text))}\n`;
  };
  const logger = pino(
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
          'appToken',
          '*.appToken',
          'password',
          '*.password',
          'authorization',
          '*.authorization',
          'headers.authorization',
          'req.headers.authorization',
          'env.slack',
          'env.registry.password',
          'env.github',
          'env.githubWebhookSecret',
          'privateKey',
          '*.privateKey',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
  maskers.set(logger, slot);
  return logger;
}
