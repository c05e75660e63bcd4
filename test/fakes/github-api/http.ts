import type { IncomingMessage, ServerResponse } from 'node:http';

/** An answer of the fake: status, body and headers, as GitHub sends them. */
export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export const DOCS = 'https://docs.github.com/rest';

/** GitHub's error body: `message` and `documentation_url` (and `errors` for a 422). */
export function error(status: number, message: string, extra: Record<string, unknown> = {}): Answer {
  return { status, body: { message, documentation_url: DOCS, status: String(status), ...extra } };
}

/** 422 "Validation Failed" with the resource/field/code errors GitHub lists. */
export function invalid(resource: string, field: string, code: 'missing_field' | 'invalid' | 'missing' | 'custom', message?: string): Answer {
  return error(422, 'Validation Failed', { errors: [{ resource, field, code, ...(message === undefined ? {} : { message }) }] });
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function send(res: ServerResponse, answer: Answer): void {
  const headers: Record<string, string> = { 'x-github-media-type': 'github.v3; format=json', ...answer.headers };
  if (answer.status === 204 || answer.body === undefined) {
    res.writeHead(answer.status, headers).end();
    return;
  }
  res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(answer.body));
}

/**
 * One page of `items` as GitHub pages lists: `page` (from 1) and `per_page` (default
 * `defaultPer`, at most 100), with a `Link` header naming next, last, first and prev.
 */
export function paginate<T>(items: T[], url: URL, base: string, defaultPer = 30): { items: T[]; headers: Record<string, string> } {
  const per = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? defaultPer) || defaultPer));
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
  const last = Math.max(1, Math.ceil(items.length / per));
  const link = (n: number, rel: string) => {
    const target = new URL(url.pathname + url.search, base);
    target.searchParams.set('per_page', String(per));
    target.searchParams.set('page', String(n));
    return `<${target.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, 'prev'));
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
  if (page > 1) links.push(link(1, 'first'));
  return { items: items.slice((page - 1) * per, page * per), headers: links.length > 0 ? { link: links.join(', ') } : {} };
}
