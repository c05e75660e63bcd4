import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Answer } from './types.ts';

/** How the fake reads Web API requests and writes answers, as Slack does for every method. */

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Slack takes both: form fields carry JSON values (blocks) as strings. */
export function parseParams(raw: string, contentType: string, query: URLSearchParams): Record<string, unknown> | null {
  const params: Record<string, unknown> = Object.fromEntries(query);
  if (raw.length === 0) return params;
  if (contentType.startsWith('application/json')) {
    try {
      const parsed: unknown = JSON.parse(raw);
      return typeof parsed === 'object' && parsed !== null ? { ...params, ...(parsed as Record<string, unknown>) } : null;
    } catch {
      return null;
    }
  }
  return { ...params, ...Object.fromEntries(new URLSearchParams(raw)) };
}

export function flag(value: unknown): boolean {
  return value === true || value === 'true' || value === '1' || value === 1;
}

export function str(value: unknown): string | null {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number') return String(value);
  return null;
}

/** A JSON argument as Slack reads it: the value itself, or a JSON string of it. */
export function readJson(value: unknown): { ok: true; value: unknown } | { ok: false } {
  if (typeof value !== 'string') return { ok: true, value };
  try {
    return { ok: true, value: JSON.parse(value) as unknown };
  } catch {
    return { ok: false };
  }
}

export function fail(error: string, extra: Record<string, unknown> = {}): Answer {
  return { status: 200, body: { ok: false, error, ...extra } };
}

/** Slack's shape for a rule a payload broke: the errors, and the same as `[ERROR]` messages. */
export function failWithErrors(error: string, errors: string[]): Answer {
  return fail(error, { errors, response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) } });
}

export function ok(body: Record<string, unknown>): Answer {
  return { status: 200, body: { ok: true, ...body } };
}

export function send(res: ServerResponse, answer: Answer): void {
  if (res.headersSent) return;
  res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers });
  res.end(JSON.stringify(answer.body));
}
