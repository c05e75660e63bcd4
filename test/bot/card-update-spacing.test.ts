import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CARD_UPDATE_SPACING_MS, createSlackChat } from '../../src/bot/slack/slack-chat.ts';
import type { Deployment } from '../../src/domain/deployment.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { deployment } from './render-fixtures.ts';

const TOKEN = 'xoxb-spacing';
const logger = pino({ level: 'silent' });
const at = new Date('2026-03-01T10:01:00Z');
const card = (overrides: Partial<Deployment> = {}) =>
  deployment({ id: 9, status: 'QUEUED', startedAt: null, finishedAt: null, chat: { kind: 'slack', channel: 'C1', userId: 'U0ALICE', reply: null }, ...overrides });

/** A clock and timers the test moves by hand. */
function manualClock() {
  let now = 0;
  const timers: { due: number; fn: () => void; off: boolean }[] = [];
  return {
    now: () => now,
    setTimer: (fn: () => void, ms: number) => {
      const timer = { due: now + ms, fn, off: false };
      timers.push(timer);
      return () => {
        timer.off = true;
      };
    },
    advance(ms: number) {
      now += ms;
      for (const timer of timers.filter((t) => !t.off && t.due <= now)) {
        timer.off = true;
        timer.fn();
      }
    },
  };
}

describe('edits of a Slack card', () => {
  let slack: FakeSlack | undefined;
  afterEach(async () => {
    await slack?.close();
    slack = undefined;
  });

  it('keep a waiting card to one edit every 3 s, the latest, and skip one that shows nothing new', async () => {
    slack = await startFakeSlack({ token: TOKEN });
    const clock = manualClock();
    const chat = createSlackChat({ token: TOKEN, apiUrl: slack.url, logger, now: clock.now, setTimer: clock.setTimer });
    const ref = await chat.postCard(card(), { now: at, queuePosition: 9, repoUrl: null });
    const edits = () => slack!.calls.filter((c) => c.method === 'chat.update');
    const moved = (position: number) => chat.updateCard(ref, card(), { now: at, queuePosition: position, repoUrl: null });

    await moved(8);
    expect(edits()).toHaveLength(1);
    const waiting = [7, 6, 5, 4].map(moved);
    await slack.waitFor(() => true);
    expect(edits()).toHaveLength(1);
    clock.advance(CARD_UPDATE_SPACING_MS - 1);
    expect(edits()).toHaveLength(1);
    clock.advance(1);
    await Promise.all(waiting);
    expect(edits()).toHaveLength(2);
    expect(slack.messages[0]!.text + JSON.stringify(slack.messages[0]!.blocks)).toContain('position 4');

    // The same card again, spacing passed: nothing to send.
    clock.advance(CARD_UPDATE_SPACING_MS);
    await moved(4);
    expect(edits()).toHaveLength(2);
  });

  it('shows a new status at once, a final one above all, even with an edit waiting', async () => {
    slack = await startFakeSlack({ token: TOKEN });
    const clock = manualClock();
    const chat = createSlackChat({ token: TOKEN, apiUrl: slack.url, logger, now: clock.now, setTimer: clock.setTimer });
    const ref = await chat.postCard(card(), { now: at, queuePosition: 3, repoUrl: null });
    await chat.updateCard(ref, card(), { now: at, queuePosition: 2, repoUrl: null });
    const spaced = chat.updateCard(ref, card(), { now: at, queuePosition: 1, repoUrl: null });
    await chat.updateCard(ref, card({ status: 'DEPLOYED', startedAt: at, finishedAt: at }), { now: at, queuePosition: null, repoUrl: null });
    await spaced;
    const edits = slack.calls.filter((c) => c.method === 'chat.update');
    expect(edits).toHaveLength(2);
    expect(slack.messages[0]!.text).toContain('DEPLOYED');
    await chat.idle();
  });
});
