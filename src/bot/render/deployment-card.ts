import type { Deployment, DeploymentService } from '../../domain/deployment.ts';
import { forcedText } from '../../domain/checks.ts';
import { specOf } from '../../domain/deployment-set.ts';
import type { ApprovalView } from '../../service/contract.ts';
import { CARD_ACTION_PREFIX, cardActions } from '../card-actions.ts';
import { approvalSection } from './approval-card.ts';
import { changelogMrkdwn, changelogText, pushLine } from './changelog.ts';
import type { Block, Button, Message } from './blocks.ts';
import {
  actionTitle,
  elapsedPhrase,
  escapeMrkdwn,
  shortVersion,
  servesUrl,
  statusStyle,
  urlMrkdwn,
  versionMrkdwn,
} from './format.ts';
import { LIMITS, capBlocks, context, header, message, packSections, section, truncateMrkdwn } from './limits.ts';

export interface RenderContext {
  now: Date;
  /** 1-based place in the environment's queue, while the deployment is QUEUED. */
  queuePosition?: number | null;
  /** The app's repository, for commit links. */
  repoUrl?: string | null;
  /** How to name a user where the message is shown (`<@U123>` in Slack, a login in the shell). */
  mention: (userId: string) => string;
  /** Its approval, where it waits or waited for one: the rules and their progress, who decided. */
  approval?: ApprovalView | null;
}

const TRIGGER_NOTES = { chat: null, api: 'via the API', shell: 'from the shell', webhook: 'automatic deploy' } as const;

function queueNote(d: Deployment, ctx: RenderContext): string | null {
  if (d.status !== 'QUEUED' || ctx.queuePosition == null) return null;
  return `position ${ctx.queuePosition} in the queue`;
}

/** For a deploy at an image tag: the digest the registry resolved it to, or that it could not be asked. */
function tagNote(d: Deployment): { digest: string } | { unchecked: string } | null {
  const check = d.deploymentSet?.services.find((s) => s.tagCheck !== undefined)?.tagCheck;
  if (check === undefined) return null;
  if (check.status === 'unchecked') return { unchecked: `tag not checked: ${check.reason}` };
  return check.digest === null ? null : { digest: check.digest.slice(0, 'sha256:'.length + 12) };
}

/** `v1.4.2 → abc1234` (ref as typed, then the SHA it resolved to; for an image tag, its digest). */
function refMrkdwn(d: Deployment, ctx: RenderContext): string | null {
  if (d.ref === null && d.sha === null) return null;
  const sha = d.sha === null ? null : versionMrkdwn(d.sha, ctx.repoUrl);
  // A push deploys the SHA itself: said once.
  if (d.ref === null || d.ref === d.sha) return sha;
  const ref = `\`${escapeMrkdwn(d.ref)}\``;
  const tag = tagNote(d);
  if (tag !== null) return 'digest' in tag ? `${ref} → \`${tag.digest}\`` : `${ref} · _${escapeMrkdwn(tag.unchecked)}_`;
  return sha ? `${ref} → ${sha}` : ref;
}

function serviceLine(d: Deployment, s: DeploymentService, ctx: RenderContext): string {
  const style = statusStyle(s.status);
  const changed = s.previousVersion !== null && s.version !== null && s.previousVersion !== s.version;
  const version = changed
    ? `${versionMrkdwn(s.previousVersion, ctx.repoUrl)} → ${versionMrkdwn(s.version, ctx.repoUrl)}`
    : versionMrkdwn(s.version, ctx.repoUrl);
  const reason = s.reason ? ` — _${escapeMrkdwn(s.reason)}_` : '';
  const url = publicUrl(d, s);
  return `${style.emoji} *${escapeMrkdwn(s.name)}* · ${style.label} · ${version}${url === null ? '' : ` · ${urlMrkdwn(url)}`}${reason}`;
}

/** Where the service answers once this deployment applied it (its deployment set), shown once it is DEPLOYED. */
function publicUrl(d: Deployment, s: DeploymentService): string | null {
  const url = specOf(d.deploymentSet ?? null, s.name)?.url;
  return s.status === 'DEPLOYED' && servesUrl(s.status, url) ? url : null;
}

function footer(d: Deployment, ctx: RenderContext): string {
  // A push has no one in the chat to mention: it is Automatic, and who pushed is said above.
  if (d.trigger === 'webhook' && d.push) return ['Automatic', elapsedPhrase(d, ctx.now)].filter(Boolean).join(' · ');
  const trigger = TRIGGER_NOTES[d.trigger];
  return [`Requested by ${ctx.mention(d.requestedBy.id)}`, trigger, elapsedPhrase(d, ctx.now)].filter(Boolean).join(' · ');
}

/** Deployed past red or pending CI checks: who, why and past what, for as long as the card lives. */
function forcedLine(d: Deployment, ctx: RenderContext, format: 'mrkdwn' | 'text'): string | null {
  const forced = d.checks?.forced ?? null;
  if (forced === null) return null;
  const text = forcedText(forced);
  return format === 'mrkdwn' ? `*CI checks forced* by ${ctx.mention(forced.by.id)}: ${escapeMrkdwn(text)}` : `CI checks forced by @${forced.by.name}: ${text}`;
}

