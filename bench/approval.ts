/**
 * `--scenarios approval`: from the last needed Approve to the deployment starting, one
 * deployment at a time in an environment with `approval: { required: 1, approvers: [U0APPROVER] }`,
 * no-op target (test/fakes/noop-target.ts), one `start`-mode process with the Slack edge.
 * Measured in turn, so that the machine's load drifts over all three alike:
 *   - the Approve button on the card, clicked: a signed `block_actions` into /slack/events;
 *   - the service's `approve` called directly (what the Slack edge adds is the difference);
 *   - the baseline: a request in an environment without approval → its start.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { FakeMessage, FakeSlack } from '../test/fakes/slack-api.ts';
import { startFakeSlack } from '../test/fakes/slack-api.ts';
import { blockActionBody, signSlackRequest } from '../test/fakes/slack-sign.ts';
import { createNoopTarget, type NoopTarget } from '../test/fakes/noop-target.ts';
import type { Actor, RequestOptions } from '../src/service/contract.ts';
import { epochMs } from './open-loop.ts';
import { startScenarioHoist, type ScenarioHoist } from './orchestration-hoist.ts';
import type { Result } from './result.ts';
import { summarize } from './stats.ts';

const TOKEN = 'xoxb-bench-approval';
const SECRET = 'bench-approval-secret';
/**
 * Each deployment is requested in a channel of its own: Hoist paces its posts to a channel at
 * Slack's rate (about one a second), and a deployment's card, thread lines and answers in one
 * shared channel would make every round wait for the ones before it.
 */
const channelOf = (n: number) => `C0APV${String(n).padStart(5, '0')}`;
const APPROVER = 'U0APPROVER';
const REQUESTER = 'U0BENCH';
const GUARDED = 'guarded';
const OPEN = 'open';
const WARMUP_ROUNDS = 3;
/**
 * The Slack edge takes three acknowledgements within a second for a burst and then starts
 * their work only after a quiet spell (src/bot/slack/work-queue.ts, 250 ms): clicks a second
 * apart are each a click on its own, as one person's approvals of one deployment at a time are.
 */
const CLICK_SPACING_MS = 1_000;
/** Longer than any wait a healthy run sees: past it the scenario fails and says which step. */
const STEP_TIMEOUT_MS = 30_000;

const fromSlack = (channel: string): RequestOptions => ({
  requester: { id: REQUESTER, name: 'bench' },
  origin: { kind: 'slack', channel, userId: REQUESTER, reply: null },
  trigger: 'chat',
});
const approver = (channel: string): Actor => ({ requester: { id: APPROVER, name: 'approver' }, origin: { kind: 'slack', channel, userId: APPROVER, reply: null } });

interface Button {
  action_id: string;
  value: string;
  text: { text: string };
}

/** The Approve button of deployment `id`'s card, once the card offers it. */
function approveButtonOf(slack: FakeSlack, id: number, channel: string): { card: FakeMessage; button: Button } | null {
  const card = slack.messages.find((m) => m.channel === channel && m.threadTs === null && m.text.includes(`· #${id}:`));
  const buttons = ((card?.blocks ?? []) as { type: string; elements?: Button[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
  const button = buttons.find((b) => b.text.text === 'Approve');
  return card && button ? { card, button } : null;
}

async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`approval bench: ${what} did not happen within ${STEP_TIMEOUT_MS / 1000} s`)), STEP_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Rig {
  h: ScenarioHoist;
  slack: FakeSlack;
  noop: NoopTarget;
  eventsUrl: string;
  /** When the last click was sent (performance.now()). */
  lastClickAt: number;
  /** Channels used so far (each request gets the next). */
  channels: number;
}

/** The channel for the next request. */
const nextChannel = (rig: Rig): string => channelOf((rig.channels += 1));

/**
 * Milliseconds from `act` being called to the held rollout of deployment `id` in `env`
 * starting (the no-op target's clock), once that deployment is final.
 */
async function toStart(rig: Rig, env: string, act: () => Promise<number>): Promise<number> {
  const hold = rig.noop.holdNext(env);
  const t0 = epochMs();
  const id = await act();
  const started = await within(hold.started, `the start of #${id}`);
  hold.release();
  if (started !== id) throw new Error(`approval bench: #${started} started where #${id} was expected`);
  if (!(await rig.h.drained(STEP_TIMEOUT_MS, 10))) throw new Error(`approval bench: #${id} did not finish`);
  const record = rig.noop.rollouts.find((r) => r.deploymentId === id);
  if (!record) throw new Error(`approval bench: the target has no rollout of #${id}`);
  return record.startedAt - t0;
}

/** A deployment requested from Slack in the guarded environment, its card showing Approve. */
async function awaitingApproval(rig: Rig): Promise<{ id: number; channel: string; card: FakeMessage; button: Button }> {
  const channel = nextChannel(rig);
  const id = await rig.h.request(GUARDED, fromSlack(channel));
  return { id, channel, ...(await within(rig.slack.waitFor((s) => approveButtonOf(s, id, channel), STEP_TIMEOUT_MS), `the card of #${id} with Approve`)) };
}

async function clickRound(rig: Rig): Promise<number> {
  const { id, channel, card, button } = await awaitingApproval(rig);
  const answerId = `approve-${id}`;
  const body = blockActionBody({
    userId: APPROVER,
    channelId: channel,
    messageTs: card.ts,
    actionId: button.action_id,
    value: button.value,
    responseUrl: rig.slack.responseUrl(answerId, { channel, userId: APPROVER }),
  });
  // Slack signs before it sends: not Hoist's time.
  const headers = { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(body, SECRET) };
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, rig.lastClickAt + CLICK_SPACING_MS - performance.now())));
  rig.lastClickAt = performance.now();
  const ms = await toStart(rig, GUARDED, async () => {
    const response = await fetch(rig.eventsUrl, { method: 'POST', headers, body });
    if (response.status !== 200) throw new Error(`approval bench: the click on #${id} was answered HTTP ${response.status}`);
    return id;
  });
  const answer = await within(rig.slack.waitFor((s) => s.responses.find((r) => r.id === answerId), STEP_TIMEOUT_MS), `the answer to the click on #${id}`);
  if (!String(answer.body.text).includes('every rule holds')) throw new Error(`approval bench: the click on #${id} was answered "${String(answer.body.text)}"`);
  return ms;
}

