import type { RunningChange } from '../../domain/event-log.ts';
import { runningPhrase } from '../../domain/running-status.ts';
import type { Message } from './blocks.ts';
import { escapeMrkdwn } from './format.ts';
import { message, section } from './limits.ts';

export interface RenderedRunning extends Message {
  plain: string;
}

/**
 * A service that fell after a successful deployment, or that runs again: `shop/api in
 * production is DOWN 0/2, 14 restarts (CrashLoopBackOff (pod api-7d…))`.
 */
export function renderRunningChange(where: { app: string; env: string }, change: RunningChange): RenderedRunning {
  const { running } = change;
  const name = `${where.app}/${change.service} in ${where.env}`;
  const reason = running.reason === null ? '' : ` (${running.reason})`;
  if (change.announce === 'down') {
    const plain = `${name} is ${runningPhrase(running)}${reason}: it was deployed and running.`;
    const text = `:red_circle: *${escapeMrkdwn(name)}* is *${runningPhrase(running)}*${escapeMrkdwn(reason)}: it was deployed and running.`;
    return { ...message(text, [section(text)]), plain };
  }
  const plain = `${name} is ${runningPhrase(running)} again.`;
  const text = `:large_green_circle: *${escapeMrkdwn(name)}* is *${runningPhrase(running)}* again.`;
  return { ...message(text, [section(text)]), plain };
}
