import { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import { boltLogger } from './bolt-logger.ts';

export interface SlackDirectoryOptions {
  token: string;
  apiUrl: string;
  logger: Logger;
  /** How long the workspace's groups are trusted before they are read again. */
  ttlMs?: number;
  now?: () => number;
}

interface Groups {
  /** user id → handles (`@backend`) */
  byUser: Map<string, string[]>;
  at: number;
}

/**
 * The workspace's user groups, for `deployers: ["@backend"]`: one `usergroups.list`
 * (with members) serves every lookup for a minute. When Slack cannot be asked, the
 * last answer serves; with none, a group matches nobody (a refusal, never a pass).
 */
export function createSlackDirectory(options: SlackDirectoryOptions) {
  const ttlMs = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const client = new webApi.WebClient(options.token, {
    slackApiUrl: options.apiUrl,
    logger: boltLogger(options.logger.child({ component: 'slack-directory' })),
    // A lookup holds a request up: a few quick tries, then the last groups known.
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2_000 },
  });
  let cached: Groups | null = null;
  let loading: Promise<Groups | null> | null = null;

  async function load(): Promise<Groups | null> {
    try {
      const answer = await client.usergroups.list({ include_users: true });
      const byUser = new Map<string, string[]>();
      for (const group of answer.usergroups ?? []) {
        if (!group.handle || (group.date_delete ?? 0) > 0) continue;
        for (const user of group.users ?? []) byUser.set(user, [...(byUser.get(user) ?? []), `@${group.handle}`]);
      }
      cached = { byUser, at: now() };
      return cached;
    } catch (error) {
      options.logger.warn({ err: error }, 'could not read the workspace user groups; using the last ones known');
      return cached;
    }
  }

  return {
    /** The `@handles` of the groups `userId` belongs to. */
    async groupsOf(userId: string): Promise<string[]> {
      let groups = cached;
      if (groups === null || now() - groups.at > ttlMs) {
        loading ??= load().finally(() => (loading = null));
        groups = await loading;
      }
      return groups?.byUser.get(userId) ?? [];
    },
  };
}

export type SlackDirectory = ReturnType<typeof createSlackDirectory>;
