import type { ActionVerb } from '../../domain/command.ts';
import { commitUrl } from '../../domain/commit-link.ts';
import { isSlackUserId } from '../../domain/person.ts';
import type { DeploymentStatus } from '../../domain/status.ts';


/** What a list renderer needs besides its data: the time now, how to name a user, an app's repository for commit links. */
export interface ListContext {
  now: Date;
  mention: (userId: string) => string;
  repoUrlOf?: (app: string) => string | null;
}

export interface StatusStyle {
  /** Slack emoji shortcode. */
  emoji: string;
  /** One character for the terminal. */
  glyph: string;
  /** For people; the wire name (`BUILD_ERROR`) stays the status itself. */
  label: string;
}

const STYLES: Record<DeploymentStatus, StatusStyle> = {
  NEVER_DEPLOYED: { emoji: ':white_circle:', glyph: '○', label: 'Never deployed' },
  QUEUED: { emoji: ':hourglass_flowing_sand:', glyph: '…', label: 'Queued' },
  BUILDING: { emoji: ':hammer_and_wrench:', glyph: '…', label: 'Building' },
  BUILD_ERROR: { emoji: ':x:', glyph: '✗', label: 'Build failed' },
  DEPLOYING: { emoji: ':rocket:', glyph: '…', label: 'Deploying' },
  DEPLOYED: { emoji: ':white_check_mark:', glyph: '✓', label: 'Deployed' },
  DEPLOYMENT_ERROR: { emoji: ':x:', glyph: '✗', label: 'Deployment failed' },
  STOPPING: { emoji: ':octagonal_sign:', glyph: '…', label: 'Stopping' },
  STOPPED: { emoji: ':black_square_for_stop:', glyph: '■', label: 'Stopped' },
  STOP_ERROR: { emoji: ':x:', glyph: '✗', label: 'Stop failed' },
  RESTARTING: { emoji: ':arrows_counterclockwise:', glyph: '…', label: 'Restarting' },
  RESTARTED: { emoji: ':white_check_mark:', glyph: '✓', label: 'Restarted' },
  RESTART_ERROR: { emoji: ':x:', glyph: '✗', label: 'Restart failed' },
  DESTROYING: { emoji: ':wastebasket:', glyph: '…', label: 'Destroying' },
  DESTROYED: { emoji: ':wastebasket:', glyph: '×', label: 'Destroyed' },
  DESTROY_ERROR: { emoji: ':x:', glyph: '✗', label: 'Destroy failed' },
  CANCELING: { emoji: ':no_entry:', glyph: '…', label: 'Canceling' },
  CANCELED: { emoji: ':no_entry_sign:', glyph: '⊘', label: 'Canceled' },
  AWAITING_CHECKS: { emoji: ':traffic_light:', glyph: '?', label: 'Waiting for CI' },
  AWAITING_APPROVAL: { emoji: ':raised_hand:', glyph: '?', label: 'Awaiting approval' },
  REJECTED: { emoji: ':no_entry_sign:', glyph: '⊘', label: 'Rejected' },
  EXPIRED: { emoji: ':alarm_clock:', glyph: '⊘', label: 'Approval expired' },
};

export function statusStyle(status: DeploymentStatus): StatusStyle {
  return STYLES[status];
}

const ACTION_LABELS: Record<ActionVerb, { label: string; preposition: 'to' | 'in' }> = {
  deploy: { label: 'Deploy', preposition: 'to' },
  redeploy: { label: 'Redeploy', preposition: 'in' },
  rollback: { label: 'Rollback', preposition: 'in' },
  stop: { label: 'Stop', preposition: 'in' },
  restart: { label: 'Restart', preposition: 'in' },
  destroy: { label: 'Destroy', preposition: 'in' },
};

/** `Deploy shop to staging`, `Stop shop in staging`. */
export function actionTitle(action: ActionVerb, app: string, env: string): string {
  const { label, preposition } = ACTION_LABELS[action];
  return `${label} ${app} ${preposition} ${env}`;
}

/** Slack mrkdwn control characters in text that comes from people or logs. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const SHA_LIKE = /^[0-9a-f]{7,40}$/;
const IMAGE_WITH_SHA_TAG = /^(.*):([0-9a-f]{40})$/;

/** A commit SHA as 7 characters; an image whose tag is a SHA keeps its name with a short tag. */
export function shortVersion(version: string | null): string {
  if (version === null || version === '') return '—';
  if (SHA_LIKE.test(version)) return version.slice(0, 7);
  const tagged = IMAGE_WITH_SHA_TAG.exec(version);
  if (tagged) return `${tagged[1]}:${tagged[2]!.slice(0, 7)}`;
  return version;
}

/** A version for Slack: the short SHA linked to its commit when the repository allows it. */
export function versionMrkdwn(version: string | null, repoUrl: string | null | undefined): string {
  const url = commitUrl(repoUrl, version);
  const short = escapeMrkdwn(shortVersion(version));
  return url ? `<${url}|${short}>` : `\`${short}\``;
}

/** `42s`, `1m 04s`, `1h 02m`, `2d 03h`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${pad(seconds % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${pad(minutes % 60)}m`;
  return `${Math.floor(hours / 24)}d ${pad(hours % 24)}h`;
}

interface Timed {
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** From the start (or the request, while it waits) to the end (or now). */
export function elapsedMs(d: Timed, now: Date): number {
  const from = d.startedAt ?? d.requestedAt;
  const to = d.finishedAt ?? now;
  return to.getTime() - from.getTime();
}

/** `took 42s`, `running for 1m 04s`, `waiting for 12s`. */
export function elapsedPhrase(d: Timed, now: Date): string {
  const duration = formatDuration(elapsedMs(d, now));
  if (d.finishedAt) return `took ${duration}`;
  return d.startedAt ? `running for ${duration}` : `waiting for ${duration}`;
}

/**
 * How Slack names someone: a mention for a Slack user, the id in code style for anyone else
 * (an API token acting as itself: `<@token:ci>` would show as a broken mention).
 */
export function slackMention(userId: string): string {
  return isSlackUserId(userId) ? `<@${userId}>` : `\`${userId}\``;
}
