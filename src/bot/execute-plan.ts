import type { ActionCommand, HoistService } from '../service/contract.ts';
import { refusalText, subjectOf } from './answers.ts';
import type { Conversation } from './conversation.ts';
import type { Plan } from './interpret.ts';
import { carryOutOperation } from './operations.ts';
import { renderCoalesced } from './render/coalesced.ts';
import { renderAlreadyUsed } from './render/command-answers.ts';
import { carryOutOnce } from './request-once.ts';
import { statusAnswer } from './status-answer.ts';

/** Requests the action; a new deployment is answered by its card, not here. */
async function requestAction(api: HoistService, command: ActionCommand, talk: Conversation): Promise<void> {
  const result = await api.request(command, {
    requester: talk.requester,
    origin: talk.origin,
    trigger: talk.trigger,
    ...(talk.requestKey === undefined ? {} : { requestKey: talk.requestKey }),
  });
  if (!result.ok) {
    const text = refusalText(result, command.verb, subjectOf(command), api.catalog(), talk.prefix);
    await talk.answer({ text, rejected: true });
    return;
  }
  talk.requested?.(result.deployment, result.duplicate);
  if (result.coalesced) {
    const link = (await talk.cardLink?.(result.deployment.id)) ?? null;
    await talk.answer({ ...renderCoalesced(result.deployment, link, talk.mention), rejected: false });
    return;
  }
  if (result.duplicate && talk.control !== undefined) {
    await talk.answer({ ...renderAlreadyUsed(talk.control, result.deployment), rejected: false });
  }
}

/** Carries out what `interpret` planned and answers whoever asked, the same from every chat edge; once per request. */
export function executePlan(api: HoistService, plan: Plan, talk: Conversation): Promise<void> {
  return carryOutOnce(api, talk, (once) => carryOut(api, plan, once));
}

async function carryOut(api: HoistService, plan: Plan, talk: Conversation): Promise<void> {
  switch (plan.kind) {
    case 'answer':
      await talk.answer({ text: plan.text, rejected: plan.rejected });
      return;
    case 'status':
      await talk.answer(await statusAnswer(api, plan, talk));
      return;
    case 'operate':
      await talk.answer(await carryOutOperation(api, plan.command, talk));
      return;
    case 'request':
      await requestAction(api, plan.command, talk);
      return;
  }
}
