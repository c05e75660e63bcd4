import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { appManifest } from '../../src/bot/slack/app-manifest.ts';
import { COMMANDS_SCOPE, EVENT_SCOPES, METHOD_SCOPES } from '../../src/bot/slack/slack-scopes.ts';
import { usageOf } from '../../src/bot/help.ts';
import { ALIAS_VERBS, VERBS } from '../../src/domain/command.ts';
import { manifestDelivery, slackCommand } from '../../src/main/slack-command.ts';
import { runHoist } from '../support/worker-process.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

function sources(dir: string): { file: string; text: string }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [{ file: relative(ROOT, path), text: readFileSync(path, 'utf8') }] : [];
  });
}

const all = sources(join(ROOT, 'src'));
/** Web API families; a call reads `<client>.<family>.<method>(` (`api.*` left out: there it is Hoist's own service). */
const FAMILIES = 'admin|apps|auth|bookmarks|bots|calls|chat|conversations|dialog|dnd|emoji|files|pins|reactions|reminders|search|stars|team|usergroups|users|views|workflows';

interface Manifest {
  features: { app_home: Record<string, boolean>; slash_commands: { command: string; description: string; usage_hint: string; url?: string }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { bot_events: string[]; request_url?: string }; interactivity: { is_enabled: boolean; request_url?: string }; socket_mode_enabled: boolean };
}

describe('the Slack app manifest', () => {
  it('the Web API is called only from the Slack edge, and every method it calls is in the scope table (and nothing else is)', () => {
    const slackFiles = all.filter((f) => f.file.startsWith('src/bot/slack/'));
    expect(all.filter((f) => /from '@slack\//.test(f.text) && !f.file.startsWith('src/bot/slack/')).map((f) => f.file)).toEqual([]);
    const called = new Set<string>();
    for (const { text } of slackFiles) {
      for (const m of text.matchAll(new RegExp(`\\.((?:${FAMILIES})(?:\\.[a-zA-Z]+)+)\\(`, 'g'))) called.add(m[1]!);
      for (const m of text.matchAll(/apiCall\(\s*'([^']+)'/g)) called.add(m[1]!);
    }
    expect(called.size).toBeGreaterThan(3);
    expect([...called].sort()).toEqual(Object.keys(METHOD_SCOPES).sort());
  });

  it('the events it subscribes to are exactly the ones the code handles', () => {
    const handled = new Set(all.flatMap(({ text }) => [...text.matchAll(/app\.event\(\s*'([a-z_]+)'/g)].map((m) => m[1]!)));
    expect([...handled].sort()).toEqual(Object.keys(EVENT_SCOPES).sort());
    for (const delivery of [{ kind: 'socket' } as const, { kind: 'http', baseUrl: 'https://hoist.example.com' } as const]) {
      expect((appManifest(delivery) as unknown as Manifest).settings.event_subscriptions.bot_events).toEqual([...handled].sort());
    }
  });

  it('asks for exactly the scopes of the table, the events and the slash commands', () => {
    const manifest = appManifest({ kind: 'socket' }) as unknown as Manifest;
    const expected = new Set([...Object.values(METHOD_SCOPES).flat(), ...Object.values(EVENT_SCOPES).flat(), COMMANDS_SCOPE]);
    expect(manifest.oauth_config.scopes.bot).toEqual([...expected].sort());
    expect(manifest.oauth_config.scopes.bot).toEqual(['app_mentions:read', 'channels:history', 'channels:read', 'chat:write', 'commands', 'groups:history', 'groups:read', 'usergroups:read']);
  });

  it('turns the Home tab on, where app_home_opened publishes each person’s board, and a read-only Messages tab for answers to its buttons', () => {
    const manifest = appManifest({ kind: 'socket' }) as unknown as Manifest;
    expect(manifest.features.app_home).toEqual({ home_tab_enabled: true, messages_tab_enabled: true, messages_tab_read_only_enabled: true });
    expect(manifest.settings.event_subscriptions.bot_events).toContain('app_home_opened');
    expect(METHOD_SCOPES['views.publish']).toEqual([]);
  });

  it('offers /hoist and an alias for each alias verb of the grammar, with its usage from the help', () => {
    const manifest = appManifest({ kind: 'socket' }) as unknown as Manifest;
    const commands = manifest.features.slash_commands;
    expect(commands.map((c) => c.command)).toEqual(['/hoist', ...ALIAS_VERBS.map((v) => `/${v}`)]);
    for (const command of commands) {
      expect(command.description.length).toBeGreaterThan(10);
      expect(command.description.length).toBeLessThanOrEqual(2_000);
      expect(command.usage_hint.length).toBeLessThanOrEqual(1_000);
    }
    const deploy = commands.find((c) => c.command === '/deploy')!;
    expect(`deploy ${deploy.usage_hint}`).toBe(usageOf('deploy'));
    expect(commands.find((c) => c.command === '/cancel')!.usage_hint).toBe('#<deployment> | <app> in <environment>');
    // Every word the /hoist hint starts a command with is a verb of the grammar.
    const hinted = commands[0]!.usage_hint.split('|').map((part) => part.trim().split(' ')[0]!);
    expect(hinted.filter((verb) => !(VERBS as readonly string[]).includes(verb))).toEqual([]);
  });

  it('over HTTP points commands, events and interactivity at /slack/events; Socket Mode needs no URL', () => {
    const http = appManifest({ kind: 'http', baseUrl: 'https://hoist.example.com/chatops/' }) as unknown as Manifest;
    const url = 'https://hoist.example.com/chatops/slack/events';
    expect(http.settings).toMatchObject({ socket_mode_enabled: false, event_subscriptions: { request_url: url }, interactivity: { is_enabled: true, request_url: url } });
    expect(http.features.slash_commands.every((c) => c.url === url)).toBe(true);
    const socket = appManifest({ kind: 'socket' }) as unknown as Manifest;
    expect(socket.settings.socket_mode_enabled).toBe(true);
    expect(JSON.stringify(socket)).not.toContain('url');
  });

  it.each([
    [[], /say how Slack reaches Hoist: --socket \(Socket Mode\) or --url https:\/\/hoist\.example\.com \(HTTP\)/],
    [['--socket', '--url', 'https://h.example.com'], /--socket or --url, not both/],
    [['--url', 'http://h.example.com'], /--url must be an https:\/\/ address .* got "http:\/\/h\.example\.com"/],
    [['--url', 'h.example.com'], /--url "h\.example\.com" is no URL/],
    [['--sockets'], /unknown option "--sockets"/],
  ])('refuses %j and says what would work', (argv, message) => {
    const result = manifestDelivery(argv);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });

  it('`hoist slack manifest` prints it as YAML', async () => {
    const printed: string[] = [];
    expect(slackCommand(['manifest', '--url=https://hoist.example.com'], { print: (t) => printed.push(t), warn: () => undefined })).toBe(0);
    expect(parse(printed.join('\n'))).toEqual(appManifest({ kind: 'http', baseUrl: 'https://hoist.example.com' }));
    const run = await runHoist(['slack', 'manifest', '--socket'], {});
    expect(run.code).toBe(0);
    expect(parse(run.stdout)).toEqual(appManifest({ kind: 'socket' }));
    const wrong = await runHoist(['slack', 'manifests'], {});
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/unknown subcommand "manifests"/);
  }, 30_000);
});
