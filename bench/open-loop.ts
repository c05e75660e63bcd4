import { Agent, request } from 'undici';
import { signSlackRequest, slashCommandBody } from '../test/fakes/slack-sign.ts';

/** One slash command of a load run; each has its own channel so their cards can be told apart. */
export interface CommandSpec {
  /** The command's text: each its own, since identical requests waiting at once coalesce into one deployment. */
  text: string;
  channel: string;
  responseUrl: string;
  triggerId: string;
}

export interface LoadPlan {
  /** `…/slack/events` of the app under test. */
  url: string;
  signingSecret: string;
  command: string;
  userId: string;
  ratePerSecond: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Keep-alive sockets the client may open to the app. */
  connections: number;
  /** One per request, in schedule order: (warmup + duration) × rate of them. */
  commands: CommandSpec[];
}

export interface Sample {
  index: number;
  warmup: boolean;
  channel: string;
  /** Epoch milliseconds (sub-millisecond precision) at which the request was due. */
  scheduledAt: number;
  /** How late the request actually left (the generator's own lag). */
  sendLagMs: number;
  /** From the scheduled time to the end of the response body. */
  latencyMs: number;
  status: number | null;
  error: string | null;
}

/** Wall-clock milliseconds comparable across processes, finer than Date.now(). */
export const epochMs = (): number => performance.timeOrigin + performance.now();

export function requestCount(plan: Schedule): number {
  return Math.round((plan.warmupSeconds + plan.durationSeconds) * plan.ratePerSecond);
}

/** What one request of an open loop came back with. */
export interface Outcome {
  status: number | null;
  error: string | null;
}

export interface Schedule {
  ratePerSecond: number;
  warmupSeconds: number;
  durationSeconds: number;
}

/**
 * Open loop: request i is due at start + i / rate whatever happened to the
 * earlier ones, and its latency counts from that due time, so a stall in the
 * app shows up in every request it delayed (no coordinated omission).
 */
export async function openLoop(schedule: Schedule, send: (index: number) => Promise<Outcome>, label: (index: number) => string = () => ''): Promise<Sample[]> {
  const total = requestCount(schedule);
  const warmupCount = Math.round(schedule.warmupSeconds * schedule.ratePerSecond);
  const interval = 1000 / schedule.ratePerSecond;
  const samples: Sample[] = [];
  const inFlight = new Set<Promise<void>>();

  const fire = async (index: number, scheduledAt: number): Promise<void> => {
    const sentAt = epochMs();
    let outcome: Outcome;
    try {
      outcome = await send(index);
    } catch (cause) {
      outcome = { status: null, error: cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause) };
    }
    samples.push({
      index,
      warmup: index < warmupCount,
      channel: label(index),
      scheduledAt,
      sendLagMs: sentAt - scheduledAt,
      latencyMs: epochMs() - scheduledAt,
      ...outcome,
    });
  };

  const start = epochMs() + 20;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = epochMs();
      while (next < total && start + next * interval <= now) {
        const job = fire(next, start + next * interval);
        inFlight.add(job);
        void job.finally(() => inFlight.delete(job));
        next += 1;
      }
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, start + next * interval - epochMs()));
    };
    tick();
  });
  await Promise.all([...inFlight]);
  return samples.sort((a, b) => a.index - b.index);
}

/** The signed slash commands of a LoadPlan, sent open loop. */
export async function runOpenLoop(plan: LoadPlan): Promise<Sample[]> {
  const total = requestCount(plan);
  if (plan.commands.length < total) throw new Error(`the plan needs ${total} commands, it has ${plan.commands.length}`);
  const agent = new Agent({ connections: plan.connections, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 10_000, bodyTimeout: 10_000 });
  try {
    return await openLoop(
      plan,
      async (index) => {
        const spec = plan.commands[index]!;
        const body = slashCommandBody({
          command: plan.command,
          text: spec.text,
          userId: plan.userId,
          channelId: spec.channel,
          responseUrl: spec.responseUrl,
          triggerId: spec.triggerId,
        });
        const headers = { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(body, plan.signingSecret) };
        const res = await request(plan.url, { method: 'POST', headers, body, dispatcher: agent });
        await res.body.text();
        return { status: res.statusCode, error: res.statusCode === 200 ? null : `HTTP ${res.statusCode}` };
      },
      (index) => plan.commands[index]!.channel,
    );
  } finally {
    await agent.close();
  }
}
