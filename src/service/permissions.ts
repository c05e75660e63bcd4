import type { EnvironmentConfig } from '../config/hoist-config.ts';
import { isDeployer } from '../domain/lock.ts';
import { list } from './lookup.ts';

/** The `@group` handles a user belongs to (Slack user groups); none where no directory is known. */
export type GroupsOf = (userId: string) => Promise<string[]>;

/**
 * Who may act on an environment: its `deployers` (user ids and `@group` handles),
 * or anyone where it lists none. Groups are looked up only for lists that name one.
 */
export function createPermissions(groupsOf: GroupsOf = async () => []) {
  return {
    async mayDeploy(env: EnvironmentConfig, userId: string): Promise<boolean> {
      if (env.deployers === null) return true;
      const groups = env.deployers.some((d) => d.startsWith('@')) ? await groupsOf(userId) : [];
      return isDeployer(env.deployers, userId, groups);
    },
    /** `U0ALICE, @backend` for a refusal. */
    deployersText(env: EnvironmentConfig): string {
      return list(env.deployers ?? []);
    },
  };
}

export type Permissions = ReturnType<typeof createPermissions>;
