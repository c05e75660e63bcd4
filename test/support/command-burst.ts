import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import type { FakeSlack } from '../fakes/slack-api.ts';
import { signSlackRequest, slashCommandBody } from '../fakes/slack-sign.ts';
import { createTestDatabase } from './databases.ts';
import { BASE_IMAGE, DOCKER_HOST, REGISTRY, hoistVars } from './hoist-harness.ts';
import { pushImageTags } from './image-tags.ts';
import { startWorkerProcess, type WorkerProcess } from './worker-process.ts';

/**
 * A burst of distinct signed slash commands against a Hoist that has just been
 * started as its own process (`hoist start`: cold modules, cold connections, no
 * JIT yet), as Slack would send them: each on a connection of its own, each
 * with its own response_url and channel, so every answer can be told apart.
 */

export const BURST_APPS = ['shop', 'blog'] as const;
export const BURST_ENVS = ['dev', 'qa', 'staging', 'demo', 'perf'] as const;

const SECRET = 'burst-signing-secret';
const TOKEN = 'xoxb-burst';

/** The image tags the second round of burstTexts deploys: pushImageTags' names, pushed by startColdHoist. */
const ROUND_TAGS = ['v1', 'v2'] as const;

/**
 * Every kind of command, on one app and environment; `again` in the second round, where the
 * requests that make a deployment name another version or scope than in the first.
 */
const KINDS: ((c: { app: string; env: string; i: number; again: boolean }) => string)[] = [
  ({ app, env, again }) => (again ? `deploy ${app}/box@${ROUND_TAGS[0]} to ${env}` : `deploy ${app} to ${env}`),
  ({ app, env }) => `status ${app} in ${env}`,
  ({ app, env, again }) => (again ? `redeploy ${app}/box in ${env}` : `redeploy ${app} in ${env}`),
  ({ app, env, i }) => `lock ${app} in ${env} --reason "burst ${i}"`,
  ({ app, env }) => `history ${app} in ${env}`,
  ({ app, env }) => `unlock ${app} in ${env}`,
  ({ app }) => `where ${app}`,
  ({ app, env, again }) => (again ? `deploy ${app}/box@${ROUND_TAGS[1]} to ${env}` : `deploy ${app}/box to ${env}`),
  ({ app, env }) => `cancel ${app} in ${env}`,
  ({ app, env, again }) => (again ? `restart ${app}/box in ${env}` : `restart ${app} in ${env}`),
  ({ i }) => `logs #${(i % 20) + 1}`,
  ({ app }) => `status ${app}`,
  ({ i }) => `help ${['deploy', 'lock', 'cancel', 'status'][i % 4]}`,
];

/** Every kind once on every app and environment. */
const ROUND = KINDS.length * BURST_APPS.length * BURST_ENVS.length;
/**
 * How many commands of burstTexts come before a request that makes a deployment repeats one
 * (identical requests waiting at once coalesce into one deployment): two rounds.
 */
export const BURST_DISTINCT = 2 * ROUND;

/** Commands of every kind, each app and environment in turn, in rounds (see KINDS). */
export function burstTexts(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const app = BURST_APPS[i % BURST_APPS.length]!;
    const env = BURST_ENVS[Math.floor(i / BURST_APPS.length) % BURST_ENVS.length]!;
    const kind = KINDS[Math.floor(i / (BURST_APPS.length * BURST_ENVS.length)) % KINDS.length]!;
    return kind({ app, env, i, again: Math.floor(i / ROUND) % 2 === 1 });
  });
}

export function burstYaml(): string {
  const envs = BURST_ENVS.map((e) => `      ${e}: { target: engine }`).join('\n');
  const app = (name: string) => `  ${name}:
    repo: .
    services:
      box: { type: container, image: ${BASE_IMAGE}, command: ["/bin/busybox", "sleep", "3600"] }
    environments:
${envs}`;
  return `targets:
  engine: { kind: docker, host: "${DOCKER_HOST}" }
registry: { url: ${REGISTRY} }
apps:
${BURST_APPS.map(app).join('\n')}
`;
}

export interface ColdHoist {
  process: WorkerProcess;
  /** `…/slack/events` */
  url: string;
  signingSecret: string;
  stop(): Promise<void>;
}

