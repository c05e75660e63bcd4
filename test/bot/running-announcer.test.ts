import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ChatMessage, ChatPort } from '../../src/bot/chat-port.ts';
import { createRunningAnnouncer, type RunningFeed } from '../../src/bot/running-announcer.ts';
import type { ChatOrigin } from '../../src/domain/deployment.ts';
import type { RunningChange, StoredRunningChange } from '../../src/domain/event-log.ts';

/** A chat that keeps what it is asked to post. */
function recordingChat(): ChatPort & { posted: { where: ChatOrigin; message: ChatMessage }[] } {
  const posted: { where: ChatOrigin; message: ChatMessage }[] = [];
  const unused = () => Promise.reject(new Error('not a notice'));
  return {
    posted,
    mention: (id) => `@${id}`,
    postCard: unused,
    updateCard: unused,
    postReply: unused,
    postNotice: (where, message) => {
      posted.push({ where, message });
      return Promise.resolve();
    },
  };
}

function feedOf(): RunningFeed & { deliver(change: StoredRunningChange): Promise<void> } {
  let handler: Parameters<RunningFeed['subscribe']>[0] | null = null;
  return {
    subscribe(h) {
      handler = h;
      return () => (handler = null);
    },
    deliver: (change) => (handler === null ? Promise.reject(new Error('nobody subscribed')) : handler(change)),
  };
}

const change = (over: Partial<RunningChange>): StoredRunningChange => ({
  id: 7,
  app: 'shop',
  env: 'production',
  createdAt: new Date('2026-12-05T12:00:00Z'),
  change: { kind: 'running', service: 'api', running: { state: 'DOWN', ready: 0, desired: 2, restarts: 14, reason: 'CrashLoopBackOff (pod api-1)' }, previous: 'RUNNING', announce: 'down', channel: 'C0ONCALL', ...over },
});

describe('the running announcer', () => {
  it('tells a fall and a recovery in the channel the change names, in Slack', async () => {
    const slack = recordingChat();
    const shell = recordingChat();
    const feed = feedOf();
    createRunningAnnouncer({ feed, chats: { slack, shell }, logger: pino({ level: 'silent' }) }).start();
    await feed.deliver(change({}));
    await feed.deliver(change({ running: { state: 'RUNNING', ready: 2, desired: 2, restarts: 14, reason: null }, previous: 'DOWN', announce: 'recovered' }));
    expect(slack.posted.map((p) => [p.where, p.message.plain])).toEqual([
      [{ kind: 'slack', channel: 'C0ONCALL', userId: '', reply: null }, 'shop/api in production is DOWN 0/2, 14 restarts (CrashLoopBackOff (pod api-1)): it was deployed and running.'],
      [{ kind: 'slack', channel: 'C0ONCALL', userId: '', reply: null }, 'shop/api in production is RUNNING 2/2, 14 restarts again.'],
    ]);
    expect(shell.posted).toEqual([]);
  });

  it('tells it in the terminal when Hoist runs without Slack, and nowhere when there is no chat', async () => {
    const shell = recordingChat();
    const feed = feedOf();
    createRunningAnnouncer({ feed, chats: { shell }, logger: pino({ level: 'silent' }) }).start();
    await feed.deliver(change({ channel: null }));
    expect(shell.posted.map((p) => p.where)).toEqual([{ kind: 'shell' }]);
    const none = feedOf();
    createRunningAnnouncer({ feed: none, chats: {}, logger: pino({ level: 'silent' }) }).start();
    await expect(none.deliver(change({}))).resolves.toBeUndefined();
  });
});
