import type { Logger } from 'pino';
import { chatOf, type DeploymentEvent, type Deployment, type StoredEvent } from '../domain/deployment.ts';
import { defaultNotifyPolicy, type NotifyPolicy } from '../domain/notify-policy.ts';
import { isFinal } from '../domain/status.ts';
import type { ApprovalView, HoistService } from '../service/contract.ts';
import type { CardContext, CardRef, ChatPort, EventMark } from './chat-port.ts';
import { approverMentions, mentionsOf, requesterMention } from './approval-mentions.ts';
import { renderApprovalStep, renderChecksStep, renderFailure, renderFailureText, renderIncident, renderSummary, renderSupersedes, renderTransition } from './render/thread-lines.ts';
import { trackedSubscription } from './feed-subscription.ts';

/**
 * Delivers stored deployment events to a subscriber: in order per deployment,
 * each event until the handler resolves once (a Postgres-backed outbox). A
 * handler that throws gets the event again later.
 */
export interface EventFeed {
  /** `redelivery`: an earlier delivery of the event may have reached the chat (see `EventMark`). */
  subscribe(handler: (event: StoredEvent, delivery?: { redelivery: boolean }) => Promise<void>): () => void;
}

/** Where a deployment's chat card lives, as the chat adapter recorded it (opaque JSON). */
export interface CardStore {
  get(deploymentId: number): Promise<Record<string, string> | null>;
  save(deploymentId: number, ref: Record<string, string>): Promise<void>;
}

export interface NotifierOptions {
  feed: EventFeed;
  api: HoistService;
  cards: CardStore;
  chats: { slack?: ChatPort; shell?: ChatPort };
  logger: Logger;
  now?: () => Date;
  /** The app's repository URL, for commit links on cards. */
  repoUrl?: (app: string) => string | null;
  /** How loudly a deployment's failure is told (its environment's `notify:`); without, only in the thread. */
  notifyPolicy?: (deployment: Deployment) => NotifyPolicy;
}

export interface Notifier {
  start(): void;
  /** Stops taking events and waits for the ones being handled. */
  stop(): Promise<void>;
}


/** The deployment's place among those waiting in its environment (1 = next); null when it is not waiting. */
async function queuePosition(api: HoistService, deployment: Deployment): Promise<number | null> {
  if (deployment.status !== 'QUEUED' || deployment.startedAt !== null) return null;
  const views = await api.environments(deployment.app, deployment.env);
  if (!Array.isArray(views)) return null;
  const view = views.find((v) => v.app === deployment.app && v.env === deployment.env);
  return view?.queue.find((entry) => entry.id === deployment.id)?.position ?? null;
}

/** The deployment's approval, where it waits or waited for one; null otherwise (or when it cannot be read now). */
async function approvalOf(api: HoistService, deployment: Deployment): Promise<ApprovalView | null> {
  const result = await api.approvals(deployment.id);
  if (!result.ok || !result.required) return null;
  const { ok: _ok, ...view } = result;
  return view;
}

/** The event with the secrets its deployment knows masked in its texts (a failure's log tail: an app printing its password). */
async function maskedEvent(api: HoistService, event: DeploymentEvent): Promise<DeploymentEvent> {
  switch (event.kind) {
    case 'failure': {
      const masker = await api.secretMasker(event.deploymentId);
      return { ...event, reason: masker.text(event.reason), logTail: masker.lines(event.logTail) };
    }
    case 'status': {
      if (event.reason === null) return event;
      const masker = await api.secretMasker(event.deploymentId);
      return { ...event, reason: masker.text(event.reason) };
    }
    case 'summary': {
      const masker = await api.secretMasker(event.deploymentId);
      return { ...event, headline: masker.text(event.headline), services: event.services.map((s) => ({ ...s, note: s.note === null ? null : masker.text(s.note) })) };
    }
    default:
      return event;
  }
}

/** How many deployments requested from no chat the notifier remembers (see `chatless`). */
const CHATLESS_REMEMBERED = 10_000;

/**
 * Turns deployment events into chat messages: one card per deployment, edited
 * in place, and a thread reply per transition or failure. An error from the
 * chat propagates so the feed delivers the event again.
 */
