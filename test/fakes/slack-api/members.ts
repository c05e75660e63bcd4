import { fail, ok, str } from './http.ts';
import type { Method } from './types.ts';

/**
 * conversations.members over a table of channel id → member user ids the test sets (and may
 * change between calls). A channel the table does not hold is `channel_not_found`, as Slack
 * answers for one that does not exist or that the bot cannot see (a private channel it is not
 * in). Pages of `limit` (default 100, at most 1000) with `response_metadata.next_cursor`.
 */
export function createMemberMethods(members: () => Record<string, string[]>): Record<string, Method> {
  return {
    'conversations.members': (params) => {
      const channel = str(params.channel);
      if (channel === null) return fail('channel_not_found');
      const all = members()[channel];
      if (all === undefined) return fail('channel_not_found');
      const cursor = str(params.cursor);
      const start = cursor === null || cursor === '' ? 0 : Number(Buffer.from(cursor, 'base64').toString().replace(/^user:/, ''));
      if (!Number.isInteger(start) || start < 0 || start > all.length) return fail('invalid_cursor');
      const asked = Number(params.limit ?? 0);
      const limit = Number.isInteger(asked) && asked > 0 ? Math.min(asked, 1000) : 100;
      const next = start + limit < all.length ? Buffer.from(`user:${start + limit}`).toString('base64') : '';
      return ok({ members: all.slice(start, start + limit), response_metadata: { next_cursor: next } });
    },
  };
}
