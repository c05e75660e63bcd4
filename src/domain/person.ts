/** Someone who acts in Hoist: asks for a deployment, holds a lock, forces one open. Every edge maps its own user to this. */
export interface Person {
  /** Stable user id (Slack user id, `shell:<login>`, or `hoist` for Hoist itself). */
  id: string;
  /** How to show them in messages. */
  name: string;
}

/**
 * Whether a user appears on a list of Slack user ids (`U0ALICE`) and `@group`
 * handles: by id, or through a group the user belongs to (`groups`, with or without `@`).
 */
export function isNamedIn(entries: readonly string[], userId: string, groups: readonly string[]): boolean {
  const handles = new Set(groups.map((g) => (g.startsWith('@') ? g : `@${g}`).toLowerCase()));
  return entries.some((entry) => (entry.startsWith('@') ? handles.has(entry.toLowerCase()) : entry === userId));
}

/** Whether a list names any `@group`: only then is a user's membership worth looking up. */
export const namesGroups = (entries: readonly string[]): boolean => entries.some((entry) => entry.startsWith('@'));

/** A Slack user id (`U0ALICE`, `W0BOB` in Enterprise Grid), as opposed to `token:ci`, `shell:ann` or `hoist`. */
export const isSlackUserId = (id: string): boolean => /^[UW][A-Z0-9]{2,}$/.test(id);
