import type { App, RespondArguments } from '@slack/bolt';
import type { Logger } from 'pino';
import { ALIAS_VERBS, type AliasVerb } from '../../domain/command.ts';
import { slackChannelOf, type ChatOrigin } from '../../domain/deployment.ts';
import type { Person } from '../../domain/person.ts';
import type { HoistService } from '../../service/contract.ts';
import { cardActionKindOf, offeredAction, CARD_ACTION_PREFIX, type CardAction } from '../card-actions.ts';
import type { ChatMessage } from '../chat-port.ts';
import type { Conversation } from '../conversation.ts';
import { executePlan } from '../execute-plan.ts';
import { interpret, type Plan } from '../interpret.ts';
import { openRejectModal } from './slack-approvals.ts';
import { asSlackBlocks } from './slack-blocks.ts';
import type { WorkQueue } from './work-queue.ts';
import { slackMention } from '../render/format.ts';

export interface SlackCommandDeps {
  api: HoistService;
  logger: Logger;
  now: () => Date;
  /** Work Slack was told is accepted, carried out after the acknowledgement; stopping waits for it. */
  work: WorkQueue;
  /** A permalink to deployment `id`'s card, where it has one. */
  cardLink?: (deploymentId: number) => Promise<string | null>;
}

const INTERNAL_ERROR = 'Hoist could not take this request because of an internal error; try again in a moment.';

function ephemeral(message: ChatMessage): RespondArguments {
  return {
    response_type: 'ephemeral',
    text: message.text,
    ...(message.blocks === undefined ? {} : { blocks: asSlackBlocks(message.blocks) }),
  };
}

/**
 * Sends an acknowledgement; false when it could not be sent. Over Socket Mode that happens
 * when the connection closed under the request: Slack then delivers it again (to this process
 * or another) and that delivery is the one carried out, so this one stops here.
 */
async function acknowledged(sending: Promise<void>, log: Logger): Promise<boolean> {
  try {
    await sending;
    return true;
  } catch (error) {
    log.info({ err: error }, 'could not acknowledge a request; Slack delivers it again');
    return false;
  }
}