export function createNotifier(options: NotifierOptions): Notifier {
  const now = options.now ?? (() => new Date());
  const notifyPolicy = options.notifyPolicy ?? (() => defaultNotifyPolicy(false));
  /**
   * Deployments requested from no chat (through the API without a channel, say): none of their
   * events is shown, and a deployment's chat never changes once it is recorded, so their later
   * events are passed over without reading the deployment again. The oldest are forgotten first.
   */
  const chatless = new Set<number>();
  const rememberChatless = (deploymentId: number): void => {
    chatless.add(deploymentId);
    if (chatless.size > CHATLESS_REMEMBERED) chatless.delete(chatless.values().next().value as number);
  };

  const cardContext = async (deployment: Deployment): Promise<CardContext> => ({
    now: now(),
    queuePosition: await queuePosition(options.api, deployment).catch(() => null),
    repoUrl: options.repoUrl?.(deployment.app) ?? null,
    approval: await approvalOf(options.api, deployment).catch(() => null),
  });

  /** The card's ref, posting the card first when there is none (a first event, or one lost before it was saved). */
  const ensureCard = async (chat: ChatPort, deployment: Deployment, context: CardContext, mark: EventMark): Promise<{ ref: CardRef; posted: boolean }> => {
    const known = await options.cards.get(deployment.id);
    if (known !== null) return { ref: known, posted: false };
    const ref = await chat.postCard(deployment, context, mark);
    await options.cards.save(deployment.id, ref);
    return { ref, posted: true };
  };

  /**
   * Updates of a running deployment may be merged by the chat and are not
   * waited for: the next event updates the card again. The final one is
   * waited for, so that a failed final update is delivered again.
   */
  const updateCard = (chat: ChatPort, ref: CardRef, deployment: Deployment, context: CardContext, log: Logger): Promise<void> => {
    const update = chat.updateCard(ref, deployment, context);
    if (isFinal(deployment.status)) return update;
    update.catch((error: unknown) => log.warn({ err: error }, 'card update failed; the next event updates the card'));
    return Promise.resolve();
  };

  const handle = async (stored: StoredEvent, delivery?: { redelivery: boolean }): Promise<void> => {
    if (chatless.has(stored.deploymentId)) return;
    const log = options.logger.child({ deploymentId: stored.deploymentId, eventId: stored.id, kind: stored.event.kind });
    const deployment = await options.api.getDeployment(stored.deploymentId);
    if (deployment === null) {
      log.warn('event for a deployment that does not exist');
      return;
    }
    const kind = chatOf(deployment.chat);
    if (kind === null) {
      rememberChatless(deployment.id);
      return;
    }
    const chat = options.chats[kind];
    if (chat === undefined) {
      log.warn({ chat: deployment.chat.kind }, 'no chat of this kind is running; event not shown');
      return;
    }
    const context = await cardContext(deployment);
    const mark: EventMark = { eventId: stored.id, deploymentId: stored.deploymentId, at: stored.createdAt, redelivery: delivery?.redelivery === true };
    const { ref, posted } = await ensureCard(chat, deployment, context, mark);
    // A card posted just now has an empty thread: nothing there to look for.
    const replyMark: EventMark = posted ? { ...mark, redelivery: false } : mark;
    const event = await maskedEvent(options.api, stored.event);
    switch (event.kind) {
      case 'requested':
        // A redelivered `requested` finds its card: bring it up to date instead.
        if (!posted) await updateCard(chat, ref, deployment, context, log);
        return;
      case 'status': {
        const updated = posted ? Promise.resolve() : updateCard(chat, ref, deployment, context, log);
        // Rejected or expired, it will never run: whoever asked for it hears so.
        const who = requesterMention(chat, deployment, event.status);
        const line = { text: `${who}${renderTransition(event, deployment)}`, plain: `${who}${renderTransition(event, deployment, 'text')}` };
        await Promise.all([updated, chat.postReply(ref, line, { mark: replyMark })]);
        return;
      }
      case 'failure': {
        const mention = (userId: string) => chat.mention(userId);
        const policy = notifyPolicy(deployment);
        const also = await mentionsOf(chat, policy.mention);
        const failure = { ...renderFailure(event, deployment, mention, also), plain: renderFailureText(event, deployment, mention, also) };
        await chat.postReply(ref, failure, { broadcast: policy.broadcastFailures, mark: replyMark });
        // The incident channel (a Slack channel) hears of it too, with a link to the thread when
        // the thread is in Slack. Posted after the reply: a retry of this event finds the reply
        // already there and posts only what is missing.
        const slack = options.chats.slack;
        if (policy.channel !== null && slack !== undefined) {
          const link = chat === slack ? ((await slack.threadLink?.(ref)) ?? null) : null;
          const named = chat === slack ? also : await mentionsOf(slack, policy.mention);
          await slack.postNotice({ kind: 'slack', channel: policy.channel, userId: deployment.requestedBy.id, reply: null }, renderIncident(event, deployment, link, named), { mark: replyMark });
        }
        if (!posted) await updateCard(chat, ref, deployment, context, log);
        return;
      }
      case 'summary':
        await chat.postReply(ref, { text: renderSummary(event), plain: renderSummary(event, 'text') }, { mark: replyMark });
        return;
      case 'queue':
      case 'changelog':
        // One ahead of it started or was removed, or what it changes is known: the card shows it.
        if (!posted) await updateCard(chat, ref, deployment, context, log);
        return;
      case 'supersedes':
        await chat.postReply(ref, { text: renderSupersedes(event), plain: renderSupersedes(event) }, { mark: replyMark });
        return;
      case 'approval': {
        const updated = posted ? Promise.resolve() : updateCard(chat, ref, deployment, context, log);
        // Asked for (again, after a reset) or reminded of: the approvers are mentioned, groups with the chat's group mention.
        const toApprovers = event.step === 'requested' || event.step === 'reset' || event.step === 'reminded';
        const approvers = toApprovers ? await approverMentions(chat, context.approval ?? null) : null;
        const options = { mention: (userId: string) => chat.mention(userId), approvers };
        const line = { text: renderApprovalStep(event, 'mrkdwn', options), plain: renderApprovalStep(event, 'text', options) };
        // Going ahead without approval is announced in the channel, not only in the thread.
        await Promise.all([updated, chat.postReply(ref, line, { broadcast: event.step === 'bypassed', mark: replyMark })]);
        return;
      }
      case 'checks': {
        const updated = posted ? Promise.resolve() : updateCard(chat, ref, deployment, context, log);
        const line = { text: renderChecksStep(event), plain: renderChecksStep(event, 'text') };
        // Shipping past red or pending checks is announced in the channel, as going ahead without approval is.
        await Promise.all([updated, chat.postReply(ref, line, { broadcast: event.step === 'forced', mark: replyMark })]);
        return;
      }
    }
  };

  return trackedSubscription(options.feed, handle);
}