/** `hoist start` in a process of its own on a fresh database and Redis prefix, talking to `slack`. */
export async function startColdHoist(slack: FakeSlack, extra: Record<string, string> = {}): Promise<ColdHoist> {
  await pushImageTags(BASE_IMAGE, ROUND_TAGS.length);
  const dir = mkdtempSync(join(tmpdir(), 'hoist-burst-'));
  writeFileSync(join(dir, 'hoist.yaml'), burstYaml());
  const database = await createTestDatabase();
  const remove = async () => {
    await database.drop();
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  };
  let child: WorkerProcess;
  try {
    child = await startWorkerProcess(
      {
        ...hoistVars(dir, database.url),
        SLACK_BOT_TOKEN: TOKEN,
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.url,
        ...extra,
      },
      'start',
    );
  } catch (error) {
    await remove();
    throw error;
  }
  const port = /running on http:\/\/127\.0\.0\.1:(\d+)/.exec(child.output())?.[1];
  return {
    process: child,
    url: `http://127.0.0.1:${port}/slack/events`,
    signingSecret: SECRET,
    async stop() {
      child.kill('SIGTERM');
      const exited = await Promise.race([child.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 20_000))]);
      if (!exited) child.kill('SIGKILL');
      await remove();
    },
  };
}

export interface BurstSample {
  text: string;
  channel: string;
  responseUrlId: string;
  /** From when the request was due to its acknowledgement (HTTP status in hand). */
  ackMs: number;
  status: number | null;
  /** The acknowledgement carried the answer itself (an ephemeral body). */
  answeredInAck: boolean;
}

/** Sends `texts` spread evenly over `spreadMs`, each on its own connection; resolves when every one is acknowledged. */
export async function sendBurst(options: { url: string; signingSecret: string; slack: FakeSlack; texts: string[]; spreadMs: number; prefix: string }): Promise<BurstSample[]> {
  const { texts, slack, prefix } = options;
  const agent = new Agent({ connections: texts.length, pipelining: 0 });
  const start = performance.now() + 20;
  try {
    return await Promise.all(
      texts.map(async (text, i) => {
        const channel = `C${prefix}${String(i).padStart(4, '0')}`;
        const responseUrlId = `${prefix}-${i}`;
        const body = slashCommandBody({
          command: '/hoist',
          text,
          userId: `U${prefix}${i % 7}`,
          channelId: channel,
          responseUrl: slack.responseUrl(responseUrlId, { channel, userId: `U${prefix}${i % 7}` }),
          triggerId: `${prefix}.${i}.${Date.now()}`,
        });
        const due = start + (i * options.spreadMs) / texts.length;
        await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
        const headers = { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(body, options.signingSecret) };
        try {
          const res = await request(options.url, { method: 'POST', headers, body, dispatcher: agent, headersTimeout: 10_000 });
          const answer = await res.body.text();
          return { text, channel, responseUrlId, ackMs: performance.now() - due, status: res.statusCode, answeredInAck: answer.trim() !== '' };
        } catch {
          return { text, channel, responseUrlId, ackMs: performance.now() - due, status: null, answeredInAck: false };
        }
      }),
    );
  } finally {
    await agent.close();
  }
}

/** The commands not answered yet: no answer in the ack, none through the response_url, no card in the channel. */
export function unanswered(slack: FakeSlack, samples: BurstSample[]): BurstSample[] {
  const responded = new Set(slack.responses.filter((r) => r.status === 200).map((r) => r.id));
  const carded = new Set(slack.messages.filter((m) => m.threadTs === null && m.via === 'api').map((m) => m.channel));
  return samples.filter((s) => !s.answeredInAck && !responded.has(s.responseUrlId) && !carded.has(s.channel));
}

/** Waits until every command is answered; the ones still unanswered at the deadline. */
export async function waitForAnswers(slack: FakeSlack, samples: BurstSample[], timeoutMs: number): Promise<BurstSample[]> {
  try {
    await slack.waitFor((s) => unanswered(s, samples).length === 0, timeoutMs);
  } catch {
    // the caller reports which are missing
  }
  return unanswered(slack, samples);
}

export const BURST_TOKEN = TOKEN;
