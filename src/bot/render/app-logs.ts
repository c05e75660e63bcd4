import type { Message } from './blocks.ts';
import { escapeMrkdwn } from './format.ts';
import { LIMITS, context, message, section } from './limits.ts';
import { codeSections } from './logs.ts';

/** What `logs <app>/<service> in <env>` shows: the last lines the running service's replicas wrote. */
export interface AppLogView {
  app: string;
  env: string;
  service: string;
  /** Oldest first, secrets already masked by the service. */
  lines: readonly { replica: string; line: string }[];
  /** Whether the replicas wrote more before these. */
  earlier: boolean;
}

function followPath(view: AppLogView): string {
  const part = (s: string) => encodeURIComponent(s);
  return `/api/v1/apps/${part(view.app)}/environments/${part(view.env)}/services/${part(view.service)}/logs?follow=1`;
}

const subject = (view: AppLogView) => `${view.app}/${view.service} in ${view.env}`;

function noLines(view: AppLogView): string {
  return `${subject(view)} has no output: no replica of it runs, or none has written anything yet`;
}

function headline(view: AppLogView): { mrkdwn: string; plain: string } {
  const replicas = new Set(view.lines.map((l) => l.replica)).size;
  const count = view.earlier ? `the last ${view.lines.length} lines` : `all ${view.lines.length} line${view.lines.length === 1 ? '' : 's'}`;
  const from = `from ${replicas} replica${replicas === 1 ? '' : 's'}`;
  return {
    mrkdwn: `*Logs of ${escapeMrkdwn(subject(view))}* · ${count} ${from}`,
    plain: `logs of ${subject(view)} · ${count} ${from}:`,
  };
}

/** Each line after its replica's name, the names padded to one width. */
function labelled(view: AppLogView): string[] {
  const width = Math.max(0, ...view.lines.map((l) => l.replica.length));
  return view.lines.map((l) => `${l.replica.padEnd(width)} | ${l.line}`);
}

/** The answer in Slack: a headline, the lines as code (the newest kept when they do not fit), and how to follow them. */
export function renderAppLogs(view: AppLogView): Message {
  if (view.lines.length === 0) {
    const text = escapeMrkdwn(noLines(view));
    return message(text, [section(text)]);
  }
  const head = headline(view);
  const code = codeSections(labelled(view), LIMITS.blocks - 2).map(section);
  return message(head.mrkdwn, [section(head.mrkdwn), ...code, context([`Follow them: \`GET ${followPath(view)}\``])]);
}

/** The same for a terminal. */
export function renderAppLogsText(view: AppLogView): string {
  if (view.lines.length === 0) return noLines(view);
  return [headline(view).plain, ...labelled(view).map((l) => `  ${l}`), `follow them: GET ${followPath(view)}`].join('\n');
}
