import type { ChatOrigin } from '../domain/deployment.ts';

/** A json column's value: pg hands it over parsed, PGlite may hand over its text. */
export function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

/** A stored chat origin. Rows written before the reply handle hold Slack's `responseUrl` in its place. */
export function readChatOrigin(value: unknown): ChatOrigin {
  const stored = parseJson(value) as ChatOrigin & { responseUrl?: string | null };
  if (stored.kind !== 'slack' || stored.responseUrl === undefined) return stored;
  const { responseUrl, ...origin } = stored;
  return { ...origin, reply: responseUrl };
}
