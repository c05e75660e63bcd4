import type { HoistService } from '../service/contract.ts';
import { refusalSentence } from './answers.ts';
import type { ChatAnswer, Conversation } from './conversation.ts';
import { renderAlreadyUsed } from './render/command-answers.ts';

/** What carrying a request out the first time said, kept for its replays. */
interface FirstAnswer {
  answers: ChatAnswer[];
  /** The deployment it requested (answered by its card, not by an answer). */
  deploymentId: number | null;
}

const STILL_CARRIED_OUT = 'Hoist is still carrying out this request (it arrived again); its answer comes once, when it is done.';

function firstAnswerOf(stored: unknown): FirstAnswer {
  const value = (stored ?? {}) as Partial<FirstAnswer>;
  return { answers: Array.isArray(value.answers) ? value.answers : [], deploymentId: typeof value.deploymentId === 'number' ? value.deploymentId : null };
}

/** A replay does nothing: it gets the first answer again, and a card's control says what it requested. */
async function replay(api: HoistService, talk: Conversation, first: FirstAnswer): Promise<void> {
  for (const answer of first.answers) await talk.answer(answer);
  if (first.deploymentId === null) return;
  const deployment = await api.getDeployment(first.deploymentId);
  if (deployment === null) return;
  talk.requested?.(deployment, true);
  if (talk.control !== undefined && first.answers.length === 0) {
    await talk.answer({ ...renderAlreadyUsed(talk.control, deployment), rejected: false });
  }
}

/**
 * Carries a request out once per identity (`talk.requestKey`: a Slack trigger_id
 * or event_id, a card's control), whatever the verb: the first delivery claims it
 * and its answer is kept; a replay or retry gets that answer again and does
 * nothing else. Without a key, the work is simply done.
 */
export async function carryOutOnce(api: HoistService, talk: Conversation, work: (talk: Conversation) => Promise<void>): Promise<void> {
  const key = talk.requestKey;
  if (key === undefined) return work(talk);
  const claim = await api.claimRequest(key);
  switch (claim.state) {
    case 'answered':
      return replay(api, talk, firstAnswerOf(claim.answer));
    case 'unavailable':
      await talk.answer({ text: refusalSentence(claim.refusal), plain: refusalSentence(claim.refusal), rejected: true });
      return;
    case 'pending':
      await talk.answer({ text: STILL_CARRIED_OUT, plain: STILL_CARRIED_OUT, rejected: false });
      return;
    case 'first':
      break;
  }
  const first: FirstAnswer = { answers: [], deploymentId: null };
  const recording: Conversation = {
    ...talk,
    answer: (message) => {
      first.answers.push(message);
      return talk.answer(message);
    },
    requested: (deployment, duplicate) => {
      first.deploymentId = deployment.id;
      talk.requested?.(deployment, duplicate);
    },
  };
  try {
    await work(recording);
  } catch (error) {
    // Not carried out (an outage): a retry of the same request may try again.
    await api.releaseRequest(key);
    throw error;
  }
  await api.answerRequest(key, first);
}
