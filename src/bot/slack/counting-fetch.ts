import type { webApi } from '@slack/bolt';
import { kindOfStatus, kindOfThrown, type CallErrors } from '../../domain/call-errors.ts';

type FetchResponse = Awaited<ReturnType<webApi.FetchFunction>>;

/**
 * The `fetch` every WebClient of Hoist makes its requests with: each failed request (each
 * attempt: the client retries 429s and dropped connections itself) is counted as a Slack
 * call error. Slack answers most refusals with HTTP 200 and `ok: false`: those count as
 * `rejected`, read from a copy of the body so the client still reads its own.
 */
export function countingFetch(callErrors: CallErrors, fetchFn: webApi.FetchFunction = globalThis.fetch): webApi.FetchFunction {
  return async (url, init) => {
    let response: FetchResponse;
    try {
      response = await fetchFn(url, init);
    } catch (error) {
      callErrors('slack', kindOfThrown(error));
      throw error;
    }
    const kind = kindOfStatus(response.status) ?? ((await saysNo(response)) ? 'rejected' : null);
    if (kind !== null) callErrors('slack', kind);
    return response;
  };
}

async function saysNo(response: FetchResponse): Promise<boolean> {
  if (!(response.headers.get('content-type') ?? '').includes('json')) return false;
  const copy = (response as Partial<Response>).clone?.();
  if (copy === undefined) return false;
  try {
    const body = (await copy.json()) as { ok?: unknown } | null;
    return body?.ok === false;
  } catch {
    return false;
  }
}
