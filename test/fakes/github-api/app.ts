import { createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';

/** A GitHub App as the fake knows it: its id and key pair (the private key is what the App's owner downloads). */
export interface FakeApp {
  id: number;
  slug: string;
  privateKey: string;
  publicKey: string;
}

export function createFakeApp(id: number): FakeApp {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { id, slug: 'hoist-test', privateKey, publicKey };
}

const b64 = (part: string): unknown => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

/**
 * An App's JWT as GitHub checks it: RS256 signed with the App's key, `iss` the App's id,
 * `iat` and `exp` integers, `exp` at most ten minutes ahead and not past. Checked against
 * the real clock: the App signs with it (the fake clock moves installation tokens only).
 */
export function checkJwt(app: FakeApp, jwt: string, nowSeconds = Math.floor(Date.now() / 1000)): string | null {
  const parts = jwt.split('.');
  if (parts.length !== 3) return 'A JSON web token could not be decoded';
  const [head = '', body = '', signature = ''] = parts;
  let header: { alg?: string };
  let claims: { iss?: unknown; iat?: unknown; exp?: unknown };
  try {
    header = b64(head) as typeof header;
    claims = b64(body) as typeof claims;
  } catch {
    return 'A JSON web token could not be decoded';
  }
  if (header.alg !== 'RS256') return 'A JSON web token could not be decoded';
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${head}.${body}`);
  if (!verifier.verify(app.publicKey, Buffer.from(signature, 'base64url'))) return 'A JSON web token could not be decoded';
  if (String(claims.iss) !== String(app.id)) return "'Issuer' claim ('iss') must be an Integer";
  if (typeof claims.iat !== 'number' || !Number.isInteger(claims.iat)) return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.";
  if (typeof claims.exp !== 'number' || !Number.isInteger(claims.exp)) return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.";
  if (claims.exp - nowSeconds > 600) return "'Expiration time' claim ('exp') is too far in the future";
  if (claims.exp <= nowSeconds) return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.";
  if (claims.iat > nowSeconds + 60) return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.";
  return null;
}

/** An installation access token in GitHub's form (`ghs_` + 36 characters). */
export function installationToken(): string {
  return `ghs_${randomBytes(27).toString('base64url').slice(0, 36)}`;
}

/** The permissions an installation token is issued with, as the App was granted them. */
export const APP_PERMISSIONS = { contents: 'read', deployments: 'write', statuses: 'write', checks: 'read', pull_requests: 'read', metadata: 'read' };
