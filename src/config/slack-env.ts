import { ConfigError } from './errors.ts';

/**
 * How Slack reaches Hoist: over HTTP (Slack posts to `/slack/events`, each request signed
 * with the signing secret), or over Socket Mode (Hoist opens WebSockets to Slack with an
 * app-level token; nothing needs to reach Hoist).
 */
export type SlackDelivery = { kind: 'http'; signingSecret: string } | { kind: 'socket'; appToken: string };

export interface SlackEnv {
  botToken: string;
  /** Web API base, ending with `/api/` (Socket Mode asks it for its WebSocket URLs too). */
  apiUrl: string;
  delivery: SlackDelivery;
}

export interface SlackVars {
  SLACK_BOT_TOKEN: string | undefined;
  SLACK_SIGNING_SECRET: string | undefined;
  SLACK_APP_TOKEN: string | undefined;
  SLACK_API_URL: string;
}

const HOW =
  'set SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET (Slack posts to /slack/events) or with SLACK_APP_TOKEN (Socket Mode), or none of them for the terminal chat';

function refuse(message: string): never {
  throw new ConfigError('ENV_INVALID', message);
}

/**
 * Which Slack, if any, from the token mix: a bot token with a signing secret is HTTP, a bot
 * token with an app-level token is Socket Mode, nothing is the terminal chat. Anything else
 * names what is missing or extra. Messages name variables, never their values.
 */
export function parseSlackEnv(vars: SlackVars): SlackEnv | null {
  const { SLACK_BOT_TOKEN: bot, SLACK_SIGNING_SECRET: secret, SLACK_APP_TOKEN: app } = vars;
  if (bot === undefined && secret === undefined && app === undefined) return null;
  if (app !== undefined && !app.startsWith('xapp-')) {
    refuse('SLACK_APP_TOKEN is not an app-level token: it starts with "xapp-" (Basic Information → App-Level Tokens, with the connections:write scope)');
  }
  if (bot === undefined) refuse(`SLACK_BOT_TOKEN is not set: ${HOW}`);
  if (secret !== undefined && app !== undefined) {
    refuse(
      'SLACK_SIGNING_SECRET and SLACK_APP_TOKEN are both set: with SLACK_APP_TOKEN Hoist uses Socket Mode and no request is signed; unset SLACK_SIGNING_SECRET for Socket Mode, or SLACK_APP_TOKEN for HTTP',
    );
  }
  const apiUrl = vars.SLACK_API_URL.endsWith('/') ? vars.SLACK_API_URL : `${vars.SLACK_API_URL}/`;
  if (app !== undefined) return { botToken: bot, apiUrl, delivery: { kind: 'socket', appToken: app } };
  if (secret !== undefined) return { botToken: bot, apiUrl, delivery: { kind: 'http', signingSecret: secret } };
  return refuse(`SLACK_SIGNING_SECRET and SLACK_APP_TOKEN are not set: ${HOW}`);
}
