/** An error a user can fix: carries a stable code and says what is wrong and what would work. */
export class ConfigError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
    this.code = code;
  }
}
