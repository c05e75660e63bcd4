import { expect } from 'vitest';
import { ConfigError } from '../../src/config/errors.ts';
import { parseHoistConfig } from '../../src/config/hoist-config.ts';

/** The message a hoist.yaml text (read as /etc/hoist.yaml) is refused with; throws when it is accepted. */
export function errorOf(text: string): string {
  try {
    parseHoistConfig(text, '/etc/hoist.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}
