/** Asks a registry (Distribution API v2) whether an image tag exists, without pulling it. */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { kindOfStatus, kindOfThrown, type CallErrors } from '../../domain/call-errors.ts';

export interface RegistryAuth {
  username: string;
  password: string;
}

export interface ImageReference {
  /** `host[:port]` of the registry, as it appears in the reference. */
  host: string;
  /** The repository inside the registry (`hoist/shop-api`). */
  repository: string;
  tag: string;
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/**
 * Splits `host[:port]/repo/path:tag` (or `…@digest`, `…:tag@digest`: the digest is what is
 * asked for, the tag beside it only a name); a reference without a registry host means Docker Hub.
 */
export function parseImageReference(image: string): ImageReference {
  const slash = image.indexOf('/');
  const first = slash < 0 ? '' : image.slice(0, slash);
  const hasHost = first.includes('.') || first.includes(':') || first === 'localhost';
  const host = hasHost ? first : 'docker.io';
  let rest = hasHost ? image.slice(slash + 1) : image;
  const at = rest.indexOf('@');
  let tag = 'latest';
  if (at >= 0) {
    tag = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) rest = rest.slice(0, colon);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  const repository = host === 'docker.io' && !rest.includes('/') ? `library/${rest}` : rest;
  return { host, repository, tag };
}

/** Registries on the loopback interface are spoken to over plain HTTP, others over HTTPS. */
export function isLoopbackRegistry(host: string): boolean {
  const name = host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

export interface ManifestCheckOptions {
  auth?: RegistryAuth | null;
  /** Force plain HTTP (true) or HTTPS (false); default: plain HTTP for loopback registries. */
  plainHttp?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Counts the registry's failed answers (and those it never gave). */
  callErrors?: CallErrors;
}

type Fetch = (url: string | URL, init: RequestInit) => Promise<Response>;

/**
 * Connections kept open from one lookup to the next (a request that names a tag asks its
 * registry while the requester waits); fetch closes its connection after every HEAD. One idle
 * for 3 s is closed by Hoist, before servers that close idle ones after 5 s (Node's default) do.
 */
const KEEP_IDLE_MS = 3_000;
const keptOpen = {
  http: new HttpAgent({ keepAlive: true, maxSockets: 16, timeout: KEEP_IDLE_MS }),
  https: new HttpsAgent({ keepAlive: true, maxSockets: 16, timeout: KEEP_IDLE_MS }),
};

/**
 * A HEAD on a kept-open connection, answered and failing as fetch answers and fails. A
 * connection the server closed as it was taken up again is left, and the HEAD sent once more
 * on a new one.
 */
const headOnKeptConnection = (url: string | URL, init: RequestInit, again = true): Promise<Response> =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const signal = init.signal ?? undefined;
    const fail = (cause: Error & { code?: string }) => {
      if (again && request.reusedSocket && cause.code === 'ECONNRESET' && !signal?.aborted) resolve(headOnKeptConnection(url, init, false));
      else reject(signal?.aborted ? (signal.reason as Error) : new TypeError('fetch failed', { cause }));
    };
    const request = (secure ? httpsRequest : httpRequest)(
      target,
      { method: 'HEAD', headers: init.headers as Record<string, string>, agent: secure ? keptOpen.https : keptOpen.http, ...(signal ? { signal } : {}) },
      (answer) => {
        // Answered once read to its end: the connection is free for the next lookup then.
        answer.on('end', () => resolve(new Response(null, { status: answer.statusCode ?? 0, headers: headersOf(answer.headers) })));
        answer.resume();
      },
    );
    request.on('error', fail);
    request.end();
  });

