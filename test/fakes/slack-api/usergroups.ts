import { fail, flag, ok, str } from './http.ts';
import { TEAM, type FakeUserGroup, type Method } from './types.ts';

/**
 * usergroups.list and usergroups.users.list, both read from one table of groups the test
 * sets (and may change between calls), so whichever way the code under test asks, the
 * workspace answers the same.
 */
export function createUsergroupMethods(groups: () => FakeUserGroup[]): Record<string, Method> {
  return {
    // Every group, with `users` only when asked for (`include_users`).
    'usergroups.list': (params) =>
      ok({
        usergroups: groups().map((g) => ({
          id: g.id,
          team_id: TEAM.team_id,
          is_usergroup: true,
          name: g.handle,
          handle: g.handle,
          date_delete: 0,
          user_count: g.users.length,
          ...(flag(params.include_users) ? { users: [...g.users] } : {}),
        })),
      }),
    // One group's members by its id (`S…`), not its handle.
    'usergroups.users.list': (params) => {
      const id = str(params.usergroup);
      if (id === null) return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] missing required field: usergroup'] } });
      const group = groups().find((g) => g.id === id);
      if (group === undefined) return fail('no_such_subteam');
      return ok({ users: [...group.users] });
    },
  };
}
