import type { App, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Deployment } from '../../domain/deployment.ts';
import type { Person } from '../../domain/person.ts';
import { offeredAction } from '../card-actions.ts';
import type { ChatAnswer, Conversation } from '../conversation.ts';
import type { ChatMessage } from '../chat-port.ts';
import { executePlan } from '../execute-plan.ts';
import { deploymentTitle } from '../render/approval-answers.ts';
import { truncatePlain } from '../render/limits.ts';
import type { HoistService } from '../../service/contract.ts';
import { slackMention } from '../render/format.ts';

/** What the modal needs of the Slack edge. */
export interface RejectModalDeps {
  api: HoistService;
  logger: Logger;
  now: () => Date;
}

/**
 * A card's Reject button: a modal asks for the reason (Slack's own validation requires
 * one), and its submission rejects the deployment through the same executor as the
 * typed `reject #N <reason>`. The requester hears of it in the card's thread.
 */

export const REJECT_CALLBACK_ID = 'hoist-reject';
/** The reason's input: its block_id and action_id, which a `response_action: errors` names. */
const REASON = 'reason';
const MAX_REASON = 2_000;
/** Slack shows an input's error under it; a long one helps nobody. */
const MAX_ERROR = 300;

/** What the modal carries to its submission: which deployment, and the channel its card is in (where the rules of the app apply). */
interface RejectSubject {
  deploymentId: number;
  channel: string;
}

function subjectOf(metadata: string): RejectSubject | null {
  try {
    const value = JSON.parse(metadata) as Partial<RejectSubject>;
    if (typeof value.deploymentId === 'number' && Number.isInteger(value.deploymentId) && typeof value.channel === 'string') {
      return { deploymentId: value.deploymentId, channel: value.channel };
    }
  } catch {
    // Not ours: answered below as a modal Hoist does not know.
  }
  return null;
}

/** The modal: a required reason, the deployment and channel in `private_metadata`. */
export function rejectModal(deployment: Deployment, channel: string): webApi.ViewsOpenArguments['view'] {
  return {
    type: 'modal',
    callback_id: REJECT_CALLBACK_ID,
    private_metadata: JSON.stringify({ deploymentId: deployment.id, channel } satisfies RejectSubject),
    title: { type: 'plain_text', text: truncatePlain(`Reject #${deployment.id}`, 24) },
    submit: { type: 'plain_text', text: 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'plain_text', text: truncatePlain(`${deploymentTitle(deployment)} ends REJECTED and nothing runs. Its requester is told why.`, 3_000) } },
      {
        type: 'input',
        block_id: REASON,
        label: { type: 'plain_text', text: 'Why do you reject it?' },
        element: { type: 'plain_text_input', action_id: REASON, multiline: true, max_length: MAX_REASON },
      },
    ],
  };
}

export interface RejectClick {
  client: webApi.WebClient;
  triggerId: string;
  deploymentId: number;
  channel: string;
  answer: (message: ChatMessage) => Promise<unknown>;
  log: Logger;
}

/**
 * Opens the reject modal at once: Slack lets a trigger open a view for three seconds,
 * so this does not wait behind other work. A deployment no longer waiting is answered instead.
 */
export async function openRejectModal(deps: RejectModalDeps, click: RejectClick): Promise<void> {
  const deployment = await deps.api.getDeployment(click.deploymentId);
  if (deployment === null || offeredAction(deployment, 'reject') === null) {
    const now = deployment === null ? 'gone' : deployment.status;
    await click.answer({ text: `#${click.deploymentId} is ${now} now, so there is nothing to reject.` });
    return;
  }
  try {
    await click.client.views.open({ trigger_id: click.triggerId, view: rejectModal(deployment, click.channel) });
  } catch (error) {
    click.log.warn({ err: error }, 'could not open the reject modal');
    await click.answer({ text: `Hoist could not open the form for a reason; type \`/hoist reject #${deployment.id} <reason>\` instead.` });
  }
}

/** The submitted reason: `response_action: errors` keeps the modal open with the message under the input; success closes it. */
export function registerRejectModal(app: App, deps: RejectModalDeps): void {
  app.view(REJECT_CALLBACK_ID, async ({ ack, view, body }) => {
    const log = deps.logger.child({ view: view.id, user: body.user.id });
    const refuse = (message: string) => ack({ response_action: 'errors', errors: { [REASON]: truncatePlain(message, MAX_ERROR) } });
    const subject = subjectOf(view.private_metadata);
    const reason = view.state.values[REASON]?.[REASON]?.value?.trim() ?? '';
    if (subject === null) {
      log.warn('a reject modal Hoist does not know');
      return refuse('Hoist does not know this form any more; type `/hoist reject #<deployment> <reason>` instead.');
    }
    if (reason === '') return refuse('Say why you reject it: the requester and the record see the reason.');
    const requester: Person = { id: body.user.id, name: body.user.name || body.user.id };
    const answers: ChatAnswer[] = [];
    const talk: Conversation = {
      requester,
      origin: { kind: 'slack', channel: subject.channel, userId: requester.id, reply: null },
      trigger: 'chat',
      prefix: '/hoist ',
      // The same form submitted twice rejects once.
      requestKey: `slack-view:${view.id}`,
      now: deps.now(),
      mention: slackMention,
      answer: async (message) => answers.push(message),
    };
    try {
      await executePlan(deps.api, { kind: 'operate', command: { verb: 'reject', id: subject.deploymentId, reason } }, talk);
    } catch (error) {
      log.error({ err: error }, 'rejection failed');
      return refuse('Hoist could not record the rejection because of an internal error; try again in a moment.');
    }
    const refused = answers.find((a) => a.rejected);
    if (refused !== undefined) return refuse(refused.plain ?? refused.text);
    log.info({ deploymentId: subject.deploymentId }, 'deployment rejected');
    return ack();
  });
}
