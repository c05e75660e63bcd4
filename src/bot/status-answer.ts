import type { HoistService } from '../service/contract.ts';
import { refusalText } from './answers.ts';
import type { ChatAnswer } from './conversation.ts';
import { renderEnvironments, renderEnvironmentsText } from './render/environments.ts';

/** The answer to `status [app] [in env]`, for any chat: mrkdwn and blocks, and `plain` for a terminal. */
export async function statusAnswer(
  api: HoistService,
  query: { app: string | null; env: string | null },
  chat: { prefix: string; now: Date; repoUrlOf?: (app: string) => string | null; mention?: (userId: string) => string },
): Promise<ChatAnswer> {
  const result = await api.environments(query.app, query.env);
  if (!Array.isArray(result)) {
    const text = refusalText(result, 'status', { app: query.app, env: query.env, services: null }, api.catalog(), chat.prefix);
    return { text, plain: text, rejected: true };
  }
  const context = {
    now: chat.now,
    ...(chat.repoUrlOf === undefined ? {} : { repoUrlOf: chat.repoUrlOf }),
    ...(chat.mention === undefined ? {} : { mention: chat.mention }),
  };
  const rendered = renderEnvironments(result, context);
  return { text: rendered.text, blocks: rendered.blocks, plain: renderEnvironmentsText(result, context), rejected: false };
}
