import type { Context, MiddlewareHandler } from 'hono';
import { redactLines, redactValues } from '../domain/redact.ts';

/**
 * Every whole answer passes here: a reason, log line or setting quoting a credential is masked
 * once for all routes. Answers made with `c.json` / `c.text` (nearly all) are masked before they
 * are serialized; any other JSON or text answer is read back and masked after the route. Reading
 * an answer back costs a stream, a parse and a second serialization per request, which is what
 * a status read would otherwise spend most of its time on.
 *
 * Left whole: an answer that carries a secret for its caller (`revealsSecret`, a new token's), and
 * a stream of events, which masks each message itself.
 */
export function maskAnswers(): MiddlewareHandler {
  return async (c, next) => {
    const masked = maskWhileWriting(c);
    await next();
    if (c.get('revealsSecret') || masked.has(c.res)) return;
    const type = c.res.headers.get('content-type') ?? '';
    if (type.startsWith('text/event-stream')) return;
    const json = type.startsWith('application/json');
    if (!json && !type.startsWith('text/')) return;
    const body = json ? JSON.stringify(redactValues(await c.res.json())) : redactLines((await c.res.text()).split('\n')).join('\n');
    const headers = new Headers(c.res.headers);
    headers.delete('content-length');
    c.res = new Response(body, { status: c.res.status, headers });
  };
}

/** Makes this request's `c.json` and `c.text` mask what they are given; the answers they made are in the set returned. */
function maskWhileWriting(c: Context): WeakSet<Response> {
  const masked = new WeakSet<Response>();
  const { json, text } = c;
  const keep = (response: Response): Response => {
    masked.add(response);
    return response;
  };
  c.json = ((object: unknown, ...rest: unknown[]) =>
    keep((json as (...a: unknown[]) => Response)(c.get('revealsSecret') ? object : redactValues(object), ...rest))) as typeof c.json;
  c.text = ((value: string, ...rest: unknown[]) =>
    keep((text as (...a: unknown[]) => Response)(c.get('revealsSecret') ? value : redactLines(value.split('\n')).join('\n'), ...rest))) as typeof c.text;
  return masked;
}