/** Under the status line: the reason, checks forced past, and the push that asked for it. */
function statusText(d: Deployment, statusLine: string, ctx: RenderContext): string {
  const lines = [statusLine];
  if (d.reason) lines.push(`*Reason:* ${escapeMrkdwn(d.reason)}`);
  const forced = forcedLine(d, ctx, 'mrkdwn');
  if (forced !== null) lines.push(forced);
  if (d.push) lines.push(pushLine(d.push, 'mrkdwn'));
  return truncateMrkdwn(lines.join('\n'), LIMITS.sectionText);
}

/** The card's buttons: `value` is the deployment's id, `action_id` names the action. */
function buttons(d: Deployment): Block[] {
  const elements = cardActions(d).map(
    (a): Button => ({
      type: 'button',
      text: { type: 'plain_text', text: a.label },
      action_id: `${CARD_ACTION_PREFIX}${a.kind}`,
      value: String(d.id),
      ...(a.style === null ? {} : { style: a.style }),
    }),
  );
  return elements.length === 0 ? [] : [{ type: 'actions', block_id: `${CARD_ACTION_PREFIX}${d.id}`, elements }];
}

/** The deployment's card in Slack, edited in place as it progresses, with the buttons its state allows. */
export function renderCard(d: Deployment, ctx: RenderContext): Message {
  const style = statusStyle(d.status);
  const title = `${actionTitle(d.action, d.app, d.env)} · #${d.id}`;
  const statusLine = [`${style.emoji} *${style.label}* \`${d.status}\``, queueNote(d, ctx), refMrkdwn(d, ctx)].filter(Boolean).join(' · ');
  const approval = approvalSection(d, ctx.approval, { now: ctx.now, mention: ctx.mention, format: 'mrkdwn' });
  const top: Block[] = [
    header(title),
    section(statusText(d, statusLine, ctx)),
    ...(approval === null ? [] : [section(approval)]),
  ];
  const changes = d.changelog ? changelogMrkdwn(d.changelog, ctx.repoUrl) : null;
  const bottom: Block[] = [...(changes === null ? [] : [section(truncateMrkdwn(changes, LIMITS.sectionText))]), context([footer(d, ctx)]), ...buttons(d)];
  const services = capBlocks(
    packSections(d.services.map((s) => serviceLine(d, s, ctx))),
    LIMITS.blocks - top.length - bottom.length,
    (hidden) => `… ${hidden} more sections of services not shown`,
  );
  const text = `${escapeMrkdwn(title)}: ${d.status}`;
  return message(text, [...top, ...services, ...bottom]);
}

/** The same card for the terminal. */
export function renderCardText(d: Deployment, ctx: RenderContext): string {
  const style = statusStyle(d.status);
  const queue = queueNote(d, ctx);
  const lines = [`#${d.id} ${actionTitle(d.action, d.app, d.env).toLowerCase()} — ${style.glyph} ${d.status}${queue ? ` (${queue})` : ''}`];
  if (d.ref !== null || d.sha !== null) {
    const tag = tagNote(d);
    const resolved = tag !== null && 'digest' in tag ? tag.digest : d.sha === null ? null : shortVersion(d.sha);
    const unchecked = tag !== null && 'unchecked' in tag ? ` (${tag.unchecked})` : '';
    lines.push(`  ref ${[d.ref === d.sha ? null : d.ref, resolved].filter(Boolean).join(' → ')}${unchecked}`);
  }
  if (d.reason) lines.push(`  reason: ${d.reason}`);
  const forced = forcedLine(d, ctx, 'text');
  if (forced !== null) lines.push(`  ${forced}`);
  if (d.push) lines.push(`  ${pushLine(d.push, 'text').replace(/^Pushed/, 'pushed')}`);
  const approval = approvalSection(d, ctx.approval, { now: ctx.now, mention: ctx.mention, format: 'text' });
  if (approval !== null) lines.push(...approval.split('\n').map((line) => `  ${line}`));
  const width = Math.max(0, ...d.services.map((s) => s.name.length));
  const statusWidth = Math.max(0, ...d.services.map((s) => s.status.length));
  for (const s of d.services) {
    const changed = s.previousVersion !== null && s.version !== null && s.previousVersion !== s.version;
    const version = changed ? `${shortVersion(s.previousVersion)} → ${shortVersion(s.version)}` : shortVersion(s.version);
    const reason = s.reason ? `  (${s.reason})` : '';
    const url = publicUrl(d, s);
    lines.push(`  ${statusStyle(s.status).glyph} ${s.name.padEnd(width)}  ${s.status.padEnd(statusWidth)}  ${version}${url === null ? '' : `  ${url}`}${reason}`);
  }
  if (d.changelog) lines.push(...changelogText(d.changelog).map((line) => `  ${line}`));
  lines.push(`  ${footer(d, ctx).replace(/^Requested/, 'requested')}`);
  return lines.join('\n');
}
