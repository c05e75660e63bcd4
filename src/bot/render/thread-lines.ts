import type { Deployment, DeploymentEvent } from '../../domain/deployment.ts';
import { isFinal } from '../../domain/status.ts';
import type { Message } from './blocks.ts';
import { actionTitle, escapeMrkdwn, formatDuration, shortVersion, statusStyle } from './format.ts';
import { LIMITS, context, message, section, truncateMrkdwn, truncatePlain } from './limits.ts';
import { redactLines } from '../../domain/redact.ts';

type StatusEvent = Extract<DeploymentEvent, { kind: 'status' }>;
type FailureEvent = Extract<DeploymentEvent, { kind: 'failure' }>;

/** `mrkdwn` escapes for Slack; `text` is for the terminal. */
export type LineFormat = 'mrkdwn' | 'text';

const MAX_REASON = 300;
/** A log line longer than this is cut: a minified bundle must not fill the snippet alone. */
const MAX_LOG_LINE = 400;
const TERMINAL_LOG_LINES = 50;

function plain(text: string, format: LineFormat): string {
  return format === 'mrkdwn' ? escapeMrkdwn(text) : text;
}

/** One short line per status change: `web → BUILDING`, `#12 DEPLOYED in 42s`. */
export function renderTransition(e: StatusEvent, d: Deployment, format: LineFormat = 'mrkdwn'): string {
  const reason = e.reason ? ` — ${plain(truncatePlain(e.reason, MAX_REASON), format)}` : '';
  if (e.service !== null) return `${plain(e.service, format)} → ${e.status}${reason}`;
  if (!isFinal(e.status)) return `#${d.id} → ${e.status}${reason}`;
  const end = d.finishedAt;
  const took = end ? ` in ${formatDuration(end.getTime() - (d.startedAt ?? d.requestedAt).getTime())}` : '';
  return `#${d.id} ${e.status}${took}${reason}`;
}

/** Backtick runs in a log would close the snippet's fence early. */
export function defuseFences(line: string): string {
  return line.replace(/`{3,}/g, (run) => run.split('').join('\u200b'));
}

/**
 * The end of a log as a fenced code block of at most `budget` characters:
 * the newest lines are kept, and a first line says how many older ones were left out.
 */
export function logSnippet(logTail: readonly string[], budget: number = LIMITS.sectionText): string {
  const open = '```\n';
  const close = '\n```';
  const lines = redactLines(logTail).map((line) => escapeMrkdwn(defuseFences(truncatePlain(line, MAX_LOG_LINE))));
  // Room for the fences and for the "earlier lines" note, whose number has at most 10 digits.
  const room = budget - open.length - close.length - `… (${'9'.repeat(10)} earlier lines truncated)\n`.length;
  const kept: string[] = [];
  let size = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (size + line.length + 1 > room) break;
    kept.unshift(line);
    size += line.length + 1;
  }
  const dropped = lines.length - kept.length;
  const note = dropped > 0 ? [`… (${dropped} earlier lines truncated)`] : [];
  return `${open}${[...note, ...kept].join('\n')}${close}`;
}

/** A failure in the card's thread: who should look, what failed and why, and the end of the log. */
export function renderFailure(e: FailureEvent, d: Deployment, mention: (userId: string) => string): Message {
  const style = statusStyle(e.status);
  const what = `*${escapeMrkdwn(e.service)}* ${style.label.toLowerCase()} in #${d.id} (${escapeMrkdwn(actionTitle(d.action, d.app, d.env))})`;
  const reason = truncateMrkdwn(escapeMrkdwn(e.reason), 1000);
  const blocks = [
    section(`${style.emoji} ${mention(d.requestedBy.id)} ${what}: \`${e.status}\`\n${reason}`),
    e.logTail.length > 0 ? section(logSnippet(e.logTail)) : context(['No log lines were captured.']),
  ];
  const text = `${mention(d.requestedBy.id)} ${escapeMrkdwn(e.service)} ${e.status} in #${d.id}: ${truncateMrkdwn(escapeMrkdwn(e.reason), 500)}`;
  return message(text, blocks);
}