/** `/deploy` → `deploy`, `/cancel` → `cancel`; `/hoist` and any other name (`/hoist-staging`) take the whole grammar. */
function aliasOf(command: string): AliasVerb | undefined {
  const name = command.replace(/^\//, '').toLowerCase();
  return ALIAS_VERBS.find((verb) => verb === name);
}

/** Who asked in Slack, from where, and how to answer them alone. */
interface SlackAsk {
  origin: Extract<ChatOrigin, { kind: 'slack' }>;
  requester: Person;
  prefix: string;
  /** Idempotency key of the delivery (trigger_id, event_id): a retried delivery requests nothing new. */
  requestKey: string | undefined;
  /** Answers only the user, after the acknowledgement. */
  answer(message: ChatMessage): Promise<unknown>;
  /** A card's button: a repeated click is answered with the deployment it already made. */
  fromButton?: boolean;
  log: Logger;
}

function conversationOf(ask: SlackAsk, deps: SlackCommandDeps): Conversation {
  return {
    requester: ask.requester,
    origin: ask.origin,
    trigger: 'chat',
    prefix: ask.prefix,
    ...(ask.requestKey === undefined ? {} : { requestKey: ask.requestKey }),
    ...(ask.fromButton ? { control: 'button' as const } : {}),
    now: deps.now(),
    mention: slackMention,
    ...(deps.cardLink === undefined ? {} : { cardLink: deps.cardLink }),
    answer: (message) => {
      if (message.rejected) ask.log.info('command refused');
      return ask.answer(message);
    },
    requested: (deployment, duplicate) => ask.log.info({ deploymentId: deployment.id, duplicate }, 'deployment requested'),
  };
}

/** The slow part of a command, after Slack has its acknowledgement. */
async function carryOut(plan: Plan, ask: SlackAsk, deps: SlackCommandDeps): Promise<void> {
  try {
    await executePlan(deps.api, plan, conversationOf(ask, deps));
  } catch (error) {
    ask.log.error({ err: error }, 'command failed after acknowledgement');
    await ask.answer({ text: INTERNAL_ERROR }).catch((answerError: unknown) => ask.log.warn({ err: answerError }, 'could not answer the user'));
  }
}

/** `/hoist …`, the aliases and `@hoist …`: acknowledged at once, always; answers only the user who asked. */
export function registerCommands(app: App, deps: SlackCommandDeps): void {
  app.command(/^\/\S+$/, async ({ command, ack, respond }) => {
    const alias = aliasOf(command.command);
    const ask: SlackAsk = {
      origin: { kind: 'slack', channel: command.channel_id, userId: command.user_id, reply: command.response_url || null },
      requester: { id: command.user_id, name: command.user_name || command.user_id },
      prefix: alias === undefined ? `${command.command} ` : '/',
      requestKey: command.trigger_id ? `slack:${command.trigger_id}` : undefined,
      answer: (message) => respond(ephemeral(message)),
      log: deps.logger.child({ command: command.command, channel: command.channel_id, user: command.user_id }),
    };
    let plan: Plan;
    try {
      plan = interpret(command.text ?? '', { api: deps.api, origin: ask.origin, prefix: ask.prefix, ...(alias ? { alias } : {}) });
    } catch (error) {
      ask.log.error({ err: error }, 'could not interpret a command');
      await acknowledged(ack(ephemeral({ text: INTERNAL_ERROR })), ask.log);
      return;
    }
    if (plan.kind === 'answer') {
      await acknowledged(ack(ephemeral({ text: plan.text })), ask.log);
      return;
    }
    if (!(await acknowledged(ack(), ask.log))) return;
    await deps.work.run(() => carryOut(plan, ask, deps), ask.requester.id);
  });

  app.event('app_mention', async ({ event, body, client }) => {
    const user = event.user;
    if (user === undefined || event.bot_id !== undefined) return;
    const ask: SlackAsk = {
      origin: { kind: 'slack', channel: event.channel, userId: user, reply: null },
      requester: { id: user, name: event.user_profile?.display_name || event.user_profile?.name || user },
      prefix: '@hoist ',
      requestKey: typeof body.event_id === 'string' ? `slack-event:${body.event_id}` : undefined,
      answer: (message) =>
        client.chat.postEphemeral({
          channel: event.channel,
          user,
          text: message.text,
          ...(message.blocks === undefined ? {} : { blocks: asSlackBlocks(message.blocks) }),
          ...(event.thread_ts === undefined ? {} : { thread_ts: event.thread_ts }),
        }),
      log: deps.logger.child({ event: 'app_mention', channel: event.channel, user }),
    };
    let plan: Plan;
    try {
      plan = interpret(event.text, { api: deps.api, origin: ask.origin, prefix: ask.prefix });
    } catch (error) {
      ask.log.error({ err: error }, 'could not interpret a mention');
      await ask.answer({ text: INTERNAL_ERROR });
      return;
    }
    await deps.work.run(() => carryOut(plan, ask, deps), ask.requester.id);
  });
}

/** Where a deployment's card is (the channel whose rules a click on the Home tab is judged by); the user's own conversation with Hoist when it has none. */
async function homeChannel(api: HoistService, id: number, userId: string): Promise<string> {
  const deployment = await api.getDeployment(id);
  return (deployment === null ? null : slackChannelOf(deployment.chat)) ?? userId;
}

/** The idempotency key of a click: per use (a vote), per card and button (an action), or none (a read). */
function clickKey(offered: CardAction, deploymentId: number, triggerId: string): string | undefined {
  if (offered.perUse) return `slack-use:${triggerId}`;
  return offered.once ? `slack-button:${deploymentId}:${offered.kind}` : undefined;
}

/**
 * A card's buttons (Approve, Reject, Cancel, Redeploy, Rollback, Logs): acknowledged at
 * once, then carried out as the command the button stands for, with the same rules and
 * permissions, and answered only to whoever clicked. Each card's action button requests
 * at most one deployment, however often it is clicked; each Approve click is a vote of
 * its own (the service counts a person once); Reject asks for a reason in a modal first.
 */
export function registerCardActions(app: App, deps: SlackCommandDeps): void {
  app.action({ type: 'block_actions', action_id: new RegExp(`^${CARD_ACTION_PREFIX}`) }, async ({ ack, body, action, respond, client }) => {
    if (!(await acknowledged(ack(), deps.logger.child({ action: action.action_id, user: body.user.id })))) return;
    if (action.type !== 'button') return;
    const kind = cardActionKindOf(action.action_id);
    const id = Number(action.value);
    // A button on the Home tab has no channel and no response_url: the rules of the channel
    // its card is in apply, and the answer goes to the app's Messages tab.
    const onHome = body.container?.type === 'view';
    const channel = body.channel?.id ?? body.container?.channel_id ?? (onHome && Number.isInteger(id) ? await homeChannel(deps.api, id, body.user.id) : undefined);
    const log = deps.logger.child({ action: action.action_id, deploymentId: id, channel, user: body.user.id, ...(onHome ? { on: 'home' } : {}) });
    const answer = onHome
      ? (message: ChatMessage) => client.chat.postMessage({ channel: body.user.id, text: message.text, ...(message.blocks === undefined ? {} : { blocks: asSlackBlocks(message.blocks) }) })
      : (message: ChatMessage) => respond({ ...ephemeral(message), replace_original: false });
    if (kind === null || !Number.isInteger(id) || id <= 0 || typeof channel !== 'string') {
      log.warn({ value: action.value }, 'a card button Hoist does not know');
      await answer({ text: 'Hoist does not know this button; type the command instead (`/hoist help`).' });
      return;
    }
    if (kind === 'reject') {
      await openRejectModal(deps, { client, triggerId: body.trigger_id, deploymentId: id, channel, answer, log }).catch(async (error: unknown) => {
        log.error({ err: error }, 'reject button failed');
        await answer({ text: INTERNAL_ERROR }).catch(() => undefined);
      });
      return;
    }
    const work = async () => {
      const deployment = await deps.api.getDeployment(id);
      if (deployment === null) {
        await answer({ text: `Deployment #${id} does not exist (any more).` });
        return;
      }
      const offered = offeredAction(deployment, kind);
      if (offered === null) {
        await answer({ text: `#${id} is ${deployment.status} now, so its card no longer offers ${kind}. Type \`/hoist status ${deployment.app} in ${deployment.env}\` to see what runs.` });
        return;
      }
      const ask: SlackAsk = {
        origin: { kind: 'slack', channel, userId: body.user.id, reply: body.response_url ?? null },
        requester: { id: body.user.id, name: body.user.name ?? body.user.username ?? body.user.id },
        prefix: '/hoist ',
        // An action's button requests at most one deployment; Logs only reads, so each click shows the log again.
        requestKey: clickKey(offered, id, body.trigger_id),
        answer,
        fromButton: true,
        log,
      };
      const plan = interpret(offered.command, { api: deps.api, origin: ask.origin, prefix: ask.prefix });
      await carryOut(plan, ask, deps);
    };
    await deps.work.run(() =>
      work().catch(async (error: unknown) => {
        log.error({ err: error }, 'card button failed after acknowledgement');
        await answer({ text: INTERNAL_ERROR }).catch(() => undefined);
      }),
      body.user.id,
    );
  });
}
