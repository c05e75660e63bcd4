import { parseArguments } from '../cli/arguments.ts';
import { appManifestYaml, type ManifestDelivery } from '../bot/slack/app-manifest.ts';

export const SLACK_USAGE = `usage: hoist slack manifest (--socket | --url https://hoist.example.com)

  slack manifest --socket   the Slack app manifest for Socket Mode (Hoist connects out;
                            nothing needs to reach it)
  slack manifest --url URL  the manifest for HTTP: Slack posts to URL/slack/events

  Create the app from it at https://api.slack.com/apps (Create New App → From a manifest).`;

const OPTIONS = [
  { name: '--socket', takesValue: false },
  { name: '--url', takesValue: true },
] as const;

/** How the manifest says Slack reaches Hoist, from the options; a sentence saying what would work otherwise. */
export function manifestDelivery(argv: readonly string[]): { ok: true; delivery: ManifestDelivery } | { ok: false; message: string } {
  const parsed = parseArguments('slack manifest', argv, OPTIONS, true);
  if (!parsed.ok) return parsed;
  const socket = parsed.options.has('--socket');
  const url = parsed.options.get('--url');
  if (socket && url !== undefined) return { ok: false, message: 'hoist slack manifest: give --socket or --url, not both' };
  if (socket) return { ok: true, delivery: { kind: 'socket' } };
  if (typeof url !== 'string') return { ok: false, message: 'hoist slack manifest: say how Slack reaches Hoist: --socket (Socket Mode) or --url https://hoist.example.com (HTTP)' };
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    return { ok: false, message: `hoist slack manifest: --url "${url}" is no URL; give the https:// address Slack reaches Hoist at, e.g. https://hoist.example.com` };
  }
  // Slack sends requests to https:// URLs only.
  if (parsedUrl.protocol !== 'https:' || parsedUrl.search !== '' || parsedUrl.hash !== '') {
    return { ok: false, message: `hoist slack manifest: --url must be an https:// address without query or fragment (Slack posts only to https), e.g. https://hoist.example.com; got "${url}"` };
  }
  return { ok: true, delivery: { kind: 'http', baseUrl: `${parsedUrl.origin}${parsedUrl.pathname}` } };
}

/** `hoist slack …`: prints the manifest; 2 for a mistake in the command line. */
export function slackCommand(argv: readonly string[], io: { print(text: string): void; warn(text: string): void }): number {
  const [sub, ...rest] = argv;
  if (sub !== 'manifest') {
    io.warn(`${sub === undefined ? 'hoist slack: expected a subcommand' : `hoist slack: unknown subcommand "${sub}"`}\n\n${SLACK_USAGE}`);
    return 2;
  }
  const delivery = manifestDelivery(rest);
  if (!delivery.ok) {
    io.warn(`${delivery.message}\n\n${SLACK_USAGE}`);
    return 2;
  }
  io.print(appManifestYaml(delivery.delivery).trimEnd());
  return 0;
}