/** The same failure for the terminal, with the last lines of the log. */
export function renderFailureText(e: FailureEvent, d: Deployment, mention: (userId: string) => string): string {
  const lines = redactLines(e.logTail.slice(-TERMINAL_LOG_LINES)).map((line) => `  | ${line}`);
  const dropped = e.logTail.length - lines.length;
  return [
    `${statusStyle(e.status).glyph} ${mention(d.requestedBy.id)} ${e.service} ${e.status} in #${d.id} (${actionTitle(d.action, d.app, d.env).toLowerCase()}): ${e.reason}`,
    ...(dropped > 0 ? [`  | … (${dropped} earlier lines truncated)`] : []),
    ...lines,
  ].join('\n');
}

type SummaryEvent = Extract<DeploymentEvent, { kind: 'summary' }>;
type ApprovalEvent = Extract<DeploymentEvent, { kind: 'approval' }>;

/**
 * A step of the deployment's approval, in its thread: `@carol approved`. A step addressed to
 * people (an expiry to the requester, a reminder to the approvers) starts with their mentions:
 * user ids through `mention`, `@group` handles as written. `approvers`, as the chat mentions
 * them, follow a request for approval (a first one, or again after a reset).
 */
export function renderApprovalStep(
  e: ApprovalEvent,
  format: LineFormat = 'mrkdwn',
  options: { mention?: (userId: string) => string; approvers?: string | null } = {},
): string {
  const mention = options.mention ?? ((id: string) => `@${id}`);
  const approvers = options.approvers ?? null;
  const who = e.actor === null ? 'Hoist' : `@${e.actor.name}`;
  const why = e.reason ? ` — ${truncatePlain(e.reason, MAX_REASON)}` : '';
  const line: Record<ApprovalEvent['step'], string> = {
    requested: `#${e.deploymentId} waits for approval (asked by ${who})`,
    voted: `${who} approved`,
    refused: `${who} may not approve${why}`,
    approved: 'approved: every rule holds',
    rejected: `${who} rejected${why}`,
    reset: `the votes were reset; approval is asked again${why}`,
    expired: `#${e.deploymentId} expired without a decision${why}`,
    bypassed: `${who} went ahead without approval${why}`,
    reminded: `reminder: #${e.deploymentId} still waits for approval${why}`,
  };
  const text = plain(line[e.step], format);
  const to = (e.to ?? []).map((entry) => (entry.startsWith('@') ? plain(entry, format) : mention(entry)));
  // Addressed to the approvers: the chat's own mentions of them (groups included) lead the line.
  if (to.length > 0) return `${approvers ?? to.join(' ')} ${text}`;
  const asking = approvers !== null && (e.step === 'requested' || e.step === 'reset');
  return asking ? `${text}; approvers: ${approvers}` : text;
}
type ChecksEvent = Extract<DeploymentEvent, { kind: 'checks' }>;

/** A step of its commit's CI checks; a forced one says who, why and past what (it is broadcast to the channel). */
export function renderChecksStep(e: ChecksEvent, format: LineFormat = 'mrkdwn'): string {
  const who = e.actor === null ? 'Hoist' : `@${e.actor.name}`;
  const what = truncatePlain(e.reason, MAX_REASON);
  const line: Record<ChecksEvent['step'], string> = {
    forced: `${who} deployed #${e.deploymentId} past its CI checks — ${what}`,
    passed: `CI checks passed: ${what}`,
    failed: `CI checks failed — ${what}`,
    'timed-out': `#${e.deploymentId} gave up waiting for CI — ${what}`,
  };
  return plain(line[e.step], format);
}

type SupersedesEvent = Extract<DeploymentEvent, { kind: 'supersedes' }>;

/** In the newer deployment's thread: which waiting one it replaced (that one's thread says "superseded by"). */
export function renderSupersedes(e: SupersedesEvent): string {
  return `supersedes #${e.superseded}, which was still waiting; it ends CANCELED`;
}

/** Which service runs what, after a cancel, a rollback on failure or a pin: a headline and one line per service. */
export function renderSummary(e: SummaryEvent, format: LineFormat = 'mrkdwn'): string {
  const version = (v: string | null) => (v === null ? 'nothing' : format === 'mrkdwn' ? `\`${escapeMrkdwn(shortVersion(v))}\`` : shortVersion(v));
  const lines = e.services.map((s) => {
    const note = s.note ? ` — ${plain(truncatePlain(s.note, MAX_REASON), format)}` : '';
    return `${format === 'mrkdwn' ? '•' : '  -'} ${format === 'mrkdwn' ? `*${escapeMrkdwn(s.name)}*` : s.name} runs ${version(s.version)}${note}`;
  });
  return [plain(truncatePlain(e.headline, MAX_REASON), format), ...lines].join('\n');
}
