import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseApiTokens } from '../config/api-tokens.ts';
import { ConfigError } from '../config/errors.ts';
import { SECRET_SHAPE } from '../domain/api-token-record.ts';
import { createTokenService, newSecret, type TokenService } from '../service/api-tokens.ts';
import type { SharedParts } from './shared-parts.ts';

export const LOCAL_ADMIN = 'local-admin';

/** The local admin token file: where it is, and whether this start made it (then Hoist says so, once). */
export interface LocalAdminToken {
  file: string;
  created: boolean;
}

/** The token service, with HOIST_API_TOKENS seeded and the local admin token (HOIST_ADMIN_TOKEN_FILE) in place. */
export async function startApiTokens(shared: Pick<SharedParts, 'env' | 'db' | 'logger'>): Promise<{ tokens: TokenService; localAdmin: LocalAdminToken | null }> {
  const { env, db, logger } = shared;
  const tokens = createTokenService({ db });
  const seeded = await tokens.seed(parseApiTokens(env.apiTokens));
  if (!seeded.ok) throw new ConfigError('ENV_INVALID', `HOIST_API_TOKENS: ${seeded.reason}`);
  if (seeded.revoked.length > 0) logger.info({ revoked: seeded.revoked }, 'API tokens no longer in HOIST_API_TOKENS revoked');
  const localAdmin = env.adminTokenFile === null ? null : await ensureLocalAdmin(tokens, env.adminTokenFile, logger);
  return { tokens, localAdmin };
}

/**
 * The admin token whose secret is in `file` (mode 0600): made at first start, the same one
 * at every start after (registered again if the database was reset). Deleting the file
 * makes a new one at the next start, and the old secret stops working.
 */
async function ensureLocalAdmin(tokens: TokenService, file: string, logger: SharedParts['logger']): Promise<LocalAdminToken> {
  let secret = readSecret(file);
  const created = secret === null;
  if (secret === null) {
    secret = newSecret();
    mkdirSync(dirname(file), { recursive: true });
    // 'wx': never overwrite a file another process just wrote.
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  }
  const { revoked } = await tokens.registerLocalAdmin(LOCAL_ADMIN, secret);
  if (revoked) logger.warn({ file }, 'the local admin token was revoked; delete its file and restart for a new one');
  else if (created) logger.info({ file }, 'local admin token written');
  return { file, created };
}

function readSecret(file: string): string | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError('ADMIN_TOKEN_FILE', `cannot read the local admin token file ${file}: ${(error as Error).message}`, { cause: error });
  }
  const secret = text.trim();
  if (!SECRET_SHAPE.test(secret)) {
    throw new ConfigError('ADMIN_TOKEN_FILE', `${file} does not hold a Hoist API token (hoist_…): delete it, and Hoist writes a new one at its next start`);
  }
  return secret;
}
