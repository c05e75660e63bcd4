import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { approversOf } from '../domain/approval.ts';
import { unmeetableApprovalRules } from '../config/approval-groups.ts';
import type { Env } from '../config/env.ts';
import type { HoistConfig } from '../config/hoist-config.ts';

export interface CheckOutput {
  print(line: string): void;
  warn(line: string): void;
}

/**
 * `hoist config check` with a Slack bot token: the approval rules that name user groups are
 * checked against the groups' members as Slack has them now, so a rule that can never be met
 * is refused before a deploy waits on it. False when one is refused; without Slack, or when
 * Slack cannot be asked, they are not checked and the check says so.
 */
export async function checkApprovalGroups(config: HoistConfig, env: Env, out: CheckOutput): Promise<boolean> {
  const handles = [...new Set([...config.apps.values()].flatMap((app) => [...app.environments.values()].flatMap((e) => (e.approval === null ? [] : approversOf(e.approval)))))].filter((a) =>
    a.startsWith('@'),
  );
  if (handles.length === 0) return true;
  if (env.slack === null) {
    out.print(`approval groups: not checked (${handles.join(', ')}): no Slack bot token set`);
    return true;
  }
  const { createSlackDirectory } = await import('../bot/slack/slack-directory.ts');
  const directory = createSlackDirectory({ token: env.slack.botToken, apiUrl: env.slack.apiUrl, logger: pino({ level: 'silent' }) });
  const members = new Map<string, string[] | null>();
  for (const handle of handles) members.set(handle, await directory.membersOfGroup(handle));
  if ([...members.values()].some((m) => m === null)) {
    out.print(`approval groups: not checked (${handles.join(', ')}): Slack's user groups could not be read`);
    return true;
  }
  const problems = unmeetableApprovalRules(config, readFileSync(config.file, 'utf8'), (handle) => members.get(handle) ?? null);
  for (const problem of problems) out.warn(problem);
  if (problems.length === 0) out.print(`approval groups: ok (${handles.join(', ')} as Slack has them now)`);
  return problems.length === 0;
}
