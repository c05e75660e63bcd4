import { fail, readJson } from './http.ts';
import type { Answer, FakeMetadata } from './types.ts';

/** Slack's rule for `event_type`: letters, digits, underscores and hyphens; anything else (a period) is not an event type. */
const EVENT_TYPE = /^[A-Za-z0-9_-]+$/;

export type ReadMetadata = { ok: true; value: FakeMetadata | null; warning: string | null } | { ok: false; answer: Answer };

/**
 * A `metadata` argument as Slack reads it (a JSON string in a form, an object in JSON):
 * unreadable, or without an `event_type` string and an `event_payload` object, the post is
 * refused (`invalid_metadata_format`); an `event_type` breaking the naming rule is posted
 * without its metadata, with an `invalid_metadata_schema` warning, as the docs say.
 */
export function readMetadata(raw: unknown): ReadMetadata {
  if (raw === undefined || raw === null || raw === '') return { ok: true, value: null, warning: null };
  const read = readJson(raw);
  if (!read.ok || typeof read.value !== 'object' || read.value === null) return { ok: false, answer: fail('invalid_metadata_format') };
  const { event_type: type, event_payload: payload } = read.value as Record<string, unknown>;
  if (typeof type !== 'string' || typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { ok: false, answer: fail('invalid_metadata_format') };
  if (!EVENT_TYPE.test(type)) return { ok: true, value: null, warning: 'invalid_metadata_schema' };
  return { ok: true, value: { event_type: type, event_payload: payload as Record<string, unknown> }, warning: null };
}
