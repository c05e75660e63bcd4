import type { EnvironmentConfig } from '../config/hoist-config.ts';
import { isDeployer } from '../domain/lock.ts';
import { namesGroups } from '../domain/person.ts';
import { list } from './lookup.ts';

/** The `@group` handles a user belongs to (Slack user groups); none where no directory is known. */
export type GroupsOf = (userId: string) => Promise<string[]>;

/**
 * Who may act on an environment: its `deployers` (user ids and `@group` handles),
 * or anyone where it lists none. Groups are looked up only for lists that name one,
 * through the one lookup (and its cache) that deployers and approvers share.
 */
export function createPermissions(groupsOf: GroupsOf = async () => []) {
  /** The groups of `userId` that matter for `entries`: none looked up when it names no group. */
  // A token acting as itself (`token:ci`) belongs to no group: no directory knows it.
  const groupsFor = async (entries: readonly string[], userId: string): Promise<string[]> =>
    namesGroups(entries) && !userId.startsWith('token:') ? groupsOf(userId) : [];
  return {
    groupsFor,
    async mayDeploy(env: EnvironmentConfig, userId: string): Promise<boolean> {
      if (env.deployers === null) return true;
      return isDeployer(env.deployers, userId, await groupsFor(env.deployers, userId));
    },
    /** `U0ALICE, @backend` for a refusal. */
    deployersText(env: EnvironmentConfig): string {
      return list(env.deployers ?? []);
    },
  };
}

export type Permissions = ReturnType<typeof createPermissions>;
