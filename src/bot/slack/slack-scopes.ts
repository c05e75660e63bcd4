/**
 * The bot scopes Hoist asks for, from what it does: each Web API method Hoist's code calls
 * with the bot token, each event it handles, and its slash commands. The app manifest takes
 * its scopes from here and nowhere else; a test holds this table to the methods the code
 * calls, so a new call cannot go out without its scope (nor a scope stay after its call).
 *
 * `auth.test` (Bolt's start-up check) needs no scope; `apps.connections.open` is called with
 * the app-level token, whose scope (`connections:write`) is set on that token, not here.
 */
export const METHOD_SCOPES: Readonly<Record<string, readonly string[]>> = {
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.getPermalink': [],
  // Looking for a message whose post had no known outcome, before posting it again (slack-posts.ts):
  // in the channels and private channels Hoist posts to. Direct messages are not looked in.
  'conversations.history': ['channels:history', 'groups:history'],
  'conversations.replies': ['channels:history', 'groups:history'],
  'usergroups.list': ['usergroups:read'],
  // Who is in an app's channels, for the apps a Home tab shows: public and private channels.
  'conversations.members': ['channels:read', 'groups:read'],
  'views.open': [],
  // Slack lists no scope for publishing a Home tab; the bot token and the Home tab enabled in the app's settings are what it takes.
  'views.publish': [],
};

/** The events Hoist handles (`app.event(…)`) and the scope each needs. */
export const EVENT_SCOPES: Readonly<Record<string, readonly string[]>> = {
  app_mention: ['app_mentions:read'],
  app_home_opened: [],
};

/** Slash commands need `commands`. */
export const COMMANDS_SCOPE = 'commands';

/** Every bot scope, sorted, each once. */
export function botScopes(): string[] {
  const all = [...Object.values(METHOD_SCOPES), ...Object.values(EVENT_SCOPES)].flat();
  return [...new Set([...all, COMMANDS_SCOPE])].sort();
}
