import { isFinal, type DeploymentStatus } from '../../domain/status.ts';
import type { Message } from './blocks.ts';
import { escapeMrkdwn } from './format.ts';
import { LIMITS, context, message, section, truncateMrkdwn } from './limits.ts';
import { redactLines } from '../../domain/redact.ts';
import { defuseFences } from './thread-lines.ts';

/** What `logs #N [service]` shows: the end of a deployment's log. */
export interface LogView {
  deploymentId: number;
  app: string;
  env: string;
  status: DeploymentStatus;
  /** The service asked for; null: every line. */
  service: string | null;
  /** Oldest first. */
  lines: readonly { service: string | null; line: string }[];
  /** Whether the log holds lines before these. */
  earlier: boolean;
}

/** How lines about the deployment as a whole (no service) are labelled beside service lines: no service name has parentheses. */
const NO_SERVICE = '(hoist)';
/** A longer line is cut, so that one minified bundle cannot fill a message alone. */
const MAX_LINE = 1000;
const OPEN = '```\n';
const CLOSE = '\n```';

/** Where the rest is: the whole log, or the whole of the one service asked for. */
function wholeLogPath(view: Pick<LogView, 'deploymentId' | 'service'>): string {
  const path = `/api/v1/deployments/${view.deploymentId}/logs`;
  return view.service === null ? path : `${path}?service=${encodeURIComponent(view.service)}`;
}

/** The lines redacted, each with its service as a label when they come from several (padded to one width). */
function labelled(view: LogView): { label: string | null; text: string }[] {
  const texts = redactLines(view.lines.map((l) => l.line));
  const services = new Set(view.lines.map((l) => l.service ?? NO_SERVICE));
  if (services.size <= 1) return texts.map((text) => ({ label: null, text }));
  const width = Math.max(...[...services].map((s) => s.length));
  return texts.map((text, i) => ({ label: (view.lines[i]!.service ?? NO_SERVICE).padEnd(width), text }));
}

function noLines(view: LogView): string {
  const of = view.service === null ? '' : ` of ${view.service}`;
  return `#${view.deploymentId} has no log lines${of}${isFinal(view.status) ? '' : ' yet'} (${view.status})`;
}

function headline(view: LogView): { mrkdwn: string; plain: string } {
  const count = view.earlier ? `the last ${view.lines.length} lines` : `all ${view.lines.length} line${view.lines.length === 1 ? '' : 's'}`;
  const of = view.service === null ? '' : ` of ${view.service}`;
  const where = `${view.app} in ${view.env}`;
  return {
    mrkdwn: `*Log of #${view.deploymentId}* (${escapeMrkdwn(where)}) \`${view.status}\` · ${count}${escapeMrkdwn(of)}`,
    plain: `log of #${view.deploymentId} (${where}) ${view.status} · ${count}${of}:`,
  };
}

/**
 * Lines as fenced code blocks, one per section, in at most `maxSections`
 * sections: the newest lines are kept, and the first block says how many
 * earlier ones did not fit.
 */
export function codeSections(lines: readonly string[], maxSections: number): string[] {
  // Room for the fences and the note, whose number has at most 10 digits.
  const room = LIMITS.sectionText - OPEN.length - CLOSE.length - `… ${'9'.repeat(10)} earlier lines\n`.length;
  const chunks: string[][] = [];
  let current: string[] = [];
  let size = 0;
  let kept = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = truncateMrkdwn(escapeMrkdwn(defuseFences(lines[i]!)), Math.min(MAX_LINE, room));
    if (current.length > 0 && size + line.length + 1 > room) {
      if (chunks.length + 1 >= maxSections) break;
      chunks.unshift(current);
      current = [];
      size = 0;
    }
    current.unshift(line);
    size += line.length + 1;
    kept++;
  }
  if (current.length > 0) chunks.unshift(current);
  const dropped = lines.length - kept;
  if (dropped > 0 && chunks[0] !== undefined) chunks[0].unshift(`… ${dropped} earlier line${dropped === 1 ? '' : 's'}`);
  return chunks.map((chunk) => `${OPEN}${chunk.join('\n')}${CLOSE}`);
}

/** The answer to `logs #N [service]` in Slack: a headline, the lines as code, and where the whole log is. */
export function renderLogs(view: LogView): Message {
  const whole = `The whole log: \`GET ${wholeLogPath(view)}\``;
  if (view.lines.length === 0) {
    const text = escapeMrkdwn(noLines(view));
    return message(text, [section(text)]);
  }
  const head = headline(view);
  const lines = labelled(view).map((l) => (l.label === null ? l.text : `${l.label} | ${l.text}`));
  // The headline and the footer take two of the blocks.
  const code = codeSections(lines, LIMITS.blocks - 2).map(section);
  return message(head.mrkdwn, [section(head.mrkdwn), ...code, context([whole])]);
}

/** The same for a terminal: the lines whole (secrets redacted), under the headline. */
export function renderLogsText(view: LogView): string {
  if (view.lines.length === 0) return noLines(view);
  const lines = labelled(view).map((l) => `  ${l.label === null ? '' : `${l.label} `}| ${l.text}`);
  return [headline(view).plain, ...lines, `the whole log: GET ${wholeLogPath(view)}`].join('\n');
}
