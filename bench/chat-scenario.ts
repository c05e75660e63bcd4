/** The chat scenario's parts: acknowledgements under an open-loop load and one at a time, and command → card. */
import { Agent, request } from 'undici';
import type { FakeSlack } from '../test/fakes/slack-api.ts';
import { signSlackRequest, slashCommandBody } from '../test/fakes/slack-sign.ts';
import { CARD_ENV, deployText } from './bench-hoist.ts';
import { loadLabel, SECRET, settings, slackLabel, USER } from './bench-settings.ts';
import { epochMs, type CommandSpec, type LoadPlan, type Sample } from './open-loop.ts';
import type { Result } from './result.ts';
import { summarize } from './stats.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Top-level messages of the fake Slack, by channel, as they arrive (the array only grows). */
function cardWatcher(slack: FakeSlack) {
  const firstPost = new Map<string, { at: number; id: number | null }>();
  let scanned = 0;
  return {
    refresh(): Map<string, { at: number; id: number | null }> {
      for (; scanned < slack.messages.length; scanned += 1) {
        const m = slack.messages[scanned]!;
        if (m.threadTs !== null || m.via !== 'api' || firstPost.has(m.channel)) continue;
        const id = /#(\d+)/.exec(m.text)?.[1];
        firstPost.set(m.channel, { at: m.postedAt.getTime(), id: id === undefined ? null : Number(id) });
      }
      return firstPost;
    },
  };
}

/** A command per text, each in a channel of its own. */
export function commandsFor(slack: FakeSlack, prefix: string, texts: readonly string[]): CommandSpec[] {
  return texts.map((text, i) => {
    const channel = `C${prefix}${String(i).padStart(5, '0')}`;
    return {
      text,
      channel,
      responseUrl: slack.responseUrl(`${prefix}-${i}`, { channel, userId: USER }),
      triggerId: `${Date.now()}.${prefix}.${i}`,
    };
  });
}

export function plan(url: string, commands: CommandSpec[]): LoadPlan {
  return {
    url,
    signingSecret: SECRET,
    command: '/hoist',
    userId: USER,
    ratePerSecond: settings.ratePerSecond,
    warmupSeconds: settings.warmupSeconds,
    durationSeconds: settings.durationSeconds,
    connections: settings.connections,
    commands,
  };
}

export function ackResult(id: string, scenario: string, app: Result['app'], samples: Sample[]): Result {
  const measured = samples.filter((s) => !s.warmup);
  const ok = measured.filter((s) => s.error === null);
  const errors = measured.filter((s) => s.error !== null);
  const errorKinds: Record<string, number> = {};
  for (const s of errors) errorKinds[s.error!] = (errorKinds[s.error!] ?? 0) + 1;
  const lags = measured.map((s) => s.sendLagMs).sort((a, b) => a - b);
  return {
    id,
    scenario,
    app,
    measure: 'ack',
    load: loadLabel,
    ...summarize(
      ok.map((s) => s.latencyMs),
      errors.length,
    ),
    notes: {
      over3s: measured.filter((s) => s.latencyMs > 3_000).length,
      generatorSendLagMaxMs: Math.round((lags.at(-1) ?? 0) * 100) / 100,
      ...(errors.length > 0 ? { errorKinds } : {}),
    },
  };
}