async function serviceRound(rig: Rig): Promise<number> {
  const { id, channel } = await awaitingApproval(rig);
  return toStart(rig, GUARDED, async () => {
    const vote = await rig.h.hoist.api.approve(id, approver(channel));
    if (!vote.ok || vote.outcome !== 'approved') throw new Error(`approval bench: approving #${id}: ${vote.ok ? vote.outcome : vote.reason}`);
    return id;
  });
}

const baselineRound = (rig: Rig): Promise<number> => toStart(rig, OPEN, () => rig.h.request(OPEN, fromSlack(nextChannel(rig))));

export async function runApprovalBench(
  options: { deployments: number; concurrency: number; logFile: string; logLevel: string },
  say: (line: string) => void,
): Promise<{ results: Result[]; lines: string[] }> {
  const slack = await startFakeSlack({ token: TOKEN, rateLimitPerChannelPerSecond: 0 });
  const noop = createNoopTarget();
  try {
    const h = await startScenarioHoist({
      app: `apv${randomUUID().slice(0, 6)}`,
      envs: [GUARDED, OPEN],
      envSettings: { [GUARDED]: `approval: { required: 1, approvers: [${APPROVER}] }` },
      mode: 'start',
      concurrency: options.concurrency,
      // One tag per deployment: every one deploys another version than the one before.
      versions: options.deployments + WARMUP_ROUNDS,
      targetFor: () => noop.target,
      slack: { apiUrl: slack.url, token: TOKEN, signingSecret: SECRET },
      logFile: options.logFile,
      logLevel: options.logLevel,
    });
    try {
      const rig: Rig = { h, slack, noop, eventsUrl: `http://127.0.0.1:${h.hoist.port}/slack/events`, lastClickAt: -Infinity, channels: 0 };
      say(`… approval: ${WARMUP_ROUNDS} warm-up rounds, then ${options.deployments} deployments approved by a click, ${options.deployments} by the service, ${options.deployments} without approval`);
      const samples = { click: [] as number[], service: [] as number[], baseline: [] as number[] };
      const loadavg = Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
      for (let round = -WARMUP_ROUNDS; round < options.deployments; round += 1) {
        const click = await clickRound(rig);
        const service = await serviceRound(rig);
        const baseline = await baselineRound(rig);
        if (round < 0) continue;
        samples.click.push(click);
        samples.service.push(service);
        samples.baseline.push(baseline);
      }
      const load = `${options.deployments} deployments one at a time, each measured in turn with the other two kinds; no-op target; one process (start mode) with the Slack edge; loadavg 1m ${loadavg} at start`;
      const clock = 'from the bench sending (or calling) to the no-op target’s rollout start (epoch ms, same machine clock)';
      const results: Result[] = [
        {
          id: 'approval-click-hoist',
          scenario: 'Approve click → start (Hoist)',
          app: 'hoist',
          measure: 'start',
          load: `${load}; the last needed vote is a signed block_actions click on the card's Approve into /slack/events, clicks at least ${CLICK_SPACING_MS} ms apart`,
          ...summarize(samples.click, 0),
          notes: { approval: `required 1 of [${APPROVER}]`, clock },
        },
        {
          id: 'approval-service-hoist',
          scenario: 'service approve → start (Hoist)',
          app: 'hoist',
          measure: 'start',
          load: `${load}; the last needed vote is HoistService.approve called in the process`,
          ...summarize(samples.service, 0),
          notes: { clock },
        },
        {
          id: 'approval-baseline-request-hoist',
          scenario: 'request → start, no approval (baseline)',
          app: 'hoist',
          measure: 'start',
          load: `${load}; HoistService.request in an environment without approval (includes the tag's manifest lookup in the local registry)`,
          ...summarize(samples.baseline, 0),
          notes: { clock },
        },
      ];
      const [click, service, baseline] = results as [Result, Result, Result];
      const figure = (r: Result) => `p50 ${String(r.p50Ms)} / p99 ${String(r.p99Ms)} / max ${String(r.maxMs)} ms`;
      return {
        results,
        lines: [
          `Approval → start (${options.deployments} each, one at a time): Approve click ${figure(click)}; service approve ${figure(service)}; ` +
            `beside request → start without approval ${figure(baseline)}`,
        ],
      };
    } finally {
      await h.stop();
    }
  } finally {
    await slack.close();
  }
}
