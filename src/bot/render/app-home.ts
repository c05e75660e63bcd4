import type { HomeApproval, HomeBoard, HomeDeployment } from '../../service/home-board.ts';
import { CARD_ACTION_PREFIX } from '../card-actions.ts';
import type { Block } from './blocks.ts';
import { environmentLines } from './environments.ts';
import { escapeMrkdwn, slackMention, statusStyle } from './format.ts';
import { context, header, packSections, section } from './limits.ts';
import { whenMrkdwn } from './locks.ts';
import type { DeploymentStatus } from '../../domain/status.ts';

/** A Home tab holds at most 100 blocks (a message: 50). */
export const HOME_MAX_BLOCKS = 100;
/** Approvals shown with their buttons; the rest are counted. Each takes two blocks. */
const MAX_APPROVALS = 10;
/** The user's own deployments shown, one line each. */
const MAX_MINE = 25;
export const HOME_CALLBACK_ID = 'hoist-home';

export interface HomeView {
  type: 'home';
  callback_id: string;
  blocks: Block[];
}

export interface HomeContext {
  now: Date;
  /** `HOIST_PUBLIC_URL`: where the whole board is (`<publicUrl>/dashboard`); null: the chat is the only way. */
  publicUrl: string | null;
  repoUrlOf?: (app: string) => string | null;
}

const title = (d: { id: number; action: string; app: string; env: string }) => `*#${d.id}* ${escapeMrkdwn(d.action)} ${escapeMrkdwn(d.app)} in ${escapeMrkdwn(d.env)}`;

function approvalBlocks(a: HomeApproval): Block[] {
  const expires = a.expiresAt === null ? '' : ` · expires ${whenMrkdwn(a.expiresAt)}`;
  const text = `:raised_hand: ${title(a)}, requested by ${slackMention(a.requestedBy.id)} ${whenMrkdwn(a.requestedAt)}${expires}`;
  // The card's own buttons: the same handlers, rules and once-only claims as on the card.
  const button = (kind: 'approve' | 'reject', label: string, style: 'primary' | 'danger') => ({
    type: 'button' as const,
    text: { type: 'plain_text' as const, text: label },
    action_id: `${CARD_ACTION_PREFIX}${kind}`,
    value: String(a.id),
    style,
  });
  return [section(text), { type: 'actions', block_id: `${CARD_ACTION_PREFIX}${a.id}`, elements: [button('approve', 'Approve', 'primary'), button('reject', 'Reject', 'danger')] }];
}

function mineLine(d: HomeDeployment): string {
  const known = statusStyle(d.status as DeploymentStatus) as ReturnType<typeof statusStyle> | undefined;
  const where = d.position === null ? '' : ` · #${d.position} in the queue`;
  return `${known?.emoji ?? ':grey_question:'} ${title(d)} · ${escapeMrkdwn(known?.label ?? d.status)}${where}`;
}

/** Where to see what did not fit: the dashboard when Hoist has a public URL, else the chat. */
function rest(ctx: HomeContext, what: string, typed: string): string {
  return ctx.publicUrl === null ? `type \`/hoist ${typed}\` to see ${what}` : `<${ctx.publicUrl}/dashboard|see ${what} on the dashboard>`;
}

/**
 * A person's Home tab: the approvals waiting for them (with the cards' Approve and Reject
 * buttons), their own deployments that wait or run, and the environments they may operate.
 * Within the Home tab's 100 blocks whatever the board holds: what does not fit is counted,
 * with where to see it.
 */
export function renderAppHome(board: HomeBoard, ctx: HomeContext): HomeView {
  const blocks: Block[] = [];
  if (board.approvals.length > 0) {
    blocks.push(header('Waiting for your approval'));
    for (const a of board.approvals.slice(0, MAX_APPROVALS)) blocks.push(...approvalBlocks(a));
    const hidden = board.approvals.length - MAX_APPROVALS;
    if (hidden > 0) blocks.push(context([`…and ${hidden} more waiting for approval: ${rest(ctx, 'them all', 'status')}`]));
  }
  blocks.push(header('Your deployments'));
  if (board.mine.length === 0) blocks.push(context(['Nothing of yours waits or runs.']));
  else {
    blocks.push(...packSections(board.mine.slice(0, MAX_MINE).map(mineLine)));
    const hidden = board.mine.length - MAX_MINE;
    if (hidden > 0) blocks.push(context([`…and ${hidden} more: ${rest(ctx, 'them all', 'history')}`]));
  }
  blocks.push(header('Your environments'));
  if (board.environments.length === 0) blocks.push(context(['No environment is yours to operate: an app that names `channels` in hoist.yaml is operated by their members, and an environment’s `deployers` narrow it further.']));
  else blocks.push(...environmentBlocks(board, ctx, HOME_MAX_BLOCKS - blocks.length - (ctx.publicUrl === null ? 0 : 1)));
  if (ctx.publicUrl !== null) blocks.push(context([`<${ctx.publicUrl}/dashboard|The whole board on the dashboard>`]));
  return { type: 'home', callback_id: HOME_CALLBACK_ID, blocks };
}

/** One section per environment, as many as `room` allows; the last one then says how many more there are. */
function environmentBlocks(board: HomeBoard, ctx: HomeContext, room: number): Block[] {
  const lineCtx = { now: ctx.now, ...(ctx.repoUrlOf === undefined ? {} : { repoUrlOf: ctx.repoUrlOf }) };
  const all = board.environments;
  const shown = all.length <= room ? all.length : Math.max(0, room - 1);
  const blocks = all.slice(0, shown).map((view) => section(environmentLines(view, lineCtx).join('\n')));
  if (shown < all.length) blocks.push(context([`…and ${all.length - shown} more environments: ${rest(ctx, 'them all', 'status')}`]));
  return blocks;
}
