import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatAnswer, Conversation } from '../../src/bot/conversation.ts';
import { executePlan } from '../../src/bot/execute-plan.ts';
import { parseCommand } from '../../src/bot/grammar.ts';
import { interpret } from '../../src/bot/interpret.ts';
import type { Actor } from '../../src/service/contract.ts';
import { alice, bob, carol, openServiceFixture, type ServiceFixture } from '../service/service-fixture.ts';

describe('/hoist approve and /hoist reject, typed in a chat, against the real service', () => {
  let f: ServiceFixture;

  beforeAll(async () => {
    f = await openServiceFixture({
      environments: { production: '{ target: engine, approval: { required: 1, approvers: [U0BOB, "@sre"] } }' },
      groups: { U0CAROL: ['sre'] },
    });
  });
  afterAll(async () => {
    await f?.close();
  });

  /** Types `text` in Slack as `who` and returns what Hoist answered them. */
  async function say(who: Actor, text: string): Promise<ChatAnswer> {
    const answers: ChatAnswer[] = [];
    const talk: Conversation = {
      ...who,
      trigger: 'chat',
      prefix: '/hoist ',
      now: new Date(),
      mention: (id) => `<@${id}>`,
      answer: async (message) => answers.push(message),
    };
    await executePlan(f.service, interpret(text, { api: f.service, origin: who.origin, prefix: '/hoist ' }), talk);
    if (answers.length !== 1) throw new Error(`expected one answer to \`${text}\`, got ${answers.length}`);
    return answers[0]!;
  }

  let asked = 0;
  /** A deploy of another version each time: identical requests waiting at once would be one deployment. */
  async function requested(): Promise<number> {
    const answer = await say(alice, `/hoist deploy shop/api@${f.versions[asked++]} to production`);
    const id = Number(/#(\d+)/.exec(answer.plain ?? '')?.[1]);
    expect(answer.plain).toBe(
      `#${id} (deploy shop to production) waits for approval: U0BOB, @sre 0 of 1. Approvers (not you: someone else must approve what you asked for) approve with the card's Approve button or \`/hoist approve #${id}\`.`,
    );
    return id;
  }

  it('the requester is told the deploy waits; they may not approve it; an approver does, and it joins the queue', async () => {
    const id = await requested();
    expect(await say(alice, `/hoist approve #${id}`)).toMatchObject({
      rejected: true,
      plain: `you may not approve or reject #${id}: you requested it, and someone else must approve it: 1 of U0BOB, @sre.`,
    });
    expect(await say(carol, `/hoist approve #${id}`)).toMatchObject({
      rejected: false,
      plain: `You approved #${id} (deploy shop to production): every rule holds (U0BOB, @sre 1 of 1: ✓ @carol), and it joins the queue of shop in production.`,
    });
    expect(await say(carol, `/hoist approve ${id}`)).toMatchObject({ rejected: false, plain: expect.stringContaining('already; a vote counts once') });
    expect(await say(bob, `/hoist approve #${id}`)).toMatchObject({ rejected: true, plain: expect.stringContaining(`#${id} does not wait for approval: it is QUEUED (approved by @carol)`) });
    expect((await f.service.getDeployment(id))?.status).toBe('QUEUED');
  });

  it('a rejection takes the rest of the line as its reason, and the deployment ends REJECTED', async () => {
    const id = await requested();
    const answer = await say(bob, `/hoist reject #${id} breaks the "checkout" flow`);
    expect(answer).toMatchObject({
      rejected: false,
      plain: `You rejected #${id} (deploy shop to production) (rejected by @bob: breaks the checkout flow); nothing runs, and its requester is told in the thread.`,
    });
    expect(await f.service.getDeployment(id)).toMatchObject({ status: 'REJECTED', reason: 'rejected by @bob: breaks the checkout flow' });
  });

  it('someone no rule names is told who may approve', async () => {
    const id = await requested();
    const answer = await say({ ...alice, requester: { id: 'U0DAVE', name: 'dave' } }, `/hoist approve #${id}`);
    expect(answer.plain).toBe(`you may not approve or reject #${id}: only approvers may approve it: 1 of U0BOB, @sre.`);
  });

  it.each([
    ['reject #12', 'a rejection needs a reason, for the requester and the record: `reject #12 <reason>`'],
    ['approve', 'expected `#<deployment>` after `approve`, such as `approve #1042`'],
    ['approve #12 now', 'unexpected `now` after `#12`'],
    ['approve shop', '`shop` is not a deployment number: expected `#` and a positive integer, such as `#1042`'],
  ])('`%s` is refused by the grammar', (text, reason) => {
    expect(parseCommand(text)).toMatchObject({ ok: false, reason });
  });

  it('reads the verbs, with the reason after --reason too', () => {
    expect(parseCommand('/hoist approve #12')).toEqual({ ok: true, command: { verb: 'approve', id: 12 } });
    expect(parseCommand('reject #12 --reason "not during the sale"')).toEqual({ ok: true, command: { verb: 'reject', id: 12, reason: 'not during the sale' } });
  });
});
