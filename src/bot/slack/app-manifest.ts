import { stringify } from 'yaml';
import { ALIAS_VERBS } from '../../domain/command.ts';
import { summaryOf, usageOf } from '../help.ts';
import { botScopes, EVENT_SCOPES } from './slack-scopes.ts';

/**
 * The Slack app manifest for Hoist (api.slack.com/apps → Create New App → From a manifest):
 * `/hoist` and its aliases, interactivity for the cards' buttons and the reject modal, the
 * Home tab (each person's board) and a read-only Messages tab (where answers to clicks on the
 * Home go), the events Hoist handles, and the bot scopes of `slack-scopes.ts`. Socket Mode needs no URL;
 * over HTTP every request goes to `<base>/slack/events`.
 */

export type ManifestDelivery = { kind: 'socket' } | { kind: 'http'; baseUrl: string };

interface SlashCommand {
  command: string;
  description: string;
  usage_hint: string;
  should_escape: false;
  url?: string;
}

/** Slack's limits on a command's description and usage hint. */
const MAX_DESCRIPTION = 2_000;
const MAX_USAGE_HINT = 1_000;

const HOIST_DESCRIPTION = 'Deploy, restart, roll back, lock and see what runs where';
const HOIST_USAGE = 'deploy <app> to <environment> | status <app> | help';

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function slashCommands(url: string | undefined): SlashCommand[] {
  const at = url === undefined ? {} : { url };
  const hoist: SlashCommand = { command: '/hoist', description: HOIST_DESCRIPTION, usage_hint: HOIST_USAGE, should_escape: false, ...at };
  // An alias takes the words after its verb: `/deploy shop to staging`.
  const aliases = ALIAS_VERBS.map(
    (verb): SlashCommand => ({
      command: `/${verb}`,
      description: clip(summaryOf(verb).replace(/^./, (c) => c.toUpperCase()), MAX_DESCRIPTION),
      usage_hint: clip(usageOf(verb).replace(new RegExp(`(^|\\| )${verb} `, 'g'), '$1'), MAX_USAGE_HINT),
      should_escape: false,
      ...at,
    }),
  );
  return [hoist, ...aliases];
}

export function appManifest(delivery: ManifestDelivery): Record<string, unknown> {
  const url = delivery.kind === 'http' ? `${delivery.baseUrl.replace(/\/+$/, '')}/slack/events` : undefined;
  const at = url === undefined ? {} : { request_url: url };
  return {
    display_information: {
      name: 'Hoist',
      description: 'Deploys, restarts and rolls back services, one action at a time per environment.',
    },
    features: {
      app_home: { home_tab_enabled: true, messages_tab_enabled: true, messages_tab_read_only_enabled: true },
      bot_user: { display_name: 'hoist', always_online: true },
      slash_commands: slashCommands(url),
    },
    oauth_config: { scopes: { bot: botScopes() } },
    settings: {
      event_subscriptions: { ...at, bot_events: Object.keys(EVENT_SCOPES).sort() },
      interactivity: { is_enabled: true, ...at },
      org_deploy_enabled: false,
      socket_mode_enabled: delivery.kind === 'socket',
      token_rotation_enabled: false,
    },
  };
}

export function appManifestYaml(delivery: ManifestDelivery): string {
  return stringify(appManifest(delivery), { lineWidth: 0 });
}
