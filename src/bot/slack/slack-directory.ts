import { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { CallErrors } from '../../domain/call-errors.ts';
import { boltLogger } from './bolt-logger.ts';
import { countingFetch } from './counting-fetch.ts';

export interface SlackDirectoryOptions {
  token: string;
  apiUrl: string;
  logger: Logger;
  /** How long the workspace's groups are trusted before they are read again. */
  ttlMs?: number;
  now?: () => number;
  /** Counts its failed calls to Slack. */
  callErrors?: CallErrors;
}

interface Groups {
  /** user id → handles (`@backend`) */
  byUser: Map<string, string[]>;
  /** handle (`@backend`, lower case) → group id (`S0…`), for group mentions */
  idByHandle: Map<string, string>;
  /** handle (`@backend`, lower case) → member ids */
  usersByHandle: Map<string, string[]>;
  at: number;
}

/**
 * The workspace's user groups, for `deployers: ["@backend"]`: one `usergroups.list`
 * (with members) serves every lookup for a minute. When Slack cannot be asked, the
 * last answer serves; with none, a group matches nobody (a refusal, never a pass).
 * The members of a channel (`conversations.members`, for the apps a Home tab shows) are
 * kept the same way, per channel.
 */
export function createSlackDirectory(options: SlackDirectoryOptions) {
  const ttlMs = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const client = new webApi.WebClient(options.token, {
    slackApiUrl: options.apiUrl,
    logger: boltLogger(options.logger.child({ component: 'slack-directory' })),
    // A lookup holds a request up: a few quick tries, then the last groups known.
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2_000 },
    ...(options.callErrors === undefined ? {} : { fetch: countingFetch(options.callErrors) }),
  });
  let cached: Groups | null = null;
  let loading: Promise<Groups | null> | null = null;
  const channels = new Map<string, { members: Set<string>; at: number }>();
  const loadingChannels = new Map<string, Promise<Set<string> | null>>();

  async function loadMembers(channel: string): Promise<Set<string> | null> {
    try {
      const members = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await client.conversations.members({ channel, limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
        for (const member of page.members ?? []) members.add(member);
        cursor = page.response_metadata?.next_cursor || undefined;
      } while (cursor !== undefined);
      channels.set(channel, { members, at: now() });
      return members;
    } catch (error) {
      options.logger.warn({ err: error, channel }, 'could not read the members of a channel; using the last ones known');
      return channels.get(channel)?.members ?? null;
    }
  }

  async function membersOf(channel: string): Promise<Set<string> | null> {
    const kept = channels.get(channel);
    if (kept !== undefined && now() - kept.at <= ttlMs) return kept.members;
    let pending = loadingChannels.get(channel);
    if (pending === undefined) {
      pending = loadMembers(channel).finally(() => loadingChannels.delete(channel));
      loadingChannels.set(channel, pending);
    }
    return pending;
  }

  async function load(): Promise<Groups | null> {
    try {
      const answer = await client.usergroups.list({ include_users: true });
      const byUser = new Map<string, string[]>();
      const idByHandle = new Map<string, string>();
      const usersByHandle = new Map<string, string[]>();
      for (const group of answer.usergroups ?? []) {
        if (!group.handle || (group.date_delete ?? 0) > 0) continue;
        if (group.id) idByHandle.set(`@${group.handle.toLowerCase()}`, group.id);
        usersByHandle.set(`@${group.handle.toLowerCase()}`, group.users ?? []);
        for (const user of group.users ?? []) byUser.set(user, [...(byUser.get(user) ?? []), `@${group.handle}`]);
      }
      cached = { byUser, idByHandle, usersByHandle, at: now() };
      return cached;
    } catch (error) {
      options.logger.warn({ err: error }, 'could not read the workspace user groups; using the last ones known');
      return cached;
    }
  }

  async function current(): Promise<Groups | null> {
    if (cached !== null && now() - cached.at <= ttlMs) return cached;
    loading ??= load().finally(() => (loading = null));
    return loading;
  }

  return {
    /** The `@handles` of the groups `userId` belongs to. */
    async groupsOf(userId: string): Promise<string[]> {
      return (await current())?.byUser.get(userId) ?? [];
    },
    /** Whether `userId` is a member of `channel`; false when Slack does not say (a channel Hoist cannot see). */
    async memberOf(channel: string, userId: string): Promise<boolean> {
      return (await membersOf(channel))?.has(userId) ?? false;
    },
    /** The member ids of the group `handle` (`@sre`) names (none for a group Slack does not have); null when the groups cannot be read. */
    async membersOfGroup(handle: string): Promise<string[] | null> {
      const groups = await current();
      if (groups === null) return null;
      return groups.usersByHandle.get((handle.startsWith('@') ? handle : `@${handle}`).toLowerCase()) ?? [];
    },
    /** The id (`S0…`) of the group `handle` (`@sre`) names, for Slack's group mention; null when no such group is known. */
    async groupIdOf(handle: string): Promise<string | null> {
      const key = (handle.startsWith('@') ? handle : `@${handle}`).toLowerCase();
      return (await current())?.idByHandle.get(key) ?? null;
    },
  };
}

export type SlackDirectory = ReturnType<typeof createSlackDirectory>;