/** Waits until every acknowledged command of the load has its card (or was answered with a refusal). */
export async function cardsOfLoad(slack: FakeSlack, samples: Sample[], prefix: string): Promise<Result> {
  const watcher = cardWatcher(slack);
  const acked = samples.filter((s) => s.error === null);
  const refusedChannels = (): Set<string> =>
    new Set(slack.responses.filter((r) => r.id.startsWith(`${prefix}-`)).map((r) => `C${prefix}${r.id.slice(prefix.length + 1).padStart(5, '0')}`));
  const loadEnd = Math.max(...samples.map((s) => s.scheduledAt));
  const deadline = Date.now() + settings.drainTimeoutSeconds * 1000;
  let cards = watcher.refresh();
  let refused = refusedChannels();
  while (acked.some((s) => !cards.has(s.channel) && !refused.has(s.channel)) && Date.now() < deadline) {
    await sleep(100);
    cards = watcher.refresh();
    refused = refusedChannels();
  }
  const measured = acked.filter((s) => !s.warmup);
  const latencies: number[] = [];
  let missing = 0;
  let refusals = 0;
  for (const s of measured) {
    const card = cards.get(s.channel);
    if (card) latencies.push(card.at - s.scheduledAt);
    else if (refused.has(s.channel)) refusals += 1;
    else missing += 1;
  }
  const lastCard = Math.max(...acked.map((s) => cards.get(s.channel)?.at ?? 0));
  const firstDue = Math.min(...samples.map((s) => s.scheduledAt));
  const posted = acked.filter((s) => cards.has(s.channel)).length;
  const unacked = samples.filter((s) => !s.warmup && s.error !== null).length;
  return {
    id: 'card-under-load-hoist',
    scenario: 'command → card, during the load (Hoist)',
    app: 'hoist',
    measure: 'card',
    load: `${loadLabel}; fake Slack rate limit ${slackLabel}`,
    ...summarize(latencies, missing + refusals + unacked),
    notes: {
      lastCardAfterLoadEndMs: lastCard > 0 ? Math.round(lastCard - loadEnd) : null,
      // Commands taken from the first request's due time to the last card: what the request path sustains.
      cardsPerSecond: lastCard > 0 ? Math.round((posted / ((lastCard - firstDue) / 1000)) * 10) / 10 : null,
      cardsStillMissingAfterDrainTimeout: missing,
      refusedViaResponseUrl: refusals,
      notAcknowledged: unacked,
      clock: 'card time is when the fake Slack recorded chat.postMessage (1 ms resolution)',
    },
  };
}

/** N commands, one at a time with a gap, each deploying the next of `versions` (N + 1 of them): ack latency and command → card latency. */
export async function oneAtATime(slack: FakeSlack, url: string, versions: readonly string[], count: number, prefix: string): Promise<{ ack: Result; card: Result }> {
  if (versions.length < count + 1) throw new Error(`${count} commands and a warm-up need ${count + 1} versions, there are ${versions.length}`);
  const agent = new Agent({ connections: 1, keepAliveTimeout: 30_000 });
  const acks: number[] = [];
  const cards: number[] = [];
  let ackErrors = 0;
  let cardErrors = 0;
  try {
    for (let i = 0; i < count + 1; i += 1) {
      const warmup = i === 0; // the first one also clones the repository's mirror
      const channel = `C${prefix}${String(i).padStart(5, '0')}`;
      let cardAt = 0;
      const card = slack
        .waitFor((s) => {
          for (let k = s.messages.length - 1; k >= 0; k -= 1) {
            const m = s.messages[k]!;
            if (m.channel === channel && m.threadTs === null && m.via === 'api' && /#\d+/.test(m.text)) {
              cardAt = epochMs();
              return m;
            }
          }
          return null;
        }, 10_000)
        .then(
          () => true,
          () => false,
        );
      const body = slashCommandBody({
        command: '/hoist',
        text: deployText(CARD_ENV, versions[i]!),
        userId: USER,
        channelId: channel,
        responseUrl: slack.responseUrl(`${prefix}-${i}`, { channel, userId: USER }),
        triggerId: `${Date.now()}.${prefix}.${i}`,
      });
      const headers = { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(body, SECRET) };
      const sentAt = epochMs();
      let acked = false;
      try {
        const res = await request(url, { method: 'POST', headers, body, dispatcher: agent });
        await res.body.text();
        acked = res.statusCode === 200;
      } catch {
        acked = false;
      }
      const ackMs = epochMs() - sentAt;
      const gotCard = await card;
      if (!warmup) {
        if (acked) acks.push(ackMs);
        else ackErrors += 1;
        if (gotCard) cards.push(cardAt - sentAt);
        else cardErrors += 1;
      }
      await sleep(settings.cardGapMs);
    }
  } finally {
    await agent.close();
  }
  const load = `${count} commands one at a time, ${settings.cardGapMs} ms apart`;
  return {
    ack: { id: 'ack-sequential-hoist', scenario: 'ack, one at a time (Hoist)', app: 'hoist', measure: 'ack', load, ...summarize(acks, ackErrors) },
    card: {
      id: 'card-sequential-hoist',
      scenario: 'command → card, one at a time (Hoist)',
      app: 'hoist',
      measure: 'card',
      load: `${load}; fake Slack rate limit ${slackLabel}`,
      ...summarize(cards, cardErrors),
    },
  };
}
