import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from 'pino';

function line(parts: unknown[]): string {
  return parts.map((part) => (part instanceof Error ? part.message : typeof part === 'string' ? part : JSON.stringify(part))).join(' ');
}

/** Bolt and its WebClient log through pino: one stream, one format, one level set at the root. */
export function boltLogger(logger: Logger): BoltLogger {
  let current = logger;
  return {
    debug: (...parts: unknown[]) => current.debug(line(parts)),
    info: (...parts: unknown[]) => current.info(line(parts)),
    warn: (...parts: unknown[]) => current.warn(line(parts)),
    error: (...parts: unknown[]) => current.error(line(parts)),
    // The root logger's level rules; Bolt asks for one only to filter what it builds.
    setLevel: () => {},
    getLevel: () => {
      switch (current.level) {
        case 'trace':
        case 'debug':
          return LogLevel.DEBUG;
        case 'info':
          return LogLevel.INFO;
        case 'warn':
          return LogLevel.WARN;
        default:
          return LogLevel.ERROR;
      }
    },
    setName: (name: string) => {
      current = logger.child({ name });
    },
  };
}