function headersOf(incoming: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    for (const one of value === undefined ? [] : Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
}

/** fetch (`send`), each failure counted as a registry call error: no answer (not a cancel), or an error status but `expected`. */
function countedFetch(options: ManifestCheckOptions, expected: readonly number[], send: Fetch = fetch): Fetch {
  const count = options.callErrors ?? (() => undefined);
  return async (url, init) => {
    let response: Response;
    try {
      response = await send(url, init);
    } catch (error) {
      if (!options.signal?.aborted) count('registry', kindOfThrown(error));
      throw error;
    }
    const kind = expected.includes(response.status) ? null : kindOfStatus(response.status);
    if (kind !== null) count('registry', kind);
    return response;
  };
}

/**
 * Whether the registry has the tag, and the digest it names (`Docker-Content-Digest`, when it
 * sends one). Follows the registry's auth challenge (Basic, or a Bearer token from the named
 * realm). Anything but 200/404 is an infrastructure failure.
 */
export async function lookupManifest(image: string, options: ManifestCheckOptions = {}): Promise<{ found: true; digest: string | null } | { found: false }> {
  const ref = parseImageReference(image);
  const apiHost = ref.host === 'docker.io' ? 'registry-1.docker.io' : ref.host;
  const scheme = (options.plainHttp ?? isLoopbackRegistry(apiHost)) ? 'http' : 'https';
  const url = `${scheme}://${apiHost}/v2/${ref.repository}/manifests/${encodeURIComponent(ref.tag)}`;
  // The lookup's own deadline, cleared once it is answered (a timer left behind fires anyway).
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException('The lookup timed out', 'TimeoutError')), options.timeoutMs ?? 15_000);
  const signal = options.signal ? AbortSignal.any([deadline.signal, options.signal]) : deadline.signal;
  try {
    return await lookupUntil(url, ref, apiHost, signal, options);
  } finally {
    clearTimeout(timer);
  }
}

async function lookupUntil(
  url: string,
  ref: ImageReference,
  apiHost: string,
  signal: AbortSignal,
  options: ManifestCheckOptions,
): Promise<{ found: true; digest: string | null } | { found: false }> {
  // A 401 is the registry's challenge, answered below; one after the answer is a failure.
  const head = (authorization: string | null) =>
    countedFetch(options, authorization === null ? [401, 404] : [404], headOnKeptConnection)(url, {
      method: 'HEAD',
      headers: { Accept: MANIFEST_TYPES, ...(authorization ? { Authorization: authorization } : {}) },
      signal,
    });

  let response = await head(null);
  const challenged = response;
  if (response.status === 401) {
    const authorization = await answerChallenge(response.headers.get('www-authenticate'), ref, options.auth, signal, countedFetch(options, []));
    if (authorization) response = await head(authorization);
  }
  // Not answered (no credentials for the challenge): the 401 stands, and counts.
  if (response.status === 401 && challenged === response) options.callErrors?.('registry', 'client_error');
  if (response.status === 200) return { found: true, digest: response.headers.get('docker-content-digest') };
  if (response.status === 404) return { found: false };
  throw new Error(`registry ${apiHost} answered HTTP ${response.status} for ${ref.repository}:${ref.tag}`);
}

/** True when the registry has the tag (see lookupManifest). */
export async function manifestExists(image: string, options: ManifestCheckOptions = {}): Promise<boolean> {
  return (await lookupManifest(image, options)).found;
}

async function answerChallenge(
  challenge: string | null,
  ref: ImageReference,
  auth: RegistryAuth | null | undefined,
  signal: AbortSignal,
  fetchToken: Fetch,
): Promise<string | null> {
  if (!challenge) return null;
  const basic = auth ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` : null;
  const scheme = challenge.slice(0, challenge.indexOf(' ')).toLowerCase();
  if (scheme === 'basic') return basic;
  if (scheme !== 'bearer') return null;
  const params = new Map<string, string>();
  for (const match of challenge.matchAll(/(\w+)="([^"]*)"/g)) params.set(match[1] as string, match[2] as string);
  const realm = params.get('realm');
  if (!realm) return null;
  const tokenUrl = new URL(realm);
  const service = params.get('service');
  if (service) tokenUrl.searchParams.set('service', service);
  tokenUrl.searchParams.set('scope', params.get('scope') ?? `repository:${ref.repository}:pull`);
  const response = await fetchToken(tokenUrl, { headers: basic ? { Authorization: basic } : {}, signal });
  if (!response.ok) {
    throw new Error(`registry token service ${tokenUrl.host} answered HTTP ${response.status}`);
  }
  const body = (await response.json()) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  return token ? `Bearer ${token}` : null;
}
