import { startOutboxHoist } from '../test/support/slack-outbox-hoist.ts';
import type { Result } from './result.ts';
import { summarize } from './stats.ts';

/**
 * Deployments finishing together in one Slack channel whose limit is far below what Hoist is
 * let post (its pace set high, so Slack answers 429 to most posts): how long each final status
 * takes to reach the thread, and that none is posted twice or lost.
 */
export async function runOutbox429Bench(options: { deployments: number }, say: (line: string) => void): Promise<{ results: Result[]; lines: string[] }> {
  const envs = Array.from({ length: options.deployments }, (_, i) => `storm-${i}`);
  const load = `${options.deployments} deployments ending at once in one channel; Slack allows 2 posts/s (burst 2), Hoist paced at 1000/s`;
  const h = await startOutboxHoist({ envs, rate: 2, burst: 2, postsPerSecond: 1000 });
  const samples: number[] = [];
  let missing = 0;
  let twice = 0;
  try {
    say(`outbox-429: ${load}`);
    const ids = await Promise.all(envs.map((env) => h.deploy(env)));
    const finalReply = (id: number) => {
      const card = h.cards().find((c) => c.metadata?.event_payload.deployment_id === id);
      // The deployment's own final line (`#12 DEPLOYED …`), not its services' (`box → DEPLOYED`).
      return card === undefined ? [] : h.replies(card).filter((r) => r.text.startsWith(`#${id} DEPLOYED`));
    };
    await h.slack.waitFor(() => ids.every((id) => finalReply(id).length > 0) || null, 10 * 60_000).catch(() => null);
    // Within one thread: every deployment's thread has lines of the same text as the others' (`box → DEPLOYED`).
    const repeats = h.cards().some((c) => {
      const texts = h.replies(c).map((r) => r.text);
      return new Set(texts).size !== texts.length;
    });
    if (repeats) say('outbox-429: a thread holds the same line twice');
    for (const id of ids) {
      const finals = finalReply(id);
      const deployment = await h.hoist.api.getDeployment(id);
      if (finals.length > 1) twice += 1;
      if (finals.length === 0 || deployment?.finishedAt == null) missing += 1;
      else samples.push(finals[0]!.postedAt.getTime() - new Date(deployment.finishedAt).getTime());
    }
  } finally {
    await h.stop();
  }
  const limited = h.slack.calls.filter((c) => c.status === 429).length;
  const posts = h.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.status === 200).length;
  const result: Result = {
    id: 'outbox-429',
    scenario: 'outbox delivery lag under a 429 storm: deployment final → its final status in the thread',
    app: 'hoist',
    measure: 'deliver',
    load,
    ...summarize(samples, missing),
    notes: { answered429: limited, posted: posts, postedTwice: twice },
  };
  return {
    results: [result],
    lines: [`Outbox under 429s: final → thread p50 ${String(result.p50Ms)} ms / max ${String(result.maxMs)} ms; ${limited} answers 429, ${posts} posts, ${twice} final statuses posted twice, ${missing} missing`],
  };
}
