/** An answer of the API: its HTTP status and its JSON body (null when it had none). */
export interface ApiAnswer {
  status: number;
  body: unknown;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ApiClient {
  /** The server as given, for messages. */
  server: string;
  call(method: Method, path: string, options?: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal }): Promise<ApiAnswer>;
  /** `GET /api/v1/events` with `Last-Event-ID` when resuming; the response as fetch gives it. */
  events(query: Record<string, string>, lastEventId: string | null, signal: AbortSignal): Promise<Response>;
}

/** The server could not be reached at all (refused, unknown host, reset, no answer). */
export class Unreachable extends Error {
  override readonly name = 'Unreachable';
}

/**
 * The server's base URL from `--server`/`HOIST_SERVER`: `http(s)://host[:port][/prefix]`, with or
 * without a trailing `/api/v1`. A string describing the mistake when it is not one.
 */
export function apiBase(server: string): URL | string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return `"${server}" is not a URL: give Hoist's address, such as http://hoist.example.com:3000`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `"${server}" is not an http:// or https:// address`;
  if (url.search !== '' || url.hash !== '') return `"${server}" has a query or fragment: give Hoist's address alone, such as ${url.origin}`;
  url.pathname = `${url.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '')}/api/v1/`;
  return url;
}

/** fetch reports a refused connection as "fetch failed" with the reason in `cause`. */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause : null;
  const code = cause && 'code' in cause && typeof cause.code === 'string' ? cause.code : null;
  return code ?? cause?.message ?? error.message;
}

/** The HTTP API of one Hoist, as a bearer token; the token goes in a header and nowhere else. */
export function createApiClient(options: { server: string; base: URL; token: string; fetch?: typeof fetch }): ApiClient {
  const fetchFn = options.fetch ?? fetch;
  const url = (path: string) => new URL(path.replace(/^\//, ''), options.base);
  const send = async (target: URL, init: RequestInit): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${options.token}`);
    try {
      return await fetchFn(target, { ...init, headers });
    } catch (error) {
      if (error instanceof Error && error.name === 'AbortError') throw error;
      throw new Unreachable(`cannot reach ${options.server}: ${reasonOf(error)}`, { cause: error });
    }
  };
  return {
    server: options.server,
    async call(method, path, callOptions = {}) {
      const headers: Record<string, string> = { accept: 'application/json', ...callOptions.headers };
      if (callOptions.body !== undefined) headers['content-type'] = 'application/json';
      const response = await send(url(path), {
        method,
        headers,
        ...(callOptions.body === undefined ? {} : { body: JSON.stringify(callOptions.body) }),
        ...(callOptions.signal ? { signal: callOptions.signal } : {}),
      });
      const text = await response.text();
      let body: unknown = null;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          body = { error: { code: 'NOT_JSON', message: `${options.server} answered ${response.status} with something other than JSON: ${text.slice(0, 200)}` } };
        }
      }
      return { status: response.status, body };
    },
    events(query, lastEventId, signal) {
      const target = url('events');
      for (const [key, value] of Object.entries(query)) target.searchParams.set(key, value);
      return send(target, { headers: { accept: 'text/event-stream', ...(lastEventId === null ? {} : { 'last-event-id': lastEventId }) }, signal });
    },
  };
}

/** The message of a refusal (`{ error: { code, message } }`), or what the status says. */
export function refusalOf(answer: ApiAnswer): { code: string; message: string } {
  const error = (answer.body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const code = typeof error?.code === 'string' ? error.code : `HTTP_${answer.status}`;
  const message = typeof error?.message === 'string' ? error.message : `the server answered ${answer.status}`;
  return { code, message };
}
